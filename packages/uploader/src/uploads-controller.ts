import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { FileUpload, type RowNotify, type UploadSettings } from './file-upload.ts';
import type { Messages } from './i18n.ts';
import { LinkIngest } from './link-ingest.ts';
import { rowsToStart, sameFile } from './queue.ts';

/** A row of the list: a file the browser uploads, or a link the server downloads. */
export type UploadRow = FileUpload | LinkIngest;

export interface QueueSettings {
  /** Several rows at once; otherwise one file at a time and a second one is refused with a reason. */
  multiple: boolean;
  /** Uploads sending at the same time; the others wait `queued`. */
  concurrency: number;
  messages: Messages;
}

/**
 * The element's list of files: adds, refuses (with a visible reason, never silently), queues them under
 * `concurrency`, and hands each row its own `FileUpload`. Rows let go of Uppy on disconnect and take it
 * back on connect, so a re-attached element resumes where it was.
 */
export class UploadsController implements ReactiveController {
  rows: UploadRow[] = [];
  /** Why files were just refused (shown above the rows), or null. */
  notice: string | null = null;
  /** The notice says a file is still uploading: it goes once nothing is (after a cancel, or the end). */
  #busyNotice = false;

  readonly #host: ReactiveControllerHost;
  readonly #settings: () => UploadSettings;
  readonly #queue: () => QueueSettings;
  readonly #notify: RowNotify;
  #connected = false;
  #lastTus: { endpoint: string; chunkSize: number | null } | null = null;

  constructor(
    host: ReactiveControllerHost,
    settings: () => UploadSettings,
    queue: () => QueueSettings,
    notify: RowNotify,
  ) {
    this.#host = host;
    this.#settings = settings;
    this.#queue = queue;
    this.#notify = notify;
    host.addController(this);
  }

  /** Some row is sending, paused or waiting its turn. */
  get busy(): boolean {
    return this.rows.some((r) => r.phase === 'uploading' || r.phase === 'paused' || r.phase === 'queued');
  }

  hostConnected(): void {
    this.#connected = true;
    for (const row of this.rows) {
      if (row instanceof FileUpload) row.connect();
      row.reconnectTracker();
    }
    this.#pump();
  }

  hostDisconnected(): void {
    this.#connected = false;
    for (const row of this.rows) row.disconnect();
  }

  /** Applies changed tus options to rows that have not started. */
  sync(): void {
    const settings = this.#settings();
    const tus = { endpoint: settings.endpoint, chunkSize: settings.chunkSize };
    const before = this.#lastTus;
    this.#lastTus = tus;
    if (!before || (before.endpoint === tus.endpoint && before.chunkSize === tus.chunkSize)) return;
    for (const row of this.rows) {
      if (row instanceof FileUpload && (row.phase === 'ready' || row.phase === 'queued'))
        row.syncTus(settings);
    }
  }

