import type { ErrorData, default as HlsClass, HlsConfig, Level } from 'hls.js';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { rememberedAudio } from './audio-choice.ts';
import { codeForStatus, type PlayerErrorCode } from './errors.ts';
import type { QualityLevel, VodEventDetails } from './events.ts';
import type { LoaderClass } from './playback-token.ts';
import { startStartup, takeEarly } from './prefetch.ts';
import type { Startup } from './startup.ts';
import type { startupLoader } from './startup-loader.ts';

/** What the controller tells its host; the host turns these into events and re-renders. */
export interface HlsControllerCallbacks {
  ready(detail: VodEventDetails['vod-ready']): void;
  levelSwitched(level: number, auto: boolean): void;
  error(detail: VodEventDetails['vod-error']): void;
  /** hls.js read the master playlist: its `#EXT-X-START` offset, or null (instant clips). */
  startOffset?(seconds: number | null): void;
  /** A media playlist was loaded or reloaded (live ones are, until they end). */
  playlist?(update: PlaylistUpdate): void;
}

/** What a media playlist says of a video that may still be encoding. */
export interface PlaylistUpdate {
  /** Seconds: where the playlist ends. */
  edge: number;
  /** No `#EXT-X-ENDLIST` yet: still growing. */
  live: boolean;
  targetDuration: number;
}

export interface HlsSource {
  url: string;
  /** Seconds to start at. */
  startPosition: number;
  /** Wraps hls.js' loader (playback tokens: playback-token.ts); hls.js is created once it resolves. */
  wrapLoader?: (base: LoaderClass) => Promise<LoaderClass>;
  /**
   * Whether `url` may be requested before hls.js is there (default yes): not when the request needs a
   * token that the loader has yet to fetch.
   */
  prefetch?: boolean;
  /**
   * Native HLS only (hls.js has the token loader): after the server refused the source (401/403), a
   * URL with a fresh token, or null when there is none to get. The browser's own player cannot be
   * handed a new token, so the source is set again and resumes where it stopped.
   */
  reauthorize?: () => Promise<string | null>;
}

/**
 * How much to fetch before playback is asked for, as `<video preload>`: `none` nothing (hls.js is not
 * even imported), `metadata` the playlists only, `auto` playlists and segments.
 */
export type Preload = 'none' | 'metadata' | 'auto';

const PRELOAD_RANK: Record<Preload, number> = { none: 0, metadata: 1, auto: 2 };

/** Which engine plays the current source. */
export type PlaybackEngine = 'hls.js' | 'native' | 'none';

type Hls = HlsClass;
type HlsStatic = typeof HlsClass;

/**
 * hls.js is the bulk of the player (~160 KB gzipped): it is imported when a source must load, as its
 * own chunk, so a page with an idle player pays only for the element. The full build, not
 * `hls.light`: subtitles (WebVTT renditions) only exist in the full one.
 */
let hlsModule: Promise<HlsStatic> | undefined;
export function importHls(): Promise<HlsStatic> {
  hlsModule ??= import('hls.js').then((m) => m.default);
  return hlsModule;
}

/**
 * The loader that hands hls.js what a `Startup` fetched, a chunk of its own that is needed only once
 * hls.js is there (it loads beside it). Null when it cannot be had: hls.js then asks for itself.
 */
function importStartupLoader(): Promise<typeof startupLoader | null> {
  return import('./startup-loader.ts').then(
    (m) => m.startupLoader,
    () => null,
  );
}

/** What `Hls.isSupported()` checks, without importing hls.js to ask it. */
export function mseSupported(): boolean {
  const g = globalThis as unknown as Record<string, { isTypeSupported?: (t: string) => boolean } | undefined>;
  const ms = g.ManagedMediaSource ?? g.MediaSource ?? g.WebKitMediaSource;
  return (
    typeof ms?.isTypeSupported === 'function' &&
    ms.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"')
  );
}

