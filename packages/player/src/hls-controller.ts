import Hls, { type ErrorData, ErrorDetails, ErrorTypes, type Level } from 'hls.js';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { codeForStatus, type PlayerErrorCode } from './errors.ts';
import type { QualityLevel, VodEventDetails } from './events.ts';
import type { LoaderClass } from './playback-token.ts';

/** What the controller tells its host; the host turns these into events and re-renders. */
export interface HlsControllerCallbacks {
  ready(detail: VodEventDetails['vod-ready']): void;
  levelSwitched(level: number, auto: boolean): void;
  error(detail: VodEventDetails['vod-error']): void;
}

export interface HlsSource {
  url: string;
  /** Seconds to start at. */
  startPosition: number;
  /** Wraps hls.js' loader (playback tokens: playback-token.ts). */
  wrapLoader?: (base: LoaderClass) => LoaderClass;
}

/** Which engine plays the current source. */
export type PlaybackEngine = 'hls.js' | 'native' | 'none';

const MANIFEST_ERRORS: ReadonlySet<string> = new Set([
  ErrorDetails.MANIFEST_LOAD_ERROR,
  ErrorDetails.MANIFEST_LOAD_TIMEOUT,
  ErrorDetails.MANIFEST_PARSING_ERROR,
  ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR,
]);

/**
 * Owns hls.js for one `<video>`: attaches when the host is connected and has a source, tears down on
 * disconnect and before every new source, and turns hls.js' error taxonomy into our stable codes.
 * Falls back to the browser's own HLS (Safari on iOS) when Media Source Extensions are missing.
 */
