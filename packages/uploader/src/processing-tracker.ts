import type { EncoderJob, FileRecord, Video } from '@vodkit/api';
import {
  fromFile,
  fromJob,
  fromVideoEvent,
  initialProcessing,
  isSettled,
  type ProcessingSnapshot,
  type VideoEventData,
} from './processing.ts';
import type { TokenSource } from './token-source.ts';

export interface TrackerOptions {
  /** Where the API answers, without a trailing slash. */
  apiBase: string;
  tokens: TokenSource;
  /** Create an encoding job (`POST /v1/encoder/jobs`) once the file is ready. */
  encode: boolean;
  /** Create that job `protected` (its video then plays only with a playback token). */
  protect?: boolean;
}

/** A failed API call: the server's `{error: {code, message}}` when it sent one. */
class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** While the server still probes (only after a crash: it normally probes before the last PATCH returns). */
const PROBE_POLL_MS = 500;
const PROBE_POLLS = 240;
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
 * Follows one uploaded file through the server's processing: the file record (probing → ready or
 * rejected), then, with `encode` or `follow()`, the encoding job over `GET /v1/videos/:id/events`
 * (Server-Sent Events, the token in the query because EventSource cannot send headers), falling back to
 * polling `GET /v1/encoder/jobs/:id` when the stream is refused or dies. `onChange` gets every new state.
 */
export class ProcessingTracker {
  state: ProcessingSnapshot = initialProcessing;

  readonly #fileId: string;
  readonly #options: TrackerOptions;
  readonly #onChange: (next: ProcessingSnapshot, prev: ProcessingSnapshot) => void;
  #source: EventSource | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  constructor(
    fileId: string,
    options: TrackerOptions,
    onChange: (next: ProcessingSnapshot, prev: ProcessingSnapshot) => void,
  ) {
    this.#fileId = fileId;
    this.#options = options;
    this.#onChange = onChange;
  }

  /** Reads the file record (again while it is probing), then encodes when asked to. */
  async start(): Promise<void> {
    try {
      let file = await this.#api<FileRecord>('GET', `/v1/files/${encodeURIComponent(this.#fileId)}`);
      for (let i = 0; file.status === 'probing' && i < PROBE_POLLS && !this.#stopped; i++) {
        await this.#sleep(PROBE_POLL_MS);
        file = await this.#api<FileRecord>('GET', `/v1/files/${encodeURIComponent(this.#fileId)}`);
      }
      if (this.#stopped) return;
      this.#set(fromFile(this.state, file));
      if (file.status !== 'ready' || !this.#options.encode || this.state.videoId) return;
      const job = await this.#api<EncoderJob>('POST', '/v1/encoder/jobs', {
        fileId: this.#fileId,
        ...(this.#options.protect ? { protected: true } : {}),
      });
      if (this.#stopped) return;
      this.#set(fromJob(this.state, job));
      await this.#mintPlaybackToken(job.videoId);
      this.#follow(job.videoId);
    } catch (err) {
      this.#failed(err);
    }
  }

  /** Follows a job the page created itself for this file. */
  async follow(videoId: string): Promise<void> {
    try {
      const video = await this.#api<Video>('GET', `/v1/videos/${encodeURIComponent(videoId)}`);
      if (this.#stopped) return;
      this.#set({
        ...this.state,
        // Until the stream's first event says more: a job exists, so it is at least queued.
        stage: this.state.stage === 'probing' || this.state.stage === 'ready' ? 'queued' : this.state.stage,
        videoId,
        jobId: video.jobId,
        protected: video.protected === true,
      });
      await this.#mintPlaybackToken(videoId);
      this.#follow(videoId);
    } catch (err) {
      this.#failed(err);
    }
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

  stop(): void {
    this.#stopped = true;
    this.#closeStream();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #follow(videoId: string): Promise<void> {
    if (isSettled(this.state.stage) && this.state.stage !== 'ready') return;
    const token = await this.#options.tokens.get().catch(() => null);
    if (this.#stopped) return;
    if (typeof EventSource === 'undefined' || openStreams >= MAX_STREAMS) return this.#poll();
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    const source = new EventSource(
      `${this.#options.apiBase}/v1/videos/${encodeURIComponent(videoId)}/events${query}`,
    );
    this.#source = source;
    openStreams++;
    const onEvent = (e: MessageEvent<string>) => {
      let data: VideoEventData;
      try {
        data = JSON.parse(e.data) as VideoEventData;
      } catch {
        return;
      }
      this.#set(fromVideoEvent(this.state, e.type, data));
      if (isSettled(this.state.stage)) this.#closeStream();
    };
    for (const type of ['progress', 'playable', 'completed', 'failed'])
      source.addEventListener(type, onEvent);
    // A refused stream (401/403/404, a proxy that does not pass SSE) closes for good: poll instead.
    // A dropped one reconnects by itself (readyState CONNECTING) and is left to do so.
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED || this.#source !== source) return;
      this.#closeStream();
      this.#poll();
    });
  }

  #closeStream(): void {
    if (!this.#source) return;
    this.#source.close();
    this.#source = null;
    openStreams--;
  }

  async #poll(): Promise<void> {
    for (let i = 0; i < JOB_POLLS && !this.#stopped && !isSettled(this.state.stage); i++) {
      try {
        if (this.state.jobId) {
          const job = await this.#api<EncoderJob>(
            'GET',
            `/v1/encoder/jobs/${encodeURIComponent(this.state.jobId)}`,
          );
          if (this.#stopped) return;
          this.#set(fromJob(this.state, job));
        } else if (this.state.videoId) {
          const video = await this.#api<Video>('GET', `/v1/videos/${encodeURIComponent(this.state.videoId)}`);
          this.#set({ ...this.state, jobId: video.jobId });
        } else {
          return;
        }
      } catch (err) {
        // A network blip is worth another poll; the server refusing is final.
        if (err instanceof ApiCallError && err.status < 500) return this.#failed(err);
      }
      if (isSettled(this.state.stage)) return;
      await this.#sleep(JOB_POLL_MS);
    }
  }

  #failed(err: unknown): void {
    if (this.#stopped) return;
    const known = err instanceof ApiCallError;
    const reason = {
      code: known ? err.code : 'network_error',
      message: known ? err.message : 'The server could not be reached to follow the file.',
    };
    const denied = known && (err.status === 401 || err.status === 403);
    this.#set({ ...this.state, stage: denied ? 'unavailable' : 'failed', reason });
  }

  #set(next: ProcessingSnapshot): void {
    const prev = this.state;
    this.state = next;
    this.#onChange(next, prev);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timer = setTimeout(resolve, ms);
    });
  }

  async #api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const { tokens } = this.#options;
    const token = await tokens.get();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.#options.apiBase}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
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
    return json;
  }
}