/** The Vodkit server a player talks to: `api-base` without trailing slashes, the page's origin by default. */
export function apiBaseUrl(apiBase: string): string {
  return (apiBase || location.origin).replace(/\/+$/, '');
}

/** A Vodkit stream's file: `${apiBase}/stream/${videoId}/${file}`. */
export function streamUrl(apiBase: string, videoId: string, file: string): string {
  return `${apiBaseUrl(apiBase)}/stream/${encodeURIComponent(videoId)}/${file}`;
}

/** As hls.js resolves a source: against the document. */
export function absoluteUrl(url: string): string {
  try {
    return new URL(url, document.baseURI).href;
  } catch {
    return url;
  }
}

const MANIFEST_ERRORS: ReadonlySet<string> = new Set([
  'manifestLoadError',
  'manifestLoadTimeOut',
  'manifestParsingError',
  'manifestIncompatibleCodecsError',
]);

/**
 * Owns hls.js for one `<video>`: attaches when the host is connected and has a source, tears down on
 * disconnect and before every new source, and turns hls.js' error taxonomy into our stable codes.
 * Falls back to the browser's own HLS (Safari on iOS) when Media Source Extensions are missing.
 * Honours `preload`: nothing is fetched (nor hls.js imported) for `none` until `start()`.
 */
