import type { FileRecord } from '@vodkit/api';
import { newSnapshot, type UploadSettings, type UploadSnapshot } from './file-upload.ts';
import { isSettled } from './processing.ts';
import { type RowNotify, RowProcessing } from './row-processing.ts';

let linkCount = 0;

/** The name a link's row shows until the server says more: the last segment of its path. */
export function linkFilename(url: string): string {
  try {
    const path = new URL(url).pathname;
    const last = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    return last || new URL(url).hostname;
  } catch {
    return url;
  }
}

/** Whether `text` is a link the server can be asked to download (http or https, nothing else). */
export function isHttpLink(text: string): boolean {
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * One link pasted into the element: `POST /v1/files {url, title?}` asks the server to download it
 * (issue 15); the row then follows the file like an uploaded one, from `downloading` (with the
 * server's `progress`) through the probe to `ready` and, with `encode`, the job. Nothing is sent from
 * the browser, so the row has no upload phase of its own: it is `complete` once the server took the link.
 */
export class LinkIngest {
  readonly key = `l${++linkCount}`;
  readonly file = null;
  snapshot: UploadSnapshot;

  readonly #settings: () => UploadSettings;
  readonly #notify: RowNotify;
  readonly #changed: () => void;
  readonly #processing: RowProcessing;

  constructor(url: string, settings: () => UploadSettings, notify: RowNotify, changed: () => void) {
    this.#settings = settings;
    this.#notify = notify;
    this.#changed = changed;
    const filename = linkFilename(url);
    this.#processing = new RowProcessing(
      () => ({ key: this.key, filename: this.snapshot.filename }),
      settings,
      notify,
      (processing) => {
        const download = processing.download;
        this.#update({
          processing,
          ...(download
            ? {
                bytesUploaded: download.bytes,
                bytesTotal: download.total ?? download.bytes,
                size: download.total ?? download.bytes,
              }
            : {}),
        });
      },
    );
    this.snapshot = newSnapshot(this.key, filename, 0, 'uploading', { url, fileId: '' });
  }

  get phase(): UploadSnapshot['phase'] {
    return this.snapshot.phase;
  }

  /** Only while the server has not answered the `POST` yet. */
  get pending(): boolean {
    return this.phase === 'uploading';
  }

  /**
   * Asks the server to download the link. Resolves with the file id, or null when it refused (the row
   * then shows the server's reason, and `vod-upload-error` carries it).
   */
  async submit(): Promise<string | null> {
    const settings = this.#settings();
    const url = this.snapshot.link!.url;
    let record: FileRecord | null = null;
    let failure: { code: string; message: string; status?: number } | null = null;
    try {
      const token = await settings.tokens.get();
      const res = await fetch(`${settings.apiBase}/v1/files`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ url, ...(settings.title ? { title: settings.title } : {}) }),
      });
      const json = (await res.json().catch(() => null)) as
        | (FileRecord & { error?: { code?: string; message?: string } })
        | null;
      if (res.ok && json?.fileId) record = json;
      else {
        failure = {
          code: json?.error?.code ?? 'upload_failed',
          message: json?.error?.message ?? `The server answered HTTP ${res.status}.`,
          status: res.status,
        };
      }
    } catch {
      failure = { code: 'network_error', message: settings.messages.lost.network };
    }
    if (!record) {
      const error = { key: this.key, filename: url, ...failure! } as NonNullable<UploadSnapshot['error']>;
      // The server refusing the link (400 url_not_allowed, 413 upload_too_large…) is final; the
      // network or a 5xx is worth a Retry.
      const refused = error.status !== undefined && error.status < 500;
      this.#update({ phase: refused ? 'rejected' : 'error', error });
      this.#notify('vod-upload-error', error);
      return null;
    }
    const fileId = record.fileId;
    this.#update({
      phase: 'complete',
      percent: 100,
      filename: record.title || record.filename || this.snapshot.filename,
      link: { url, fileId },
    });
    this.#notify('vod-link-accepted', { key: this.key, fileId, filename: this.snapshot.filename, url });
    if (settings.process) this.#processing.start(fileId, null, null);
    return fileId;
  }

  /** Picks up processing after the element was re-attached. */
  reconnectTracker(): void {
    const { link, processing } = this.snapshot;
    if (!this.#processing.active && link?.fileId && processing && !isSettled(processing.stage)) {
      this.#processing.start(link.fileId, processing.videoId, { ...processing, reconnecting: false });
    }
  }

  retry(): void {
    if (this.phase === 'error') {
      this.#update({ phase: 'uploading', error: null });
      void this.submit();
    } else if (this.#processing.retry()) {
      this.#update({ error: null });
    }
  }

  /** Takes the row off the list: there is nothing to delete, the server already has the link. */
  cancel(): void {
    if (this.phase === 'error')
      this.#notify('vod-upload-cancel', { key: this.key, filename: this.snapshot.filename });
  }

  track(videoId: string): void {
    const fileId = this.snapshot.link?.fileId;
    if (fileId) this.#processing.start(fileId, videoId, this.snapshot.processing);
  }

  disconnect(): void {
    this.#processing.stop();
  }

  dispose(): void {
    this.#processing.stop();
  }

  #update(patch: Partial<UploadSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.#changed();
  }
}
