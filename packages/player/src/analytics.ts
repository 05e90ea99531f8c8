import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { QoeStats } from './qoe-controller.ts';

/** What the controller reads from its player (kept narrow: the element imports this module lazily). */
export interface AnalyticsHost extends ReactiveControllerHost, HTMLElement {
  readonly videoId: string;
  readonly apiBase: string;
  readonly media: HTMLVideoElement;
  readonly qoe: QoeStats;
}

/** One event of `POST /v1/beacons` (the server's `BeaconEvent`). */
type BeaconEvent =
  | { type: 'view' }
  | { type: 'startup'; ms: number }
  | { type: 'playing'; s: number }
  | { type: 'rebuffer'; ms: number }
  | { type: 'rendition'; height: number }
  | { type: 'error'; code: string };

/** Reports while playing at most this often; pagehide and a hidden tab report at once. */
const REPORT_MS = 10_000;
/** The server ends a session silent for 30 min; a player paused longer starts a new view. */
const NEW_SESSION_AFTER_MS = 25 * 60_000;
/** The server's limit per beacon. */
const MAX_EVENTS = 64;

function newSessionId(): string {
  // getRandomValues, not randomUUID: the latter exists only on https pages.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Viewer analytics (issue 16): the view and its session, startup time, stalls, watch time actually
 * playing, renditions and fatal errors of a `video-id` player, batched into beacons to
 * `${api-base}/v1/beacons` with `navigator.sendBeacon` (text/plain: no preflight, no cookie of ours).
 * Created by the player on the first play when `no-analytics` is absent; re-checks it before every
 * send, so setting it later stops everything. No cookie or storage is used.
 */
export class AnalyticsController implements ReactiveController {
  readonly #host: AnalyticsHost;
  #videoId = '';
  #sessionId = '';
  #queue: BeaconEvent[] = [];
  /** performance.now() since the media is playing (not paused, stalled or seeking), or null. */
  #playingSince: number | null = null;
  #watchMs = 0;
  #lastActivity = 0;
  #startupSent = false;
  /** A rendition was reported in this session (else the first frame reports the one on screen). */
  #renditionSent = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(host: AnalyticsHost) {
    const video = host.media;
    this.#host = host;
    host.addController(this);
    video.addEventListener('play', this.#onPlay);
    video.addEventListener('playing', this.#onPlaying);
    for (const type of ['pause', 'waiting', 'seeking', 'ended', 'emptied'])
      video.addEventListener(type, this.#onStop);
    host.addEventListener('vod-startup', this.#onStartup);
    host.addEventListener('vod-rebuffer-end', this.#onRebuffer);
    host.addEventListener('vod-quality-change', this.#onQuality);
    host.addEventListener('vod-error', this.#onError);
    window.addEventListener('pagehide', this.#flushNow);
    document.addEventListener('visibilitychange', this.#onVisibility);
    // Made on the first play, which already happened: count it, and a first frame that came first.
    this.#onPlay();
    const { startupMs } = host.qoe;
    if (startupMs !== null) this.#pushStartup(startupMs);
    if (!video.paused && video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) this.#onPlaying();
    // The view leaves at once: the server measures the session's wall clock from its first beacon.
    this.#flushNow();
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.#flushNow();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #onPlay = (): void => {
    const now = performance.now();
    const id = this.#host.videoId;
    if (id !== this.#videoId || now - this.#lastActivity > NEW_SESSION_AFTER_MS) {
      // Another video, or back after the server ended the session: what is pending goes first.
      this.#flushNow();
      this.#videoId = id;
      this.#sessionId = newSessionId();
      this.#startupSent = false;
      this.#renditionSent = false;
      this.#queue.push({ type: 'view' });
    }
    this.#lastActivity = now;
    this.#timer ??= setInterval(this.#flushNow, REPORT_MS);
  };

  #onPlaying = (): void => {
    this.#playingSince ??= performance.now();
  };

  #onStop = (): void => {
    this.#banked();
    this.#playingSince = null;
  };

  #onStartup = (e: CustomEvent<{ ms: number }>): void => {
    this.#pushStartup(e.detail.ms);
    // The first beacon leaves at the first frame: the server's wall clock for this session starts here.
    this.#flushNow();
  };

  #pushStartup(ms: number): void {
    if (this.#startupSent) return;
    this.#startupSent = true;
    this.#queue.push({ type: 'startup', ms: Math.min(Math.max(Math.round(ms), 0), 600_000) });
    // The first rendition may have been chosen before this chunk loaded: the first frame tells it.
    const height = this.#host.media.videoHeight;
    if (!this.#renditionSent && height > 0) this.#pushRendition(height);
  }

  #pushRendition(height: number): void {
    this.#renditionSent = true;
    this.#queue.push({ type: 'rendition', height: Math.min(height, 8640) });
  }

  #onRebuffer = (e: CustomEvent<{ ms: number }>): void => {
    this.#queue.push({ type: 'rebuffer', ms: Math.min(Math.max(Math.round(e.detail.ms), 0), 3_600_000) });
  };

  #onQuality = (e: CustomEvent<{ height: number }>): void => {
    if (e.detail.height > 0) this.#pushRendition(e.detail.height);
  };

  #onError = (e: CustomEvent<{ code: string; fatal: boolean }>): void => {
    if (!e.detail.fatal) return;
    this.#queue.push({ type: 'error', code: e.detail.code });
    this.#flushNow();
  };

  #onVisibility = (): void => {
    if (document.visibilityState === 'hidden') this.#flushNow();
  };

  /** Moves the time played so far into the pending watch time. */
  #banked(): void {
    if (this.#playingSince === null) return;
    const now = performance.now();
    this.#watchMs += now - this.#playingSince;
    this.#playingSince = now;
    this.#lastActivity = now;
  }

  #flushNow = (): void => {
    this.#banked();
    if (this.#watchMs >= 100) {
      this.#queue.push({ type: 'playing', s: Math.round(this.#watchMs / 100) / 10 });
      this.#watchMs = 0;
    }
    if (this.#queue.length === 0 || !this.#sessionId) return;
    const events = this.#queue.splice(0);
    // Opted out after this controller was made: nothing leaves, not even what was queued.
    if (this.#host.hasAttribute('no-analytics')) return;
    for (let i = 0; i < events.length; i += MAX_EVENTS) {
      this.#send(
        JSON.stringify({
          videoId: this.#videoId,
          sessionId: this.#sessionId,
          events: events.slice(i, i + MAX_EVENTS),
        }),
      );
    }
  };

  #send(body: string): void {
    // As the player's other URLs: `api-base`, else the page's own origin.
    const endpoint = `${(this.#host.apiBase || location.origin).replace(/\/+$/, '')}/v1/beacons`;
    // A string is sent as text/plain, a CORS-safelisted type: no preflight, fine on pagehide.
    if (typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(endpoint, body)) return;
    void fetch(endpoint, {
      method: 'POST',
      body,
      keepalive: true,
      credentials: 'omit',
      headers: { 'content-type': 'text/plain' },
    }).catch(() => undefined);
  }
}

const attached = new WeakSet<AnalyticsHost>();

/**
 * What the element calls on every play: the controller is made once per player. The default
 * export keeps the element's line that imports it short (its chunk is size-budgeted).
 */
export default function attach(host: AnalyticsHost): void {
  if (attached.has(host)) return;
  attached.add(host);
  new AnalyticsController(host);
}
