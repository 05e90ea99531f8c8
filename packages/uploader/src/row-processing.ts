import type { VodUploadEventDetails, VodUploadEventName } from './events.ts';
import type { Messages } from './i18n.ts';
import type { ProcessingSnapshot } from './processing.ts';
import { ProcessingTracker } from './processing-tracker.ts';
import type { TokenSource } from './token-source.ts';

/** How a row reports to its element, which turns these into DOM events and re-renders. */
export type RowNotify = <K extends VodUploadEventName>(type: K, detail: VodUploadEventDetails[K]) => void;

/** What following a stored file needs from the element. */
export interface ProcessingSettings {
  apiBase: string;
  tokens: TokenSource;
  encode: boolean;
  protect: boolean;
  messages: Messages;
}

/**
 * The processing half of a row, shared by uploaded files and links: one `ProcessingTracker` at a time,
 * its snapshot handed to the row, and each change of stage turned into the element's events.
 */
export class RowProcessing {
  readonly #row: () => { key: string; filename: string };
  readonly #settings: () => ProcessingSettings;
  readonly #notify: RowNotify;
  readonly #changed: (processing: ProcessingSnapshot) => void;
  #tracker: ProcessingTracker | null = null;
  /** Events sent once per file or job, though a retry may pass through the same stage again. */
  readonly #sent = new Set<string>();

  constructor(
    row: () => { key: string; filename: string },
    settings: () => ProcessingSettings,
    notify: RowNotify,
    changed: (processing: ProcessingSnapshot) => void,
  ) {
    this.#row = row;
    this.#settings = settings;
    this.#notify = notify;
    this.#changed = changed;
  }

  get active(): boolean {
    return this.#tracker !== null;
  }

  /**
   * Follows `fileId` from `from` (the row's last snapshot, after a re-attach) or from the start;
   * `videoId` when the page created the job (`trackEncoding()`).
   */
  start(fileId: string, videoId: string | null, from: ProcessingSnapshot | null): void {
    this.stop();
    const settings = this.#settings();
    const tracker = new ProcessingTracker(
      fileId,
      {
        apiBase: settings.apiBase,
        tokens: settings.tokens,
        encode: settings.encode && !videoId,
        protect: settings.protect,
        messages: () => this.#settings().messages,
      },
      (next, prev) => {
        if (this.#tracker !== tracker) return;
        this.#changed(next);
        this.#announce(fileId, next, prev);
      },
    );
    this.#tracker = tracker;
    if (from) tracker.state = from;
    else this.#changed(tracker.state);
    if (videoId) void tracker.follow(videoId);
    else void tracker.start();
  }

  /** Picks up after `interrupted`, or makes a new job after a failed one; false when there is nothing to retry. */
  retry(): boolean {
    if (!this.#tracker?.canRetry) return false;
    void this.#tracker.retry();
    return true;
  }

  stop(): void {
    this.#tracker?.stop();
    this.#tracker = null;
  }

  /** Turns a change of processing stage into the element's events. */
  #announce(fileId: string, next: ProcessingSnapshot, prev: ProcessingSnapshot): void {
    const row = { ...this.#row(), fileId };
    const once = (key: string) => {
      if (this.#sent.has(key)) return false;
      this.#sent.add(key);
      return true;
    };
    if (next.stage === 'ready' && once('ready')) {
      this.#notify('vod-file-ready', { ...row, metadata: next.metadata });
    }
    if (next.stage === 'rejected' && next.reason && once('rejected')) {
      this.#notify('vod-file-rejected', { ...row, ...next.reason });
    }
    const stopped =
      (next.stage === 'failed' || next.stage === 'interrupted' || next.stage === 'unavailable') &&
      next.stage !== prev.stage &&
      next.reason;
    if (!next.videoId || !next.jobId) {
      if (stopped) this.#notify('vod-processing-error', { ...row, ...next.reason! });
      return;
    }
    const job = { ...row, videoId: next.videoId, jobId: next.jobId };
    if (once(`start:${next.jobId}`)) this.#notify('vod-encoding-start', job);
    if (next.progress !== prev.progress && next.stage !== 'completed') {
      this.#notify('vod-encoding-progress', { ...job, progress: next.progress });
    }
    const token = next.playbackToken ? { playbackToken: next.playbackToken } : {};
    const playable = next.stage === 'playable' || next.stage === 'completed';
    if (playable && next.playback && once(`playable:${next.jobId}`)) {
      this.#notify('vod-video-playable', { ...job, playback: next.playback, ...token });
    }
    if (next.stage === 'completed' && next.playback && once(`ready:${next.jobId}`)) {
      this.#notify('vod-video-ready', { ...job, playback: next.playback, ...token });
    }
    if (stopped) this.#notify('vod-processing-error', { ...job, ...next.reason! });
  }
}
