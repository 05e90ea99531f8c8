import Uppy, { type Meta, type UppyFile } from '@uppy/core';
import Tus, { type TusBody, type TusDetailedError } from '@uppy/tus';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { VodUploadEventDetails } from './events.ts';
import { formatBytes } from './format.ts';
import type { TokenSource } from './token-source.ts';
import { describeUploadError } from './upload-error.ts';

/** What the server receives in `Upload-Metadata` (the Vodkit names, not Uppy's `name`/`type`). */
type VodMeta = Meta & { filename?: string; filetype?: string; title?: string };
type VodFile = UppyFile<VodMeta, TusBody>;

/**
 * `ready`: added, waiting for `start()` (auto-start off); `rejected`: refused before any request
 * (size/type), so there is nothing to retry.
 */
export type UploadPhase = 'ready' | 'uploading' | 'paused' | 'complete' | 'error' | 'rejected';

/** The one upload an element shows, as the template renders it. */
export interface UploadSnapshot {
  filename: string;
  size: number;
  phase: UploadPhase;
  bytesUploaded: number;
  bytesTotal: number;
  /** 0–100, one decimal. */
  percent: number;
  /** Bytes per second over the last few seconds; null until measurable or while not sending. */
  speed: number | null;
  /** Seconds left at `speed`; null when unknown. */
  eta: number | null;
  error: VodUploadEventDetails['vod-upload-error'] | null;
  result: VodUploadEventDetails['vod-upload-complete'] | null;
}

export interface UploadSettings {
  /** The tus creation endpoint. */
  endpoint: string;
  /** Bytes per PATCH; null: the whole rest of the file in one request. */
  chunkSize: number | null;
  /** Bytes; null: no limit on this side (the server still enforces its own). */
  maxSize: number | null;
  /** `accept` entries: MIME types, wildcards (`video/*`) or extensions (`.mkv`). */
  accept: string[];
  title: string | null;
  tokens: TokenSource;
}

/** How the controller reports to its element, which turns these into DOM events. */
export type UploadNotify = <K extends keyof VodUploadEventDetails>(
  type: K,
  detail: VodUploadEventDetails[K],
) => void;

/** Seconds of progress samples the speed is averaged over: smooth, yet quick to follow a change. */
const SPEED_WINDOW_MS = 4000;

/**
 * Owns one Uppy instance (core + tus) for the lifetime of the element's connection: the element renders
 * `upload` and calls the methods; tus does the protocol (creation, offsets, retries, resumption through
 * the fingerprint tus-js-client keeps in localStorage), this class only translates.
 */
export class UppyController implements ReactiveController {
  /** The current upload, or null before the first file. */
  upload: UploadSnapshot | null = null;

  readonly #host: ReactiveControllerHost;
  readonly #notify: UploadNotify;
  readonly #getSettings: () => UploadSettings;
  #settings!: UploadSettings;
  #uppy: Uppy<VodMeta, TusBody> | null = null;
  #fileId: string | null = null;
  /** The picked file, kept so that a reconnected element can hand it to its new Uppy. */
  #file: File | null = null;
  #samples: { t: number; bytes: number }[] = [];

  /** `settings` is read on connect and on every `sync()`; `notify` receives what becomes DOM events. */
  constructor(host: ReactiveControllerHost, settings: () => UploadSettings, notify: UploadNotify) {
    this.#host = host;
    this.#getSettings = settings;
    this.#notify = notify;
    host.addController(this);
  }

  /** An upload is under way (sending or paused): a new file has to wait for it or cancel it. */
  get busy(): boolean {
    return this.upload?.phase === 'uploading' || this.upload?.phase === 'paused';
  }

  hostConnected(): void {
    this.#settings = this.#getSettings();
    this.#uppy = this.#createUppy();
    // Reattached with a file not yet uploaded: hand it to the new Uppy. `resume()`, `start()` or
    // `retry()` then continue from the server's offset (the tus fingerprint is still in localStorage).
    const phase = this.upload?.phase;
    if (this.#file && !this.#fileId && (phase === 'paused' || phase === 'ready' || phase === 'error')) {
      this.#fileId = this.#addToUppy(this.#file);
    }
  }

  hostDisconnected(): void {
    const uppy = this.#uppy;
    this.#uppy = null;
    if (!uppy) return;
    // destroy() cancels every file, and cancelling terminates the upload on the server. A page that only
    // re-renders (or navigates in-app) should not delete a half-done upload: pause it and drop the files
    // from Uppy's state first, so picking the same file again later resumes from the server's offset.
    uppy.pauseAll();
    uppy.setState({ files: {} });
    uppy.destroy();
    this.#fileId = null;
    if (this.upload?.phase === 'uploading') this.#update({ phase: 'paused', speed: null, eta: null });
  }

