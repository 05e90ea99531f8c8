import Uppy, { type Meta, type UppyFile } from '@uppy/core';
import Tus, { type TusBody, type TusDetailedError } from '@uppy/tus';
import type { VodUploadEventDetails } from './events.ts';
import { formatBytes } from './format.ts';
import { isSettled, type ProcessingSnapshot } from './processing.ts';
import { isOnline, waitForOnline } from './retry-policy.ts';
import { type ProcessingSettings, type RowNotify, RowProcessing } from './row-processing.ts';
import { describeUploadError } from './upload-error.ts';

export type { RowNotify } from './row-processing.ts';

/** What the server receives in `Upload-Metadata` (the Vodkit names, not Uppy's `name`/`type`). */
type VodMeta = Meta & { filename?: string; filetype?: string; title?: string };
type VodFile = UppyFile<VodMeta, TusBody>;

/**
 * `ready`: added, waiting for `start()` (auto-start off); `queued`: waiting for a free slot
 * (`concurrency`); `rejected`: refused before any request (size/type), so there is nothing to retry.
 */
export type UploadPhase = 'ready' | 'queued' | 'uploading' | 'paused' | 'complete' | 'error' | 'rejected';

/** One file as the element shows it (one row). */
export interface UploadSnapshot {
  /** The element's id for this row. */
  key: string;
  filename: string;
  size: number;
  phase: UploadPhase;
  bytesUploaded: number;
  bytesTotal: number;
  /** 0–100, one decimal. */
  percent: number;
  /**
   * The connection dropped (or the browser is offline) while sending: the upload waits and resumes
   * by itself from the server's offset; the row says "Reconnecting…".
   */
  reconnecting: boolean;
  /** Bytes per second over the last few seconds; null until measurable or while not sending. */
  speed: number | null;
  /** Seconds left at `speed`; null when unknown. */
  eta: number | null;
  error: VodUploadEventDetails['vod-upload-error'] | null;
  result: VodUploadEventDetails['vod-upload-complete'] | null;
  /** After the upload: the server's processing of the file; null until the upload completes. */
  processing: ProcessingSnapshot | null;
  /** A row made from a link (`POST /v1/files {url}`): the link and the file the server made of it. */
  link: { url: string; fileId: string } | null;
}

export interface UploadSettings extends ProcessingSettings {
  /** The tus creation endpoint. */
  endpoint: string;
  /** Where the rest of the API answers (processing), without a trailing slash. */
  apiBase: string;
  /** Bytes per PATCH; null: the whole rest of the file in one request. */
  chunkSize: number | null;
  /** Bytes; null: no limit on this side (the server still enforces its own). */
  maxSize: number | null;
  /** `accept` entries: MIME types, wildcards (`video/*`) or extensions (`.mkv`). */
  accept: string[];
  title: string | null;
  /** Follow the file after its upload (probing, rejected or ready). */
  process: boolean;
}

/** A row's snapshot before anything happened to it. */
export function newSnapshot(
  key: string,
  filename: string,
  size: number,
  phase: UploadPhase,
  link: UploadSnapshot['link'] = null,
): UploadSnapshot {
  return {
    key,
    filename,
    size,
    phase,
    bytesUploaded: 0,
    bytesTotal: size,
    percent: 0,
    reconnecting: false,
    speed: null,
    eta: null,
    error: null,
    result: null,
    processing: null,
    link,
  };
}

/** Seconds of progress samples the speed is averaged over: smooth, yet quick to follow a change. */
const SPEED_WINDOW_MS = 4000;

let rowCount = 0;

/**
 * One picked file: its own Uppy (core + tus) while the element is connected, its snapshot, and after the
 * upload its `ProcessingTracker`. tus does the protocol (creation, offsets, retries, resumption through
 * the fingerprint tus-js-client keeps in localStorage); this class only translates.
 */
export class FileUpload {
  readonly key = `u${++rowCount}`;
  readonly file: File;
  snapshot: UploadSnapshot;