export class HlsController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #video: HTMLVideoElement;
  readonly #callbacks: HlsControllerCallbacks;
  #source: HlsSource | null = null;
  #preload: Preload = 'auto';
  #attached: HlsSource | null = null;
  /** Bumped on every attach and detach: an hls.js import that resolves late must not attach. */
  #generation = 0;
  #hls: Hls | null = null;
  #loading = false;
  #engine: PlaybackEngine = 'none';
  #levels: QualityLevel[] = [];
  #pendingLevel = -1;
  #readySent = false;
  // One recovery attempt per kind, re-armed once media is buffered again, so a flaky
  // network is survived but a broken stream does not loop.
  #mediaRecoveryUsed = false;
  #networkRecoveryUsed = false;
  #connected = false;
  #started: Promise<void> | null = null;
  /** What is being fetched ahead of hls.js for the attached source (`startup.ts`). */
  #startup: Promise<Startup | null> | null = null;
  /** The MediaSource hls.js took over from us, if it did: `preload="metadata"` sets its duration. */
  #handedOver: MediaSource | null = null;
  /** A MediaSource opened for the `<video>` before hls.js was there, until hls.js takes it. */
  #mediaSource: { source: MediaSource; url: string } | null = null;
  /** Native HLS: where to resume after a re-authorized source, and whether that was tried already. */
  #resumeAt: number | null = null;
  #reauthorized = false;
  /** Native HLS: playing, as the events said. Chromium pauses before it fires `error`, then `pause`. */
  #nativePlaying = false;

  constructor(host: ReactiveControllerHost, video: HTMLVideoElement, callbacks: HlsControllerCallbacks) {
    this.#host = host;
    this.#video = video;
    this.#callbacks = callbacks;
    host.addController(this);
  }

  get engine(): PlaybackEngine {
    return this.#engine;
  }

  /** Whether a source is set but nothing has been attached for it yet (`preload="none"`, lazy). */
  get idle(): boolean {
    return this.#source !== null && this.#attached !== this.#source;
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

  /** The audio renditions of the current rendition's group (hls.js only; listed before play too). */
  get audioTracks(): { name: string; language: string }[] {
    return this.#hls?.audioTracks.map((t) => ({ name: t.name, language: t.lang ?? '' })) ?? [];
  }

  get audioTrack(): number {
    return this.#hls?.audioTrack ?? -1;
  }

  set audioTrack(index: number) {
    if (this.#hls) this.#hls.audioTrack = index;
  }

  /** The rendition being played right now (also while in auto), or -1 when unknown. */
  get currentLevel(): number {
    return this.#hls ? this.#hls.currentLevel : -1;
  }

  /**
   * Sets the source and how much of it to fetch now; a different URL tears the old one down, `null`
   * stops. A higher `preload` for the same URL loads more; a lower one never unloads. The start only
   * counts at load.
   */
  load(source: HlsSource | null, preload: Preload = 'auto'): void {
    if (source?.url === this.#source?.url) {
      this.#raise(preload);
      return;
    }
    this.#source = source;
    this.#preload = preload;
    this.#detach();
    if (this.#connected && preload !== 'none') this.#attach();
  }

  /**
   * Playback was asked for: attach if nothing is yet and load segments. Resolves once the `<video>` has
   * its source, so that `video.play()` afterwards is not interrupted by a new load.
   */
  start(): Promise<void> {
    this.#raise('auto');
    return this.#started ?? Promise.resolve();
  }

  hostConnected(): void {
    this.#connected = true;
    // A DOM move disconnects and reconnects synchronously: the same source keeps playing.
    if (this.#attached !== this.#source && this.#preload !== 'none') this.#attach();
  }

  hostDisconnected(): void {
    this.#connected = false;
    queueMicrotask(() => {
      if (!this.#connected) this.#detach();
    });
  }

  #raise(preload: Preload): void {
    if (PRELOAD_RANK[preload] <= PRELOAD_RANK[this.#preload]) return;
    this.#preload = preload;
    if (!this.#source || !this.#connected) return;
    if (this.#attached !== this.#source) this.#attach();
    else if (preload === 'auto' && this.#hls && !this.#loading) this.#startLoad(this.#hls, this.#source);
  }

  #attach(): void {
    this.#detach();
    const source = this.#source;
    if (!source) return;
    this.#attached = source;
    const generation = ++this.#generation;
    this.#readySent = false;
    this.#mediaRecoveryUsed = false;
    this.#networkRecoveryUsed = false;
    if (mseSupported()) {
      this.#engine = 'hls.js';
      // The playlists and first segments are fetched while hls.js' chunk downloads and compiles,
      // instead of one after the other once it runs; `early-hls.ts` may have begun before the element
      // was even defined. Keyed by the absolute URL, as hls.js will ask for it.
      const url = absoluteUrl(source.url);
      const startup =
        source.prefetch === false
          ? null
          : (takeEarly(url) ??
            startStartup(url, {
              segments: this.#preload === 'auto',
              startPosition: source.startPosition,
              box: () => this.#video.getBoundingClientRect(),
              level: this.#pendingLevel,
              audioLanguage: rememberedAudio(),
            }));
      this.#startup = startup;
      this.#openMediaSource();
      // A token-bearing source also waits for its loader's chunk (fetched beside hls.js), so that no
      // request leaves without the token; a failure of either is the same fatal error.
      this.#started = Promise.all([importHls(), startup, startup && importStartupLoader()])
        .then(async ([Hls, ahead, startupLoader]) => {
          const base = Hls.DefaultConfig.loader as LoaderClass;
          const loader = source.wrapLoader ? await source.wrapLoader(base) : undefined;
          // hls.js' playlist and fragment loader: answers from the start-up first, else `loader`.
          const early =
            ahead && startupLoader ? { ahead, loader: startupLoader(loader ?? base, ahead) } : null;
          return { Hls, early, loader };
        })
        .then(
          ({ Hls, early, loader }) => {
            if (generation === this.#generation) this.#attachHlsJs(Hls, source, loader, early);
          },
          (err: unknown) => {
            if (generation !== this.#generation) return;
            this.#callbacks.error({
              code: 'network_error',
              message: `The player could not load its HLS engine: ${String(err)}`,
              fatal: true,
            });
          },
        );
    } else if (this.#video.canPlayType('application/vnd.apple.mpegurl')) {
      // Synchronously: iOS only lets a play() in the tap's own call stack start sound.
      this.#attachNative(source);
      this.#started = Promise.resolve();
    } else {
      this.#started = Promise.resolve();
      this.#callbacks.error({
        code: 'unsupported',
        message: 'This browser plays neither Media Source Extensions nor HLS.',
        fatal: true,
      });
    }
    this.#host.requestUpdate();
  }

  /**
   * Gives the `<video>` its MediaSource now: it takes tens of milliseconds to open, which then pass
   * while hls.js downloads instead of after (hls.js takes it over: `attachMedia({ mediaSource })`).
   * Not with ManagedMediaSource (Safari), which hls.js sets up with its own `<source>` alternatives.
   */
  #openMediaSource(): void {
    const g = globalThis as { ManagedMediaSource?: unknown; MediaSource?: typeof MediaSource };
    if (g.ManagedMediaSource || !g.MediaSource) return;
    const source = new g.MediaSource();
    const url = URL.createObjectURL(source);
    this.#mediaSource = { source, url };
    this.#video.src = url;
  }

  /** Config for a new hls.js instance; a seam for options that depend on the source. */
  protected hlsConfig(source: HlsSource): Partial<HlsConfig> {
    return {
      // Our playlists are EVENT playlists while encoding; without this hls.js treats them as live
      // and starts at the live edge instead of the beginning.
      startPosition: source.startPosition,
      // No point fetching 4K into a 640px box; a manual choice still wins.
      capLevelToPlayerSize: true,
      // `preload="metadata"` stops after the playlists; `start()` loads the rest.
      autoStartLoad: false,
      // Once loading starts, the first segment is requested as soon as its playlist is in, not at
      // hls.js' next 100 ms tick after the MediaSource has opened.
      startFragPrefetch: true,
      // The audio language the viewer chose on an earlier video (the audio menu remembers it).
      ...(rememberedAudio() && { audioPreference: { lang: rememberedAudio() } }),
    };
  }

  #startLoad(hls: Hls, source: HlsSource): void {
    this.#loading = true;
    hls.startLoad(source.startPosition);
  }

  #attachHlsJs(
    Hls: HlsStatic,
    source: HlsSource,
    loader: LoaderClass | undefined,
    early: { ahead: Startup; loader: LoaderClass } | null,
  ): void {
    const config = this.hlsConfig(source);
    if (loader) config.loader = loader;
    const ahead = early?.ahead ?? null;
    if (early) {
      config.pLoader = early.loader as unknown as HlsConfig['pLoader'];
      config.fLoader = early.loader as unknown as HlsConfig['fLoader'];
    }
    const hls = new Hls(config);
    this.#hls = hls;
    this.#loading = false;
    hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
      this.#levels = data.levels.map(toQualityLevel);
      if (this.#pendingLevel >= 0 && this.#pendingLevel < this.#levels.length) {
        hls.currentLevel = this.#pendingLevel;
      } else if (ahead?.levelUrl) {
        // Start on the rung whose playlist and segments are already on their way (`chooseVariant`).
        const start = data.levels.findIndex((l) => l.url.includes(ahead.levelUrl!));
        if (start >= 0) hls.startLevel = start;
      }
      if (this.#preload === 'auto') this.#startLoad(hls, source);
      else {
        // Choosing the start rung now (nothing loads before startLoad) makes hls.js list its audio
        // and subtitle renditions: the audio and captions menus are there before play.
        hls.nextLoadLevel = hls.startLevel >= 0 ? hls.startLevel : hls.firstLevel;
        void this.#readyFromPlaylist(hls, source, ahead);
      }
      this.#host.requestUpdate();
    });
    hls.on(Hls.Events.MANIFEST_LOADED, (_e, data) => this.#callbacks.startOffset?.(data.startTimeOffset));
    hls.on(Hls.Events.LEVEL_LOADED, (_e, { details }) => {
      this.#sendReady(details.totalduration, details.live);
      this.#callbacks.playlist?.({
        edge: details.edge,
        live: details.live,
        targetDuration: details.targetduration,
      });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_e, data) => {
      this.#callbacks.levelSwitched(data.level, hls.autoLevelEnabled);
      this.#host.requestUpdate();
    });
    for (const e of [
      Hls.Events.AUDIO_TRACKS_UPDATED,
      Hls.Events.AUDIO_TRACK_SWITCHING,
      Hls.Events.AUDIO_TRACK_SWITCHED,
    ])
      hls.on(e, () => this.#host.requestUpdate());
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      this.#mediaRecoveryUsed = false;
      this.#networkRecoveryUsed = false;
    });
    hls.on(Hls.Events.ERROR, (_e, data) => this.#onHlsError(hls, data));
    const opened = this.#mediaSource;
    this.#handedOver = opened?.source ?? null;
    this.#mediaSource = null;
    hls.attachMedia(opened ? { media: this.#video, mediaSource: opened.source } : this.#video);
    hls.loadSource(source.url);
  }

  #sendReady(duration: number, live: boolean): void {
    if (this.#readySent) return;
    this.#readySent = true;
    this.#callbacks.ready({ levels: this.#levels, duration, live });
  }

  /**
   * With `preload="metadata"` hls.js stops after the master playlist; the duration is in the first
   * media playlist, which is fetched here (a playlist, never a segment).
   */
  async #readyFromPlaylist(hls: Hls, source: HlsSource, ahead: Startup | null): Promise<void> {
    const url = ahead?.levelUrl ?? hls.levels[Math.max(hls.firstLevel, 0)]?.url[0];
    if (!url) return;
    const early = await ahead?.take(url)?.answer;
    const text =
      typeof early?.data === 'string'
        ? early.data
        : await fetch(url).then(
            (res) => (res.ok ? res.text() : ''),
            () => '',
          );
    if (this.#attached !== source || this.#readySent || !text) return;
    let duration = 0;
    for (const m of text.matchAll(/#EXTINF:([\d.]+)/g)) duration += Number(m[1]);
    const live = !text.includes('#EXT-X-ENDLIST');
    // The <video> learns the duration too (the seek bar, `duration`, keys that seek to 0–90 %) while
    // hls.js has loaded nothing: a MediaSource with no SourceBuffer yet may be given one.
    const ms = this.#handedOver;
    const setDuration = () => {
      if (ms?.readyState === 'open' && Number.isNaN(ms.duration)) ms.duration = duration;
    };
    if (!live && ms?.readyState === 'closed') ms.addEventListener('sourceopen', setDuration, { once: true });
    else if (!live) setDuration();
    this.#sendReady(duration, live);
    const targetDuration = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(text)?.[1] ?? 0);
    this.#callbacks.playlist?.({ edge: duration, live, targetDuration });
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
    if (String(data.type) === 'mediaError' && !this.#mediaRecoveryUsed) {
      this.#mediaRecoveryUsed = true;
      this.#callbacks.error(detail('media_error', false));
      hls.recoverMediaError();
      return;
    }
    const manifest = MANIFEST_ERRORS.has(data.details);
    if (String(data.type) === 'networkError' && !manifest && !byStatus && !this.#networkRecoveryUsed) {
      this.#networkRecoveryUsed = true;
      this.#callbacks.error(detail('network_error', false));
      hls.startLoad();
      return;
    }
    // Stop every request but keep hls.js attached, so the last frame stays on screen.
    hls.stopLoad();
    this.#callbacks.error(detail(byStatus ?? codeForHlsError(data), true));
  }

  /** Tears the current source down and attaches it again: the retry after a fatal error. */
  retry(): void {
    const source = this.#source;
    if (!source) return;
    this.#detach();
    this.#preload = 'auto';
    if (this.#connected) this.#attach();
  }

  #attachNative(source: HlsSource): void {
    const video = this.#video;
    this.#engine = 'native';
    this.#resumeAt = null;
    this.#reauthorized = false;
    this.#nativePlaying = false;
    video.addEventListener('loadedmetadata', this.#onNativeMetadata);
    video.addEventListener('error', this.#onNativeError);
    video.addEventListener('playing', this.#onNativePlaying);
    video.addEventListener('pause', this.#onNativePause);
    video.preload = this.#preload === 'auto' ? 'auto' : 'metadata';
    video.src = source.url;
  }

  #onNativeMetadata = (): void => {
    const video = this.#video;
    const start = this.#resumeAt ?? this.#attached?.startPosition ?? 0;
    this.#resumeAt = null;
    if (start > 0) video.currentTime = start;
    const duration = video.duration;
    this.#sendReady(duration, !Number.isFinite(duration));
  };

  #onNativePlaying = (): void => {
    this.#reauthorized = false;
    this.#nativePlaying = true;
  };

  #onNativePause = (): void => {
    this.#nativePlaying = false;
  };

  #onNativeError = async (): Promise<void> => {
    const video = this.#video;
    const error = video.error;
    const source = this.#attached;
    // Read now: the `pause` that follows the error has not been handled yet.
    const resume = this.#nativePlaying;
    if (!error || !source || error.code === MediaError.MEDIA_ERR_ABORTED) return;
    let code: PlayerErrorCode =
      error.code === MediaError.MEDIA_ERR_NETWORK
        ? 'network_error'
        : error.code === MediaError.MEDIA_ERR_DECODE
          ? 'media_error'
          : 'manifest_invalid';
    // A native player reports a 404 or an expired token as "could not parse": ask the server what it
    // said (about the URL playing now: a re-authorized one has a newer token), so pages get the same
    // codes as with hls.js.
    let status: number | undefined;
    if (code !== 'media_error') {
      status = await fetch(video.src || source.url, { cache: 'no-store' }).then(
        (res) => {
          res.body?.cancel();
          return res.status;
        },
        () => undefined,
      );
      code = codeForStatus(status) ?? (status && status >= 400 ? 'network_error' : code);
    }
    if (this.#attached !== source) return;
    if ((status === 401 || status === 403) && source.reauthorize && !this.#reauthorized) {
      // Once per stretch of playback (re-armed by `playing`): a refused fresh token is final.
      this.#reauthorized = true;
      const at = video.currentTime;
      const url = await source.reauthorize().catch(() => null);
      if (this.#attached !== source) return;
      if (url) {
        this.#resumeAt = at;
        video.src = url;
        if (resume) video.play().catch(() => undefined);
        return;
      }
    }
    const message = error.message || `MediaError ${error.code}`;
    this.#callbacks.error({ code, message, fatal: true, ...(status && status >= 400 ? { status } : {}) });
  };

  #destroyHls(): void {
    this.#handedOver = null;
    this.#hls?.destroy();
    this.#hls = null;
    this.#loading = false;
  }

  #detach(): void {
    this.#generation++;
    this.#started = null;
    void this.#startup?.then((ahead) => ahead?.abort());
    this.#startup = null;
    if (this.#mediaSource) {
      // Detached before hls.js took it over.
      URL.revokeObjectURL(this.#mediaSource.url);
      this.#mediaSource = null;
      this.#video.removeAttribute('src');
      this.#video.load();
    }
    if (!this.#attached) return;
    this.#attached = null;
    this.#destroyHls();
    const video = this.#video;
    if (this.#engine === 'native') {
      video.removeEventListener('loadedmetadata', this.#onNativeMetadata);
      video.removeEventListener('error', this.#onNativeError);
      video.removeEventListener('playing', this.#onNativePlaying);
      video.removeEventListener('pause', this.#onNativePause);
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

// hls.js' ErrorDetails/ErrorTypes values, as strings: importing the enums would pull hls.js into the
// element's own chunk.
function codeForHlsError(data: ErrorData): PlayerErrorCode {
  switch (String(data.details)) {
    case 'manifestParsingError':
    case 'levelEmptyError':
      return 'manifest_invalid';
    case 'manifestIncompatibleCodecsError':
      return 'unsupported_codec';
  }
  if (String(data.type) === 'networkError') return 'network_error';
  if (String(data.type) === 'mediaError') return 'media_error';
  return 'unknown';
}