  /**
   * Takes picked or dropped files. Without `multiple`, only one and only when nothing is under way; with
   * it, every file not already in the list. Returns the rows made (refused-by-restriction rows included).
   */
  add(files: readonly File[], autoStart: boolean): FileUpload[] {
    if (!this.#connected) throw new Error('<vod-uploader> is not connected');
    const { multiple, messages } = this.#queue();
    const refused: { name: string; message: string }[] = [];
    let take = [...files];
    if (!multiple) {
      take = this.#oneAtATime(take, (f) => f.name, refused);
    } else {
      take = take.filter((file) => {
        const twin = this.rows.some((r) => r.pending && r.file && sameFile(r.file, file));
        if (twin) refused.push({ name: file.name, message: messages.duplicate(file.name) });
        return !twin;
      });
    }
    this.#refuse(refused);

    const made: FileUpload[] = [];
    for (const file of take) {
      const row = new FileUpload(file, this.#settings, this.#notify, () => this.#changed());
      this.rows.push(row);
      made.push(row);
      if (row.connect() && autoStart) row.queue();
    }
    this.#pump();
    this.#host.requestUpdate();
    return made;
  }

  /** A pasted link: the server downloads it; the row follows it like an uploaded file. */
  addLink(url: string): LinkIngest | null {
    if (!this.#connected) throw new Error('<vod-uploader> is not connected');
    const refused: { name: string; message: string }[] = [];
    const take = this.#queue().multiple ? [url] : this.#oneAtATime([url], (u) => u, refused);
    this.#refuse(refused);
    const link = take.length
      ? new LinkIngest(url, this.#settings, this.#notify, () => this.#changed())
      : null;
    if (link) {
      this.rows.push(link);
      void link.submit();
    }
    this.#host.requestUpdate();
    return link;
  }

  /**
   * Without `multiple`: nothing while a file is under way (each one refused with the reason), else
   * the first only, replacing what is shown. A failed upload is left on the server (it expires), so
   * picking that file again later still resumes it.
   */
  #oneAtATime<T>(take: T[], name: (item: T) => string, refused: { name: string; message: string }[]): T[] {
    const { messages } = this.#queue();
    if (this.busy) {
      const current = this.rows.find((r) => r.pending)!;
      for (const item of take) {
        refused.push({ name: name(item), message: messages.busy(name(item), current.snapshot.filename) });
      }
      return [];
    }
    for (const item of take.slice(1)) {
      refused.push({ name: name(item), message: messages.oneAtATime(name(item)) });
    }
    if (take.length) {
      for (const row of this.rows) row.dispose();
      this.rows = [];
    }
    return take.slice(0, 1);
  }

  #refuse(refused: readonly { name: string; message: string }[]): void {
    this.notice = refused.length ? refused.map((r) => r.message).join(' ') : null;
    this.#busyNotice = refused.length > 0 && this.busy;
    for (const { name, message } of refused) {
      this.#notify('vod-upload-error', { filename: name, code: 'upload_busy', message });
    }
  }

  row(key: string): UploadRow | undefined {
    return this.rows.find((r) => r.key === key);
  }

  /** Queues rows waiting for `start()` (all, or one). */
  start(key?: string): void {
    for (const row of this.#targets(key)) if (row instanceof FileUpload) row.queue();
    this.#pump();
  }

  pause(key?: string): void {
    for (const row of this.#targets(key)) if (row instanceof FileUpload) row.pause();
    this.#pump();
  }

  /** A paused row continues at once when a slot is free, else it waits its turn. */
  resume(key?: string): void {
    const { concurrency } = this.#queue();
    for (const row of this.#targets(key)) {
      if (!(row instanceof FileUpload) || row.phase !== 'paused') continue;
      const sending = this.rows.filter((r) => r.phase === 'uploading').length;
      if (sending < concurrency) row.begin();
      else row.snapshot = { ...row.snapshot, phase: 'queued' };
    }
    this.#pump();
    this.#host.requestUpdate();
  }

  retry(key?: string): void {
    for (const row of this.#targets(key)) row.retry();
  }

  cancel(key?: string): void {
    for (const row of this.#targets(key)) {
      if (!row.pending) continue;
      row.cancel();
      this.#drop(row);
    }
    this.#pump();
  }

  /** Takes a finished row off the list (a pending one is cancelled first). */
  remove(key: string): void {
    const row = this.row(key);
    if (!row) return;
    if (row.pending) row.cancel();
    this.#drop(row);
    this.#pump();
  }

  dismissNotice(): void {
    this.notice = null;
    this.#busyNotice = false;
    this.#host.requestUpdate();
  }

  #drop(row: UploadRow): void {
    row.dispose();
    this.rows = this.rows.filter((r) => r !== row);
    this.#staleNotice();
    this.#host.requestUpdate();
  }

  /** "… is still uploading. Wait for it or cancel it first." is wrong once nothing is. */
  #staleNotice(): void {
    if (this.#busyNotice && !this.busy) {
      this.notice = null;
      this.#busyNotice = false;
    }
  }

  #targets(key?: string): UploadRow[] {
    if (key === undefined) return [...this.rows];
    const row = this.row(key);
    return row ? [row] : [];
  }

  #changed(): void {
    this.#staleNotice();
    this.#host.requestUpdate();
    // A row that finished, failed or paused frees its slot.
    queueMicrotask(() => this.#pump());
  }

  #pump(): void {
    if (!this.#connected) return;
    const keys = rowsToStart(
      this.rows.map((r) => ({ key: r.key, phase: r.phase })),
      this.#queue().concurrency,
    );
    for (const key of keys) {
      const row = this.row(key);
      if (row instanceof FileUpload) row.begin();
    }
  }
}