  readonly #settings: () => UploadSettings;
  readonly #notify: RowNotify;
  readonly #changed: () => void;
  #uppy: Uppy<VodMeta, TusBody> | null = null;
  #uppyFileId: string | null = null;
  #samples: { t: number; bytes: number }[] = [];
  readonly #processing: RowProcessing;
  /** Aborts the wait before an automatic retry (pause, cancel, disconnect). */
  #retryWait: AbortController | null = null;
  /** A network failure left the Uppy file in error: resuming it is a `retryUpload()`. */
  #failedInUppy = false;
  readonly #onOffline = () => {
    if (this.phase === 'uploading' && !this.snapshot.reconnecting) {
      this.#update({ reconnecting: true, speed: null, eta: null });
    }
  };

  constructor(file: File, settings: () => UploadSettings, notify: RowNotify, changed: () => void) {
    this.file = file;
    this.#settings = settings;
    this.#notify = notify;
    this.#changed = changed;
    this.#processing = new RowProcessing(
      () => ({ key: this.key, filename: this.file.name }),
      settings,
      notify,
      (processing) => this.#update({ processing }),
    );
    this.snapshot = newSnapshot(this.key, file.name, file.size, 'ready');
  }

  get phase(): UploadPhase {
    return this.snapshot.phase;
  }

  /** Not finished, so a new file with the same name, size and date would be the same upload. */
  get pending(): boolean {
    return this.phase !== 'complete' && this.phase !== 'rejected';
  }

  /**
   * Hands the file to a new Uppy (on add, and again after the element is re-attached). Returns false
   * when Uppy's restrictions refuse it (too big, wrong type): the row is then `rejected`.
   */
  connect(): boolean {
    if (this.#uppy || !this.pending) return true;
    this.#uppy = this.#createUppy();
    try {
      this.#uppyFileId = this.#addToUppy(this.file);
    } catch (err) {
      this.#destroyUppy();
      const { maxSize } = this.#settings();
      this.#update({ phase: 'rejected' });
      // Uppy counts the limit in binary units; the element shows decimal ones everywhere (hint, stats).
      this.#fail(
        maxSize !== null && this.file.size > maxSize
          ? {
              code: 'upload_too_large',
              message: `“${this.file.name}” is too large (${formatBytes(this.file.size)}): files can be at most ${formatBytes(maxSize, { trim: true })}.`,
            }
          : { code: 'unsupported_media', message: (err as Error).message },
      );
      return false;
    }
    if (this.phase === 'uploading') this.#update({ phase: 'paused', speed: null, eta: null });
    return true;
  }

  /**
   * Pauses and lets go of Uppy. Uppy's `destroy()` cancels every file, and cancelling terminates the
   * upload on the server: a page that only re-renders (or navigates in-app) should not delete a half-done
   * upload. Picking the same file again, or re-attaching the element, resumes from the server's offset.
   */
  disconnect(): void {
    this.#processing.stop();
    this.#destroyUppy();
    if (this.phase === 'uploading') {
      this.#update({ phase: 'paused', reconnecting: false, speed: null, eta: null });
    }
  }

  /** A processing stage left unfinished by a disconnect picks up again. */
  reconnectTracker(): void {
    const { result, processing } = this.snapshot;
    if (!this.#processing.active && result && processing && !isSettled(processing.stage)) {
      this.#processing.start(result.fileId, processing.videoId, { ...processing, reconnecting: false });
    }
  }

  /** Applies changed tus options to an upload that has not started yet. */
  syncTus(settings: UploadSettings): void {
    this.#uppy?.getPlugin('Tus')?.setOptions({
      endpoint: settings.endpoint,
      chunkSize: settings.chunkSize ?? Number.POSITIVE_INFINITY,
    });
  }

  /** `ready` → `queued`: the element starts it when a slot is free. */
  queue(): void {
    if (this.phase === 'ready') this.#update({ phase: 'queued' });
  }

  /** Starts sending (from `queued`, or a paused upload continuing from the server's offset). */
  begin(): void {
    const uppy = this.#uppy;
    const id = this.#uppyFileId;
    if (!uppy || !id || (this.phase !== 'queued' && this.phase !== 'paused')) return;
    this.#settings().tokens.invalidate();
    this.#samples = [];
    const started = uppy.getFile(id).progress.uploadStarted;
    this.#update({ phase: 'uploading', speed: null, eta: null });
    if (this.#failedInUppy) {
      this.#failedInUppy = false;
      uppy.retryUpload(id).catch(() => {});
    } else if (started) {
      if (uppy.getFile(id).isPaused) uppy.pauseResume(id);
    } else {
      this.#notify('vod-upload-start', { key: this.key, filename: this.file.name, size: this.file.size });
      // Failures arrive through `upload-error`; the promise only mirrors them.
      uppy.upload().catch(() => {});
    }
  }

  /** Holds the upload: a running one stops sending, a queued one waits. */
  pause(): void {
    const id = this.#uppyFileId;
    if (this.phase === 'queued') {
      this.#update({ phase: 'paused' });
      return;
    }
    if (this.#retryWait) {
      // Waiting to reconnect: nothing is being sent, so pausing is only not retrying.
      this.#stopWaiting();
      this.#update({ phase: 'paused', reconnecting: false, speed: null, eta: null });
      return;
    }
    if (!id || this.phase !== 'uploading') return;
    if (this.#uppy?.getFile(id).isPaused) return;
    this.#uppy?.pauseResume(id);
  }

  /**
   * A failed upload continues from the server's offset; after the upload, a processing step that was
   * interrupted (or a job this row created that failed) is tried again.
   */
  retry(): void {
    if (this.phase === 'complete') {
      if (this.#processing.retry()) this.#update({ error: null });
      return;
    }
    const uppy = this.#uppy;
    const id = this.#uppyFileId;
    if (!uppy || !id || this.phase !== 'error') return;
    this.#settings().tokens.invalidate();
    this.#samples = [];
    this.#failedInUppy = false;
    this.#update({ phase: 'uploading', error: null });
    uppy.retryUpload(id).catch(() => {});
  }

  /** Abandons the upload; tus terminates it on the server (DELETE), so nothing half-done lingers. */
  cancel(): void {
    if (!this.pending) return;
    if (this.#uppyFileId) this.#uppy?.removeFile(this.#uppyFileId);
    this.#destroyUppy();
    this.#notify('vod-upload-cancel', { key: this.key, filename: this.file.name });
  }

  /** Stops following processing (the row is removed). */
  dispose(): void {
    this.#processing.stop();
    this.#destroyUppy();
  }

  /** A job the page created for this file: follow it in this row. */
  track(videoId: string): void {
    const result = this.snapshot.result;
    if (!result) return;
    this.#processing.start(result.fileId, videoId, this.snapshot.processing);
  }

  #stopWaiting(): void {
    this.#retryWait?.abort();
    this.#retryWait = null;
  }

  #destroyUppy(): void {
    this.#stopWaiting();
    globalThis.removeEventListener?.('offline', this.#onOffline);
    const uppy = this.#uppy;
    this.#uppy = null;
    this.#uppyFileId = null;
    this.#failedInUppy = false;
    if (!uppy) return;
    uppy.pauseAll();
    uppy.setState({ files: {} });
    uppy.destroy();
  }

  /** Adds the file to Uppy (which checks size and type: it throws a RestrictionError) with our metadata. */
  #addToUppy(file: File): string {
    const uppy = this.#uppy!;
    const id = uppy.addFile({ name: file.name, type: file.type, data: file, source: 'vod-uploader' });
    const added = uppy.getFile(id);
    const { title } = this.#settings();
    // Uppy would send its own `name`/`type` (and copy them to filename/filetype); the server reads
    // exactly filename, filetype and title, so those are the only fields allowed through.
    uppy.setFileMeta(id, { filename: added.name, filetype: added.type, ...(title ? { title } : {}) });
    uppy.setFileState(id, {
      tus: { allowedMetaFields: title ? ['filename', 'filetype', 'title'] : ['filename', 'filetype'] },
    });
    return id;
  }

  #createUppy(): Uppy<VodMeta, TusBody> {
    const settings = this.#settings();
    // One Uppy per file keeps each row's pause/resume/retry its own. A fixed id: Uppy's file ids (and so
    // tus's resume fingerprints) start with it, and they must be the same after a reload for the same
    // file to find its upload again.
    const uppy = new Uppy<VodMeta, TusBody>({
      id: 'vod-uploader',
      autoProceed: false,
      restrictions: {
        maxFileSize: settings.maxSize,
        allowedFileTypes: settings.accept.length ? settings.accept : null,
      },
      locale: {
        strings: {
          youCanOnlyUploadFileTypes: 'This type of file cannot be uploaded here. Allowed: %{types}.',
        },
        pluralize: (n) => (n === 1 ? 0 : 1),
      },
    });
    uppy.use(Tus, {
      endpoint: settings.endpoint,
      chunkSize: settings.chunkSize ?? Number.POSITIVE_INFINITY,
      limit: 1,
      storeFingerprintForResuming: true,
      // Picking the same file after it finished is a new upload, not a no-op on the old one.
      removeFingerprintOnSuccess: true,
      // The token is fetched per request (cached), so a refreshed token reaches every retry and resume.
      onBeforeRequest: async (req) => {
        const token = await this.#settings().tokens.get();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onShouldRetry: (err, retryAttempt, _options, next) => this.#shouldRetry(err, retryAttempt, next),
    });

    globalThis.addEventListener?.('offline', this.#onOffline);
    uppy.on('upload-progress', (file, progress) => {
      if (file?.id !== this.#uppyFileId || this.phase !== 'uploading') return;
      this.#progress(progress.bytesUploaded, progress.bytesTotal ?? this.file.size);
    });
    uppy.on('upload-pause', (file, isPaused) => {
      if (file?.id !== this.#uppyFileId) return;
      this.#samples = [];
      this.#update({ phase: isPaused ? 'paused' : 'uploading', speed: null, eta: null });
    });
    uppy.on('upload-success', (file, response) => this.#success(file, response.uploadURL));
    uppy.on('upload-error', (file, error) => {
      if (file?.id !== this.#uppyFileId) return;
      const described = describeUploadError(error);
      // tus already retried with its back-off while the network was up (about 9 s, "Reconnecting…");
      // offline it gives up at once, which is no reason to fail: wait for the network, then resume.
      if (described.code === 'network_error' && this.phase === 'uploading' && !isOnline()) {
        void this.#reconnect();
        return;
      }
      this.#update({ phase: 'error', reconnecting: false, speed: null, eta: null });
      this.#fail(described);
    });
    return uppy;
  }

  /** Waits for the network to come back, then resumes the upload from the server's offset. */
  async #reconnect(): Promise<void> {
    this.#stopWaiting();
    const wait = new AbortController();
    this.#retryWait = wait;
    this.#failedInUppy = true;
    this.#update({ reconnecting: true, speed: null, eta: null });
    await waitForOnline(wait.signal);
    if (wait.signal.aborted || this.#retryWait !== wait) return;
    this.#retryWait = null;
    const uppy = this.#uppy;
    const id = this.#uppyFileId;
    if (!uppy || !id || this.phase !== 'uploading') return;
    this.#failedInUppy = false;
    this.#samples = [];
    uppy.retryUpload(id).catch(() => {});
  }

  #shouldRetry(err: TusDetailedError, retryAttempt: number, next: (e: TusDetailedError) => boolean): boolean {
    const status = err.originalResponse?.getStatus();
    const { tokens } = this.#settings();
    // An expired token is no reason to fail: ask the app server for a new one, once per stretch of
    // progress (tus resets the attempt counter when bytes go through).
    if (status === 401 && tokens.refreshable && retryAttempt === 0) {
      tokens.invalidate();
      return true;
    }
    const described = describeUploadError(err);
    if (described.code === 'token_unavailable') return false;
    const retry = next(err);
    // No answer at all: tus waits and tries again, and the row says so meanwhile.
    if (
      retry &&
      described.code === 'network_error' &&
      this.phase === 'uploading' &&
      !this.snapshot.reconnecting
    ) {
      this.#update({ reconnecting: true, speed: null, eta: null });
    }
    return retry;
  }

  #progress(bytesUploaded: number, bytesTotal: number): void {
    const now = performance.now();
    const moved = bytesUploaded > this.snapshot.bytesUploaded;
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
      reconnecting: this.snapshot.reconnecting && !(moved && isOnline()),
      speed,
      eta: speed && speed > 0 ? Math.ceil((bytesTotal - bytesUploaded) / speed) : null,
    });
    this.#notify('vod-upload-progress', {
      key: this.key,
      filename: this.file.name,
      bytesUploaded,
      bytesTotal,
      percent,
    });
  }

  #success(file: VodFile | undefined, uploadUrl: string | undefined): void {
    if (!file || file.id !== this.#uppyFileId) return;
    if (!uploadUrl) {
      this.#update({ phase: 'error' });
      this.#fail({ code: 'upload_failed', message: 'The server did not say where the upload went.' });
      return;
    }
    // The tus upload id is the Vodkit file id: the last segment of the upload URL.
    const path = new URL(uploadUrl, location.href).pathname;
    const fileId = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    const result = { key: this.key, fileId, uploadUrl, filename: this.file.name, size: this.file.size };
    const { process } = this.#settings();
    this.#update({
      phase: 'complete',
      bytesUploaded: this.file.size,
      bytesTotal: this.file.size,
      percent: 100,
      reconnecting: false,
      speed: null,
      eta: null,
      result,
    });
    this.#notify('vod-upload-complete', result);
    // The file is done with Uppy; what follows is the server's processing.
    queueMicrotask(() => this.#destroyUppy());
    if (process) this.#processing.start(fileId, null, null);
  }

  #fail(detail: Omit<VodUploadEventDetails['vod-upload-error'], 'key' | 'filename'>): void {
    const error = { key: this.key, filename: this.file.name, ...detail };
    this.#update({ error });
    this.#notify('vod-upload-error', error);
  }

  #update(patch: Partial<UploadSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.#changed();
  }
}
