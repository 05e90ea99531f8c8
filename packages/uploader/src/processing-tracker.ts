import type { EncoderJob, Video } from '@vodkit/api';
import type { Messages } from './i18n.ts';
import {
  type FileState,
  fromFile,
  fromJob,
  fromVideoEvent,
  initialProcessing,
  isSettled,
  type ProcessingSnapshot,
  type ProcessingStage,
  type VideoEventData,
} from './processing.ts';
import {
  backoffMs,
  classifyFailure,
  isOnline,
  shouldAutoRetry,
  waitForOnline,
  waitToRetry,
} from './retry-policy.ts';
import type { TokenSource } from './token-source.ts';

export interface TrackerOptions {
  /** Where the API answers, without a trailing slash. */
  apiBase: string;
  tokens: TokenSource;
  /** Create an encoding job (`POST /v1/encoder/jobs`) once the file is ready. */
  encode: boolean;
  /** Create that job `protected` (its video then plays only with a playback token). */
  protect?: boolean;
  /** The element's texts, for the reasons the tracker writes itself. */
  messages: () => Messages;
}

/** What the tracker was doing when a call failed: the reason says what is safe and what to do. */
export type TrackerStep = 'download' | 'check' | 'encode' | 'follow';

/** A failed API call: the server's `{error: {code, message}}` when it sent one; `status` null when none came. */
class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** The server kept the file `probing` (or `downloading`) longer than the element waits. */
class StillWorking extends Error {}

/** While the server still probes (only after a crash: it normally probes before the last PATCH returns). */
const PROBE_POLL_MS = 500;
const PROBE_POLLS = 240;
/** A link download: polled from 500 ms, slowing to every 2 s; at most 2 h of it (the server's own limit is shorter). */
const DOWNLOAD_POLL_MS = [500, 500, 1000, 1000, 2000];
const DOWNLOAD_POLLS = 3600;
/**
 * Lifetime asked for the playback token of a protected video's row player (the server allows 10 s to
 * 24 h): long enough for a page left open, short enough to be worth little if it leaks.
 */
const PLAYBACK_TOKEN_S = 4 * 3600;
/** Polling the job when the event stream is refused (a proxy, an old token). */
const JOB_POLL_MS = 1000;
/** At most this many polls of one job (3 hours at 1 s): a bound, not a timeout anyone should reach. */
const JOB_POLLS = 3 * 3600;
/**
 * Event streams open at once on this page. Each holds one of the browser's six HTTP/1.1 connections to
 * the server; with many rows encoding, more would starve the uploads themselves. The rest poll.
 */
const MAX_STREAMS = 2;
let openStreams = 0;

/**
 * Follows one stored file through the server's processing: the file record (downloading a link,
 * probing → ready or rejected), then, with `encode` or `follow()`, the encoding job over
 * `GET /v1/videos/:id/events` (Server-Sent Events, the token in the query because EventSource cannot
 * send headers), falling back to polling `GET /v1/encoder/jobs/:id` when the stream is refused.
 *
 * Nothing after the upload is final on a network failure: offline, it waits for the `online` event;
 * a dropped request or a 5xx is tried again with a back-off ("Reconnecting…"), and after a few
 * attempts the stage is `interrupted` with a reason and `retry()` picks up at the step that failed.
 * `onChange` gets every new state.
 */
export class ProcessingTracker {
  state: ProcessingSnapshot = initialProcessing;

  readonly #fileId: string;
  readonly #options: TrackerOptions;
  readonly #onChange: (next: ProcessingSnapshot, prev: ProcessingSnapshot) => void;
  readonly #abort = new AbortController();
  #source: EventSource | null = null;
  #watching: (() => void) | null = null;
  #step: TrackerStep = 'check';
  /** Failed attempts since the last answer that got through. */
  #failures = 0;
  /** The stage before `interrupted`, restored by `retry()`. */
  #resumeStage: ProcessingStage = 'probing';
  /** This element created the job (`encode`), so it may create another when that one fails. */
  #ownsJob = false;
  #running = false;