  /** Applies changed attributes: restrictions at once, tus options from the next upload on. */
  sync(): void {
    const before = this.#settings;
    const settings = this.#getSettings();
    this.#settings = settings;
    const uppy = this.#uppy;
    if (!uppy) return;
    if (before.maxSize !== settings.maxSize || before.accept.join() !== settings.accept.join()) {
      uppy.setOptions({ restrictions: this.#restrictions() });
    }
    if (before.endpoint !== settings.endpoint || before.chunkSize !== settings.chunkSize) {
      uppy.getPlugin('Tus')?.setOptions({
        endpoint: settings.endpoint,
        chunkSize: settings.chunkSize ?? Number.POSITIVE_INFINITY,
      });
    }
  }

  /**
   * Takes a file, replacing a finished, failed or cancelled one. Returns false when it is refused:
   * too big or of the wrong type (reported as `vod-upload-error`), or while an upload is running.
   */
  add(file: File): boolean {
    const uppy = this.#uppy;
    if (!uppy) throw new Error('<vod-uploader> is not connected');
    if (this.busy) return false;
    this.#clear();
    this.upload = this.#snapshot(file.name, file.size, 'ready');
    try {
      this.#fileId = this.#addToUppy(file);
    } catch (err) {
      const { maxSize } = this.#settings;
      this.#update({ phase: 'rejected' });
      // Uppy counts the limit in binary units; the element shows decimal ones everywhere (hint, stats).
      this.#fail(
        maxSize !== null && file.size > maxSize
          ? {
              code: 'upload_too_large',
              message: `“${file.name}” is too large (${formatBytes(file.size)}): files can be at most ${formatBytes(maxSize, { trim: true })}.`,
            }
          : { code: 'unsupported_media', message: (err as Error).message },
      );
      return false;
    }
    this.#file = file;
    this.#host.requestUpdate();
    return true;
  }

  /** Starts the added file. */
  start(): void {
    const uppy = this.#uppy;
    if (!uppy || !this.#fileId || this.upload?.phase !== 'ready') return;
    this.#settings.tokens.invalidate();
    this.#samples = [];
    this.#update({ phase: 'uploading' });
    this.#notify('vod-upload-start', { filename: this.upload.filename, size: this.upload.size });
    // Failures arrive through `upload-error`; the promise only mirrors them.
    uppy.upload().catch(() => {});
  }

  pause(): void {
    if (this.#fileId && this.upload?.phase === 'uploading') {
      this.#uppy?.pauseResume(this.#fileId);
    }
  }

  resume(): void {
    const uppy = this.#uppy;
    if (!uppy || !this.#fileId || this.upload?.phase !== 'paused') return;
    this.#settings.tokens.invalidate();
    if (uppy.getFile(this.#fileId).progress.uploadStarted) {
      uppy.pauseResume(this.#fileId);
    } else {
      // A file re-added after a reconnect: a fresh Uppy upload that tus resumes from the server's offset.
      this.#samples = [];
      this.#update({ phase: 'uploading' });
      uppy.upload().catch(() => {});
    }
  }

  retry(): void {
    const uppy = this.#uppy;
    if (!uppy || !this.#fileId || this.upload?.phase !== 'error') return;
    this.#settings.tokens.invalidate();
    this.#samples = [];
    this.#update({ phase: 'uploading', error: null });
    uppy.retryUpload(this.#fileId).catch(() => {});
  }

  /** Abandons the upload; tus terminates it on the server (DELETE), so nothing half-done lingers. */
  cancel(): void {
    const upload = this.upload;
    if (!upload || upload.phase === 'complete' || upload.phase === 'rejected') return;
    if (this.#fileId) this.#uppy?.removeFile(this.#fileId);
    this.#fileId = null;
    this.#file = null;
    this.upload = null;
    this.#host.requestUpdate();
    this.#notify('vod-upload-cancel', { filename: upload.filename });
  }

  /** Adds the file to Uppy (which checks size and type: it throws a RestrictionError) with our metadata. */
  #addToUppy(file: File): string {
    const uppy = this.#uppy!;
    const id = uppy.addFile({ name: file.name, type: file.type, data: file, source: 'vod-uploader' });
    const added = uppy.getFile(id);
    const { title } = this.#settings;
    // Uppy would send its own `name`/`type` (and copy them to filename/filetype); the server reads
    // exactly filename, filetype and title, so those are the only fields allowed through.
    uppy.setFileMeta(id, { filename: added.name, filetype: added.type, ...(title ? { title } : {}) });
    uppy.setFileState(id, {
      tus: { allowedMetaFields: title ? ['filename', 'filetype', 'title'] : ['filename', 'filetype'] },
    });
    return id;
  }

  #createUppy(): Uppy<VodMeta, TusBody> {
    // A fixed id: Uppy's file ids (and so tus's resume fingerprints) start with it, and they must be
    // the same after a reload for the same file to find its upload again.
    const uppy = new Uppy<VodMeta, TusBody>({
      id: 'vod-uploader',
      autoProceed: false,
      restrictions: this.#restrictions(),
      locale: {
        strings: {
          youCanOnlyUploadFileTypes: 'This type of file cannot be uploaded here. Allowed: %{types}.',
        },
        pluralize: (n) => (n === 1 ? 0 : 1),
      },
    });
    uppy.use(Tus, {
      endpoint: this.#settings.endpoint,
      chunkSize: this.#settings.chunkSize ?? Number.POSITIVE_INFINITY,
      limit: 1,
      storeFingerprintForResuming: true,
      // Picking the same file after it finished is a new upload, not a no-op on the old one.
      removeFingerprintOnSuccess: true,
      // The token is fetched per request (cached), so a refreshed token reaches every retry and resume.
      onBeforeRequest: async (req) => {
        const token = await this.#settings.tokens.get();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onShouldRetry: (err, retryAttempt, _options, next) => this.#shouldRetry(err, retryAttempt, next),
    });

    uppy.on('upload-progress', (file, progress) => {
      if (file?.id !== this.#fileId || this.upload?.phase !== 'uploading') return;
      this.#progress(progress.bytesUploaded, progress.bytesTotal ?? this.upload.size);
    });
    uppy.on('upload-pause', (file, isPaused) => {
      if (file?.id !== this.#fileId) return;
      this.#samples = [];
      this.#update({ phase: isPaused ? 'paused' : 'uploading', speed: null, eta: null });
    });
    uppy.on('upload-success', (file, response) => this.#success(file, response.uploadURL));
    uppy.on('upload-error', (file, error) => {
      if (file?.id !== this.#fileId) return;
      this.#update({ phase: 'error', speed: null, eta: null });
      this.#fail(describeUploadError(error));
    });
    return uppy;
  }

  #shouldRetry(err: TusDetailedError, retryAttempt: number, next: (e: TusDetailedError) => boolean): boolean {
    const status = err.originalResponse?.getStatus();
    // An expired token is no reason to fail: ask the app server for a new one, once per stretch of
    // progress (tus resets the attempt counter when bytes go through).
    if (status === 401 && this.#settings.tokens.refreshable && retryAttempt === 0) {
      this.#settings.tokens.invalidate();
      return true;
    }
    if (describeUploadError(err).code === 'token_unavailable') return false;
    return next(err);
  }

  #progress(bytesUploaded: number, bytesTotal: number): void {
    const now = performance.now();
    this.#samples.push({ t: now, bytes: bytesUploaded });
    while (this.#samples.length > 2 && now - this.#samples[0]!.t > SPEED_WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0]!;
    const span = (now - first.t) / 1000;
    const speed = span >= 0.5 ? (bytesUploaded - first.bytes) / span : null;
    const percent = bytesTotal > 0 ? Math.floor((bytesUploaded / bytesTotal) * 1000) / 10 : 0;
    this.#update({
      bytesUploaded,
      bytesTotal,
      percent,
      speed,
      eta: speed && speed > 0 ? Math.ceil((bytesTotal - bytesUploaded) / speed) : null,
    });
    this.#notify('vod-upload-progress', { bytesUploaded, bytesTotal, percent });
  }

  #success(file: VodFile | undefined, uploadUrl: string | undefined): void {
    if (!file || file.id !== this.#fileId || !this.upload) return;
    if (!uploadUrl) {
      this.#update({ phase: 'error' });
      this.#fail({ code: 'upload_failed', message: 'The server did not say where the upload went.' });
      return;
    }
    // The tus upload id is the Vodkit file id: the last segment of the upload URL.
    const path = new URL(uploadUrl, location.href).pathname;
    const fileId = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    const result = { fileId, uploadUrl, filename: this.upload.filename, size: this.upload.size };
    this.#update({
      phase: 'complete',
      bytesUploaded: this.upload.size,
      bytesTotal: this.upload.size,
      percent: 100,
      speed: null,
      eta: null,
      result,
    });
    this.#notify('vod-upload-complete', result);
    // Seam for the next step: live processing progress (SSE on the file's video) starts from here.
  }

  #fail(error: VodUploadEventDetails['vod-upload-error']): void {
    this.#update({ error });
    this.#notify('vod-upload-error', error);
  }

  /** Forgets the previous (finished) file, so Uppy does not refuse the same file as a duplicate. */
  #clear(): void {
    if (this.#fileId && this.#uppy?.getFile(this.#fileId)) this.#uppy.removeFile(this.#fileId);
    this.#fileId = null;
    this.#file = null;
    this.upload = null;
  }

  #restrictions() {
    const { maxSize, accept } = this.#settings;
    return { maxFileSize: maxSize, allowedFileTypes: accept.length ? accept : null };
  }

  #snapshot(filename: string, size: number, phase: UploadPhase): UploadSnapshot {
    return {
      filename,
      size,
      phase,
      bytesUploaded: 0,
      bytesTotal: size,
      percent: 0,
      speed: null,
      eta: null,
      error: null,
      result: null,
    };
  }

  #update(patch: Partial<UploadSnapshot>): void {
    if (!this.upload) return;
    this.upload = { ...this.upload, ...patch };
    this.#host.requestUpdate();
  }
}