export class HlsController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #video: HTMLVideoElement;
  readonly #callbacks: HlsControllerCallbacks;
  #source: HlsSource | null = null;
  #attached: HlsSource | null = null;
  #hls: Hls | null = null;
  #engine: PlaybackEngine = 'none';
  #levels: QualityLevel[] = [];
  #pendingLevel = -1;
  #readySent = false;
  // One recovery attempt per kind, re-armed once media is buffered again, so a flaky
  // network is survived but a broken stream does not loop.
  #mediaRecoveryUsed = false;
  #networkRecoveryUsed = false;
  #connected = false;

  constructor(host: ReactiveControllerHost, video: HTMLVideoElement, callbacks: HlsControllerCallbacks) {
    this.#host = host;
    this.#video = video;
    this.#callbacks = callbacks;
    host.addController(this);
  }

  get engine(): PlaybackEngine {
    return this.#engine;
  }

  /** The renditions of the current source; empty with native HLS, which hides them. */
  get levels(): QualityLevel[] {
    return this.#levels;
  }

  /** The manually chosen rendition, or -1 for adaptive selection. */
  get level(): number {
    return this.#hls ? this.#hls.manualLevel : this.#pendingLevel;
  }

  set level(index: number) {
    const next = Number.isInteger(index) && index >= 0 ? index : -1;
    this.#pendingLevel = next;
    // Before the manifest is parsed hls.js has no levels to switch to: MANIFEST_PARSED applies it.
    if (this.#hls && this.#levels.length > 0) this.#hls.currentLevel = next;
  }

  /** The rendition being played right now (also while in auto), or -1 when unknown. */
  get currentLevel(): number {
    return this.#hls ? this.#hls.currentLevel : -1;
  }

  /** Sets the source; a different URL tears the old one down, `null` stops. The start only counts at load. */
  load(source: HlsSource | null): void {
    if (source?.url === this.#source?.url) return;
    this.#source = source;
    if (this.#connected) this.#attach();
  }

  hostConnected(): void {
    this.#connected = true;
    // A DOM move disconnects and reconnects synchronously: the same source keeps playing.
    if (this.#attached !== this.#source) this.#attach();
  }

  hostDisconnected(): void {
    this.#connected = false;
    queueMicrotask(() => {
      if (!this.#connected) this.#detach();
    });
  }

  #attach(): void {
    this.#detach();
    const source = this.#source;
    if (!source) return;
    this.#attached = source;
    this.#readySent = false;
    this.#mediaRecoveryUsed = false;
    this.#networkRecoveryUsed = false;
    if (Hls.isSupported()) {
      this.#attachHlsJs(source);
    } else if (this.#video.canPlayType('application/vnd.apple.mpegurl')) {
      this.#attachNative(source);
    } else {
      this.#callbacks.error({
        code: 'unsupported',
        message: 'This browser plays neither Media Source Extensions nor HLS.',
        fatal: true,
      });
    }
    this.#host.requestUpdate();
  }

  #attachHlsJs(source: HlsSource): void {
    const hls = new Hls({
      // Our playlists are EVENT playlists while encoding; without this hls.js treats them as live
      // and starts at the live edge instead of the beginning.
      startPosition: source.startPosition,
      // No point fetching 4K into a 640px box; a manual choice still wins.
      capLevelToPlayerSize: true,
      ...(source.wrapLoader ? { loader: source.wrapLoader(Hls.DefaultConfig.loader as LoaderClass) } : {}),
    });
    this.#hls = hls;
    this.#engine = 'hls.js';
    hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
      this.#levels = data.levels.map(toQualityLevel);
      if (this.#pendingLevel >= 0 && this.#pendingLevel < this.#levels.length) {
        hls.currentLevel = this.#pendingLevel;
      }
      this.#host.requestUpdate();
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_e, data) => {
      if (this.#readySent) return;
      this.#readySent = true;
      this.#callbacks.ready({
        levels: this.#levels,
        duration: data.details.totalduration,
        live: data.details.live,
      });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
      this.#callbacks.levelSwitched(data.level, hls.autoLevelEnabled);
      this.#host.requestUpdate();
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      this.#mediaRecoveryUsed = false;
      this.#networkRecoveryUsed = false;
    });
    hls.on(Hls.Events.ERROR, (_e, data) => this.#onHlsError(hls, data));
    hls.attachMedia(this.#video);
    hls.loadSource(source.url);
  }

  #onHlsError(hls: Hls, data: ErrorData): void {
    // hls.js retries non-fatal errors itself; they are noise for a page.
    if (!data.fatal) return;
    const status = data.response?.code;
    const message = data.error?.message || data.reason || data.details;
    const byStatus = codeForStatus(status);
    const detail = (code: PlayerErrorCode, fatal: boolean): VodEventDetails['vod-error'] => ({
      code,
      message,
      fatal,
      ...(status ? { status } : {}),
    });
    if (data.type === ErrorTypes.MEDIA_ERROR && !this.#mediaRecoveryUsed) {
      this.#mediaRecoveryUsed = true;
      this.#callbacks.error(detail('media_error', false));
      hls.recoverMediaError();
      return;
    }
    const manifest = MANIFEST_ERRORS.has(data.details);
    if (data.type === ErrorTypes.NETWORK_ERROR && !manifest && !byStatus && !this.#networkRecoveryUsed) {
      this.#networkRecoveryUsed = true;
      this.#callbacks.error(detail('network_error', false));
      hls.startLoad();
      return;
    }
    // Stop every request but keep hls.js attached, so the last frame stays on screen.
    hls.stopLoad();
    this.#callbacks.error(detail(byStatus ?? codeForHlsError(data), true));
  }

  #attachNative(source: HlsSource): void {
    const video = this.#video;
    this.#engine = 'native';
    video.addEventListener('loadedmetadata', this.#onNativeMetadata);
    video.addEventListener('error', this.#onNativeError);
    video.src = source.url;
  }

  #onNativeMetadata = (): void => {
    const video = this.#video;
    const start = this.#attached?.startPosition ?? 0;
    if (start > 0) video.currentTime = start;
    if (this.#readySent) return;
    this.#readySent = true;
    const duration = video.duration;
    this.#callbacks.ready({ levels: [], duration, live: !Number.isFinite(duration) });
  };

  #onNativeError = async (): Promise<void> => {
    const error = this.#video.error;
    const source = this.#attached;
    if (!error || !source || error.code === MediaError.MEDIA_ERR_ABORTED) return;
    let code: PlayerErrorCode =
      error.code === MediaError.MEDIA_ERR_NETWORK
        ? 'network_error'
        : error.code === MediaError.MEDIA_ERR_DECODE
          ? 'media_error'
          : 'manifest_invalid';
    // A native player reports a 404 or an expired token as "could not parse": ask the server what it
    // said, so pages get the same codes as with hls.js.
    let status: number | undefined;
    if (code !== 'media_error') {
      status = await fetch(source.url, { cache: 'no-store' }).then(
        (res) => {
          res.body?.cancel();
          return res.status;
        },
        () => undefined,
      );
      code = codeForStatus(status) ?? (status && status >= 400 ? 'network_error' : code);
    }
    if (this.#attached !== source) return;
    const message = error.message || `MediaError ${error.code}`;
    this.#callbacks.error({ code, message, fatal: true, ...(status && status >= 400 ? { status } : {}) });
  };

  #destroyHls(): void {
    this.#hls?.destroy();
    this.#hls = null;
  }

  #detach(): void {
    if (!this.#attached) return;
    this.#attached = null;
    this.#destroyHls();
    const video = this.#video;
    if (this.#engine === 'native') {
      video.removeEventListener('loadedmetadata', this.#onNativeMetadata);
      video.removeEventListener('error', this.#onNativeError);
      video.removeAttribute('src');
      video.load();
    }
    this.#engine = 'none';
    this.#levels = [];
  }
}

function toQualityLevel(level: Level, index: number): QualityLevel {
  return {
    index,
    width: level.width,
    height: level.height,
    bitrate: level.bitrate,
    name: level.name || (level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kbps`),
  };
}

function codeForHlsError(data: ErrorData): PlayerErrorCode {
  switch (data.details) {
    case ErrorDetails.MANIFEST_PARSING_ERROR:
    case ErrorDetails.LEVEL_EMPTY_ERROR:
      return 'manifest_invalid';
    case ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR:
      return 'unsupported_codec';
  }
  if (data.type === ErrorTypes.NETWORK_ERROR) return 'network_error';
  if (data.type === ErrorTypes.MEDIA_ERROR) return 'media_error';
  return 'unknown';
}