  constructor(
    fileId: string,
    options: TrackerOptions,
    onChange: (next: ProcessingSnapshot, prev: ProcessingSnapshot) => void,
  ) {
    this.#fileId = fileId;
    this.#options = options;
    this.#onChange = onChange;
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Reads the file record (again while it downloads or is probed), then encodes when asked to. */
  start(): Promise<void> {
    return this.#drive();
  }

  /** Follows a job the page created itself for this file. */
  follow(videoId: string): Promise<void> {
    this.#set({
      ...this.state,
      // Until the stream's first event says more: a job exists, so it is at least queued.
      stage: this.state.stage === 'probing' || this.state.stage === 'ready' ? 'queued' : this.state.stage,
      videoId,
      jobId: this.state.videoId === videoId ? this.state.jobId : null,
    });
    return this.#drive();
  }

  /** Whether `retry()` can do something: the element lost track, or the job it created failed. */
  get canRetry(): boolean {
    return this.state.stage === 'interrupted' || (this.state.stage === 'failed' && this.#ownsJob);
  }

  /**
   * After `interrupted`: picks up at the step that failed. After a failed job this element created:
   * creates a new job for the same file.
   */
  retry(): Promise<void> {
    if (!this.canRetry || this.#running) return Promise.resolve();
    this.#failures = 0;
    if (this.state.stage === 'failed') {
      // Back to the accepted file, without the failed job.
      this.#set({ ...initialProcessing, stage: 'ready', metadata: this.state.metadata });
    } else {
      this.#set({ ...this.state, stage: this.#resumeStage, reason: null });
    }
    return this.#drive();
  }

  stop(): void {
    this.#abort.abort();
    this.#closeStream();
  }

  /** Runs the steps, and decides after each failure: wait and go again, or stop with a reason. */
  async #drive(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        try {
          await this.#steps();
          return;
        } catch (err) {
          if (this.#stopped) return;
          const status = err instanceof ApiCallError ? err.status : null;
          const kind = err instanceof StillWorking ? 'final' : classifyFailure(status, isOnline());
          if (kind === 'denied') return this.#end('unavailable', err);
          if (!shouldAutoRetry(kind, this.#failures)) return this.#end('interrupted', err);
          this.#set({ ...this.state, reconnecting: true });
          if (kind === 'offline') await waitForOnline(this.#abort.signal);
          else await waitToRetry(backoffMs(this.#failures++), this.#abort.signal);
          if (this.#stopped) return;
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Every step from where the state is; each one skips what is already known. */
  async #steps(): Promise<void> {
    if (!this.state.videoId) {
      if (!(await this.#checkFile())) return;
      this.#step = 'encode';
      const job = await this.#api<EncoderJob>('POST', '/v1/encoder/jobs', {
        fileId: this.#fileId,
        ...(this.#options.protect ? { protected: true } : {}),
      });
      if (this.#stopped) return;
      this.#ownsJob = true;
      this.#set(fromJob(this.state, job));
    }
    this.#step = 'follow';
    const videoId = this.state.videoId!;
    if (!this.state.jobId) {
      const video = await this.#api<Video>('GET', `/v1/videos/${encodeURIComponent(videoId)}`);
      if (this.#stopped) return;
      this.#set({ ...this.state, jobId: video.jobId, protected: video.protected === true });
    }
    await this.#mintPlaybackToken(videoId);
    if (isSettled(this.state.stage)) return;
    await this.#watch(videoId);
  }

  /**
   * Reads the file until the server is done with it (downloading a link, probing). True when an
   * encoding job should follow.
   */
  async #checkFile(): Promise<boolean> {
    const path = `/v1/files/${encodeURIComponent(this.#fileId)}`;
    this.#step = this.state.stage === 'downloading' ? 'download' : 'check';
    let file = await this.#api<FileState>('GET', path);
    if (file.status === 'downloading') {
      this.#step = 'download';
      this.#set(fromFile(this.state, file));
      const settled = await this.#downloadEvents();
      if (this.#stopped) return false;
      if (settled) file = settled;
      // Without a stream (or a record in its last event), polling takes over from here.
      else file = await this.#api<FileState>('GET', path);
    }
    for (let probes = 0, downloads = 0; file.status === 'probing' || file.status === 'downloading'; ) {
      if (this.#stopped) return false;
      this.#set(fromFile(this.state, file));
      let wait: number;
      if (file.status === 'downloading') {
        this.#step = 'download';
        if (++downloads > DOWNLOAD_POLLS) throw new StillWorking();
        wait = DOWNLOAD_POLL_MS[Math.min(downloads, DOWNLOAD_POLL_MS.length) - 1]!;
      } else {
        this.#step = 'check';
        if (++probes > PROBE_POLLS) throw new StillWorking();
        wait = PROBE_POLL_MS;
      }
      await waitToRetry(wait, this.#abort.signal);
      if (this.#stopped) return false;
      file = await this.#api<FileState>('GET', path);
    }
    if (this.#stopped) return false;
    this.#step = 'check';
    this.#set(fromFile({ ...this.state, download: null }, file));
    return file.status === 'ready' && this.#options.encode;
  }

  /**
   * A protected video plays only with a playback token: one is minted with the page's API token
   * (`POST /v1/videos/:id/playback-tokens`, `allow_read` like following the job) before the job is
   * followed, so the row's player and the playable events have it. A refusal leaves it out: the
   * events still carry the URLs, and the player says the video is private.
   */
  async #mintPlaybackToken(videoId: string): Promise<void> {
    if (!this.state.protected || this.state.playbackToken || this.#stopped) return;
    try {
      const minted = await this.#api<{ token: string }>(
        'POST',
        `/v1/videos/${encodeURIComponent(videoId)}/playback-tokens`,
        { expiresIn: PLAYBACK_TOKEN_S },
      );
      if (!this.#stopped && typeof minted.token === 'string') {
        this.#set({ ...this.state, playbackToken: minted.token });
      }
    } catch {
      // See above: the row goes on without a token.
    }
  }

  /** Follows the job until it settles: the event stream, or polling when that is refused. */
  async #watch(videoId: string): Promise<void> {
    const refused = await this.#listen(
      `/v1/videos/${encodeURIComponent(videoId)}/events`,
      ['progress', 'playable', 'completed', 'failed'],
      (type, data) => {
        this.#set(fromVideoEvent({ ...this.state, reconnecting: false }, type, data as VideoEventData));
        return isSettled(this.state.stage);
      },
    );
    if (refused && !this.#stopped && !isSettled(this.state.stage)) await this.#poll();
  }

  /**
   * A link's download over the file's event stream (`progress` with `{bytes, total}`, then `probing`,
   * `ready` or `rejected` with the record): resolves with the record once the download is over, or
   * null when there is no stream to be had (the caller polls).
   */
  async #downloadEvents(): Promise<FileState | null> {
    let last: FileState | null = null;
    const refused = await this.#listen(
      `/v1/files/${encodeURIComponent(this.#fileId)}/events`,
      ['progress', 'probing', 'ready', 'rejected', 'deleted'],
      (type, data) => {
        const frame = data as { progress?: FileState['progress']; file?: FileState };
        if (type === 'progress') {
          const download = frame.progress ?? this.state.download;
          this.#set({ ...this.state, stage: 'downloading', download, reconnecting: false });
          return false;
        }
        if (type === 'probing') {
          this.#set({ ...this.state, stage: 'probing', download: null, reconnecting: false });
          return false;
        }
        last = frame.file ?? null;
        return true;
      },
    );
    return refused ? null : last;
  }

  /**
   * Listens to one of the API's event streams (the token in the query, since EventSource cannot send
   * headers) until `onEvent` says it is done or the tracker stops (false), or until the stream is
   * refused (true: 401/403/404, a proxy that does not pass SSE, or the page's quota of streams taken).
   * A dropped stream reconnects by itself; the row says "Reconnecting…" meanwhile.
   */
  async #listen(
    path: string,
    types: string[],
    onEvent: (type: string, data: unknown) => boolean,
  ): Promise<boolean> {
    const token = await this.#options.tokens.get().catch(() => null);
    if (this.#stopped) return false;
    if (typeof EventSource === 'undefined' || openStreams >= MAX_STREAMS) return true;
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    const source = new EventSource(`${this.#options.apiBase}${path}${query}`);
    this.#source = source;
    openStreams++;
    return new Promise<boolean>((resolve) => {
      this.#watching = () => resolve(false);
      const handle = (e: MessageEvent<string>) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        this.#failures = 0;
        if (onEvent(e.type, data)) this.#closeStream();
      };
      for (const type of types) source.addEventListener(type, handle);
      source.addEventListener('open', () => {
        if (this.state.reconnecting) this.#set({ ...this.state, reconnecting: false });
      });
      source.addEventListener('error', () => {
        if (this.#source !== source) return;
        if (source.readyState !== EventSource.CLOSED) {
          if (!this.state.reconnecting) this.#set({ ...this.state, reconnecting: true });
          return;
        }
        this.#watching = null;
        this.#closeStream();
        resolve(true);
      });
    });
  }

  #closeStream(): void {
    const watching = this.#watching;
    this.#watching = null;
    if (this.#source) {
      this.#source.close();
      this.#source = null;
      openStreams--;
    }
    watching?.();
  }

  /** Polls the job; a failed poll goes back to `#drive` (back-off, or interrupted). */
  async #poll(): Promise<void> {
    for (let i = 0; i < JOB_POLLS && !this.#stopped && !isSettled(this.state.stage); i++) {
      if (!this.state.jobId) return;
      const job = await this.#api<EncoderJob>(
        'GET',
        `/v1/encoder/jobs/${encodeURIComponent(this.state.jobId)}`,
      );
      if (this.#stopped) return;
      this.#set(fromJob(this.state, job));
      if (isSettled(this.state.stage)) return;
      await waitToRetry(JOB_POLL_MS, this.#abort.signal);
    }
  }

  /** Stops with a reason that says what happened and what to do. */
  #end(stage: 'interrupted' | 'unavailable', err: unknown): void {
    if (this.#stopped) return;
    const m = this.#options.messages();
    let reason: { code: string; message: string };
    if (stage === 'unavailable' && err instanceof ApiCallError) {
      reason = { code: err.code, message: err.message };
    } else {
      const answered = err instanceof ApiCallError && err.status !== null;
      const cause =
        err instanceof StillWorking
          ? m.lost.timeout
          : answered
            ? (err as ApiCallError).message
            : m.lost.network;
      const code =
        err instanceof StillWorking
          ? 'processing_timeout'
          : answered
            ? (err as ApiCallError).code
            : 'network_error';
      reason = { code, message: `${cause} ${m.whatNow[this.#step]}` };
    }
    if (stage === 'interrupted') this.#resumeStage = this.state.stage;
    this.#set({ ...this.state, stage, reconnecting: false, reason });
  }

  #set(next: ProcessingSnapshot): void {
    const prev = this.state;
    const retryable = next.stage === 'interrupted' || (next.stage === 'failed' && this.#ownsJob);
    this.state = next.retryable === retryable ? next : { ...next, retryable };
    this.#onChange(this.state, prev);
  }

  async #api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const { tokens } = this.#options;
    let res: Response;
    try {
      const token = await tokens.get();
      const headers: Record<string, string> = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      res = await fetch(`${this.#options.apiBase}${path}`, {
        method,
        headers,
        signal: this.#abort.signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      // No answer: offline, a dropped connection, DNS, CORS, or `token-url` out of reach.
      throw new ApiCallError('network_error', String((err as Error)?.message ?? err), null);
    }
    // A token from `token-url` that went stale since the upload: one fresh one, then the answer stands.
    if (res.status === 401 && tokens.refreshable && !retried) {
      tokens.invalidate();
      return this.#api<T>(method, path, body, true);
    }
    const json = (await res.json().catch(() => null)) as
      | (T & { error?: { code?: string; message?: string } })
      | null;
    if (!res.ok || json === null) {
      throw new ApiCallError(
        json?.error?.code ?? 'upload_failed',
        json?.error?.message ?? `The server answered HTTP ${res.status}.`,
        res.status,
      );
    }
    this.#failures = 0;
    if (this.state.reconnecting) this.#set({ ...this.state, reconnecting: false });
    return json;
  }
}
