import { html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { CaptionsController, cueStyles } from './captions.ts';
import type { ChaptersController } from './chapters-controller.ts';
import type { ClipController } from './clip-controller.ts';
import { controlBar } from './control-bar.ts';
import { isRetryable } from './errors.ts';
import { fire, type QualityLevel, type VodEventDetails } from './events.ts';
import { FeedbackController, importInteraction } from './feedback-controller.ts';
import {
  apiBaseUrl,
  HlsController,
  type HlsSource,
  importHls,
  mseSupported,
  type Preload,
  streamUrl,
} from './hls-controller.ts';
import { HotkeysController, type PlayerActions } from './hotkeys-controller.ts';
import { loadStrings, type PlayerStrings, type PlayerTranslations, resolveStrings } from './i18n.ts';
import { icons } from './icons.ts';
import { addMenuStyles, MenuController, PLAYBACK_RATES } from './menu-controller.ts';
import { PlaybackTokenController } from './playback-token.ts';
import { playerStyles } from './player-styles.ts';
import type { ProcessingController } from './processing-controller.ts';
import { QoeController, type QoeStats } from './qoe-controller.ts';
import { RemotePlaybackController } from './remote-playback-controller.ts';
import { formatTime } from './time.ts';
import type { TouchGestures } from './touch-gestures.ts';
import { View360Controller } from './view360-controller.ts';
import { VodMediaElement } from './vod-media-element.ts';

/**
 * `flat`, `360` (equirectangular; `equirectangular` is a synonym), or `auto`: from the video's
 * metadata — with `video-id`, what the server probed.
 */
export type Projection = 'flat' | '360' | 'equirectangular' | 'auto';

/** Media events after which the controls must be drawn again (not `timeupdate`: see `#paintTime`). */
const RERENDER_ON = [
  'play',
  'pause',
  'ended',
  'playing',
  'volumechange',
  'ratechange',
  'loadedmetadata',
  'durationchange',
  'emptied',
  'enterpictureinpicture',
  'leavepictureinpicture',
] as const;

/** What the server's public oEmbed answer tells about a Vodkit video. */
interface PublicInfo {
  title?: string;
  projection?: string;
  /** Seconds of the source: what a video still encoding will last. */
  duration?: number | null;
}

/**
 * An HLS video player: hls.js where Media Source Extensions exist, the browser's own HLS otherwise.
 * Plays any HLS URL (`src`) or a Vodkit video (`video-id` + `api-base`, with `token` when protected),
 * mirrors the media element API (see `VodMediaElement`), and renders 360° video on a sphere.
 * hls.js and three.js are imported only when needed, each as a chunk of its own.
 *
 * Keyboard shortcuts (off with `no-hotkeys`) are listed in `hotkeys-controller.ts`: Space/K, J/L,
 * arrows, 0–9, `<`/`>`, M, F, C, N/P (next/previous chapter).
 *
 * @fires vod-ready - the ladder and the duration are known ({levels, duration, live})
 * @fires vod-error - {code, message, fatal, status?}; codes in `errors.ts`
 * @fires vod-quality-change - the rendition on screen changed ({level, width, height, auto, switches})
 * @fires vod-play - playback was requested ({currentTime})
 * @fires vod-pause - playback paused ({currentTime})
 * @fires vod-time-update - about 4 times a second while playing ({currentTime, duration})
 * @fires vod-seek - the user seeked with the seek bar ({time})
 * @fires vod-startup - QoE: first frame after the play request ({ms})
 * @fires vod-rebuffer-start - QoE: a stall began ({count, currentTime})
 * @fires vod-rebuffer-end - QoE: a stall ended ({count, ms, totalMs})
 * @fires vod-captions-toggle - the C key; cancel it to handle captions yourself
 *
 * @csspart video - the `<video>`
 * @csspart canvas - the 360° view
 * @csspart title - the video's title, top left
 * @csspart notice - a message over the picture (e.g. no WebGL for 360°)
 * @csspart processing - "Processing — n% ready" before play, "Still processing…" while waiting for the encoder (a video still encoding)
 * @csspart feedback - what a shortcut or gesture did ("+10 s", "Volume 40%"), briefly; also announced to screen readers
 * @csspart big-play-button - the centered play button before the first play
 * @csspart spinner - shown while waiting for data
 * @csspart error - the overlay of a fatal error
 * @csspart retry-button - in the error overlay
 * @csspart controls - the bottom bar
 * @csspart scrubber - the `<vod-scrubber>`; its parts are exported as `scrubber-track`,
 *   `scrubber-buffered`, `scrubber-progress`, `scrubber-handle`, `scrubber-preview`, `scrubber-thumbnail`
 * @csspart play-button
 * @csspart mute-button
 * @csspart volume - the volume slider
 * @csspart time - current time / duration
 * @csspart captions-button - the CC button (shown when the video has subtitle or caption tracks)
 * @csspart captions-menu - Off, one item per track, then the caption settings (text size, background)
 * @csspart audio-button - shown when the stream has two or more audio renditions (languages)
 * @csspart audio-menu - one item per audio rendition; the choice is remembered for the next videos
 * @csspart chapters-button - shown when the video has chapters
 * @csspart chapters-menu - one item per chapter
 * @csspart speed-button
 * @csspart speed-menu
 * @csspart quality-button
 * @csspart quality-menu
 * @csspart reset-view-button - 360° only
 * @csspart motion-button - 360° on phones
 * @csspart pip-button
 * @csspart cast-button - remote playback, where the browser offers a device
 * @csspart fullscreen-button
 *
 * @cssprop [--vod-accent-color=#fff] - progress, handles, highlights
 * @cssprop [--vod-control-color=#fff] - icons and text
 * @cssprop [--vod-controls-background] - the bar's backdrop (a dark gradient)
 * @cssprop [--vod-menu-background=rgb(24 24 27 / 0.94)]
 * @cssprop [--vod-badge-background=#be123c] - the HD badge
 * @cssprop [--vod-big-play-background=rgb(0 0 0 / 0.55)]
 * @cssprop [--vod-focus-color=rgb(255 255 255 / 0.9)]
 * @cssprop [--vod-font-family=system-ui]
 * @cssprop [--vod-player-aspect-ratio=16 / 9] - the box when no height is set; the video is letterboxed
 * @cssprop [--vod-player-background=#000]
 * @cssprop [--vod-player-radius=0]
 * @cssprop [--vod-cue-color=#fff] - caption text (drawn by the browser: `video::cue`)
 * @cssprop [--vod-cue-background=rgb(0 0 0 / 0.75)]
 * @cssprop [--vod-cue-font-family=inherit]
 * @cssprop [--vod-cue-text-shadow=none]
 * @cssprop [--vod-cue-lift=64px] - how far cues move up while the control bar shows
 * @cssprop [--vod-cue-scale=1] - caption text size; the viewer's caption settings set it (stored in this browser)
 */
export class VodPlayer extends VodMediaElement {
  static override styles = [playerStyles, cueStyles];

  /** Any HLS URL (master or media playlist). Wins over `video-id`. */
  @property() src = '';
  /** A Vodkit video: plays `${apiBase}/stream/${videoId}/master.m3u8`; the stream endpoints are public. */
  @property({ attribute: 'video-id' }) videoId = '';
  /** Where the Vodkit server answers; defaults to the page's origin. */
  @property({ attribute: 'api-base' }) apiBase = '';
  /** A playback token of a protected video, sent as `?token=`; the server carries it into the playlists. */
  @property() token = '';
  /** The same as `token` (the documented name); refreshed from `token-url` before it expires. */
  @property({ attribute: 'playback-token' }) playbackToken = '';
  /** Where fresh playback tokens come from (`POST`, `{token}`): before `exp`, and after a 401/403. */
  @property({ attribute: 'token-url' }) tokenUrl = '';
  /** Image shown before playback; with `video-id` it defaults to the video's poster. */
  @property() poster = '';
  /** Starts playing as soon as it can; falls back to muted when the browser refuses sound. */
  @property({ type: Boolean }) autoplay = false;
  /** The `muted` attribute: the initial state, like `<video muted>`. The `muted` property is the live one. */
  @property({ type: Boolean, attribute: 'muted' }) defaultMuted = false;
  @property({ type: Boolean }) loop = false;
  /** Seconds to start at. */
  @property({ type: Number, attribute: 'start-time' }) startTime = 0;
  /** Hides the built-in controls (keyboard shortcuts stay); for pages that draw their own. */
  @property({ type: Boolean, attribute: 'no-controls' }) noControls = false;
  /** Turns the keyboard shortcuts off (focused buttons, sliders and menus keep their keys). */
  @property({ type: Boolean, attribute: 'no-hotkeys' }) noHotkeys = false;
  /** How the picture maps to the screen; `360` renders on a sphere with three.js. */
  @property() projection: Projection = 'auto';
  /** A WebVTT storyboard for seek previews; with `video-id` it defaults to the video's. */
  @property() storyboard = '';
  /** Instant clip: seconds of the video where playback starts (with `video-id`, the server cuts the playlists). */
  @property({ type: Number, attribute: 'start' }) clipStart: number | null = null;
  /** Instant clip: seconds of the video where playback pauses. */
  @property({ type: Number, attribute: 'end' }) clipEnd: number | null = null;
  /** The text track shown first: a language (`fr`, `pt-BR`) or `off`; empty: the stream's default track. */
  @property() captions = '';
  /**
   * What to fetch before play, as `<video preload>`: `none` only the poster, `metadata` (the default,
   * as browsers do) the playlists, `auto` (or an empty attribute) playlists and the first segments.
   * `autoplay` implies `auto`.
   */
  @property() preload: Preload = 'metadata';
  /** `lazy`: nothing (not even the poster) loads until the player is about a screen away from view. */
  @property() loading: 'eager' | 'lazy' = 'eager';
  /** Shown top left; with `video-id` it defaults to the upload's title. */
  @property({ attribute: 'video-title' }) videoTitle = '';
  /** Strings per language that replace the built-in ones: `{ fr: { play: 'Lire' } }`. */
  @property({ attribute: false }) translations: PlayerTranslations = {};

  @state() private fatal: VodEventDetails['vod-error'] | null = null;
  @state() private started = false;
  /** A frame has played: from then on the extras (storyboard) may load without slowing the start. */
  @state() private hasPlayed = false;
  @state() private waiting = false;
  @state() private fullscreen = false;
  @state() private near = false;
  @state() private info: PublicInfo | null = null;
  /**
   * An autoplaying player lays its control bar out once its first frame is there (or a viewer reaches
   * for it, or a second has passed): done before, that layout held the main thread for ~40 ms just
   * when hls.js needed it, which put the first frame 1.18× behind bare hls.js instead of 1.03×.
   */
  @state() private barDeferred = false;
  #barTimer: ReturnType<typeof setTimeout> | undefined;
  /** The bar has been on screen: a new source never takes it away again. */
  #barShown = false;

  readonly #tokens = new PlaybackTokenController(this);
  readonly #captions = new CaptionsController(this, this.media);
  readonly #hls = new HlsController(this, this.media, {
    ready: (detail) => {
      // With preload="metadata" the media element has no duration yet; the playlists told it.
      this.#playlistDuration = detail.duration;
      this.requestUpdate();
      fire(this, 'vod-ready', detail);
    },
    levelSwitched: (level, auto) => {
      const rung = this.#hls.levels[level];
      const switches = this.#qoe.levelSwitched();
      fire(this, 'vod-quality-change', {
        level,
        width: rung?.width ?? 0,
        height: rung?.height ?? 0,
        auto,
        switches,
      });
    },
    error: (detail) => {
      if (detail.fatal) this.fatal = detail;
      fire(this, 'vod-error', detail);
    },
    playlist: (update) => {
      // A video still encoding: its controller (a chunk of its own) holds playback back from the edge.
      if (this.#processing || !update.live) this.#processing?.update(update);
      else
        void import('./processing-controller.ts').then((m) => {
          this.#processing ??= new m.ProcessingController(
            this,
            this.media,
            () => this.info?.duration ?? null,
          );
          this.#processing.update(update);
        });
    },
  });
  #processing: ProcessingController | null = null;
  /** Chapters and instant clips are chunks of their own, imported when a video has them. */
  #chapters: ChaptersController | null = null;
  #clip: ClipController | null = null;
  readonly #view360 = new View360Controller(this, this.media);
  readonly #qoe = new QoeController(this, this.media);
  readonly #feedback = new FeedbackController(this, {
    media: this.media,
    strings: () => this.#strings(),
    captionsShown: () => this.#captions.shown?.label || this.#captions.shown?.language || '',
  });
  readonly #actions: PlayerActions = this.#feedback.announcing(this.#makeActions());
  /** Double tap to seek: loaded on touch screens (interaction.ts); mouse clicks never need it. */
  #gestures: TouchGestures | null = null;
  readonly #keys = new HotkeysController(this, this.#actions);
  readonly #menus = new MenuController(this);
  readonly #remote = new RemotePlaybackController(this, this.media);
  #autoplayPending = false;
  #playlistDuration = Number.NaN;
  #currentUrl: string | undefined;
  #near: IntersectionObserver | null = null;
  #infoFor = '';
  #stringsLang = '';

  constructor() {
    super();
    const video = this.media;
    video.setAttribute('part', 'video');
    for (const type of RERENDER_ON) video.addEventListener(type, () => this.requestUpdate());
    video.addEventListener('timeupdate', () => {
      this.#paintTime();
      fire(this, 'vod-time-update', { currentTime: video.currentTime, duration: video.duration });
    });
    video.addEventListener('play', () => {
      // Viewer analytics, a chunk of its own: on a video-id player's plays (it attaches once), unless `no-analytics`.
      if (this.#byId() && !this.hasAttribute('no-analytics'))
        void import('./analytics.ts').then((m) => m.default(this));
      this.started = true;
      fire(this, 'vod-play', { currentTime: video.currentTime });
      this.#keys.poke();
    });
    video.addEventListener('pause', () => fire(this, 'vod-pause', { currentTime: video.currentTime }));
    video.addEventListener('waiting', () => (this.waiting = true));
    for (const type of ['playing', 'canplay', 'seeked', 'pause', 'emptied']) {
      video.addEventListener(type, () => (this.waiting = false));
    }
    video.addEventListener('loadedmetadata', () => this.#maybeAutoplay());
    video.addEventListener('loadeddata', () => this.#showBar());
    video.addEventListener('playing', () => (this.hasPlayed = true));
  }

  // --- API beyond the media element ---------------------------------------------------------------

  /** Starts playback; with `preload="none"` (or a lazy player still out of view) it loads first. */
  override async play(): Promise<void> {
    this.#qoe.playRequested();
    this.near = true;
    if (this.isUpdatePending) await this.updateComplete;
    if (this.#hls.idle || this.#hls.engine === 'hls.js') await this.#hls.start();
    return super.play();
  }
  /** Whether the built-in controls show; the reverse of the `no-controls` attribute. */
  get controls(): boolean {
    return !this.noControls;
  }
  set controls(value: boolean) {
    this.noControls = !value;
  }
  /** The renditions of the stream, lowest bitrate first (hls.js' order); empty with native HLS. */
  get levels(): QualityLevel[] {
    return this.#hls.levels;
  }
  /** The rendition chosen by hand, or -1 for adaptive (automatic) selection. */
  get level(): number {
    return this.#hls.level;
  }
  set level(index: number) {
    this.#hls.level = index;
    this.requestUpdate();
  }
  /** The last fatal `vod-error` detail of the current source, or null. */
  get error(): VodEventDetails['vod-error'] | null {
    return this.fatal;
  }
  /** The rendition playing right now, also while adaptive; -1 when unknown. */
  get currentLevel(): number {
    return this.#hls.currentLevel;
  }
  /** Startup time, rebuffering and rendition switches of the current source. */
  get qoe(): QoeStats {
    return this.#qoe.stats;
  }
  /**
   * The 360° view: `state` (`off`, `loading`, `on`, `no-webgl`), where it looks (degrees, null when
   * flat) and how many frames it has drawn.
   */
  get view360(): { state: string; yaw: number; pitch: number; fov: number; frames: number } | null {
    const angles = this.#view360.angles;
    if (this.#view360.state === 'off') return null;
    return { state: this.#view360.state, yaw: 0, pitch: 0, fov: 0, ...angles, frames: this.#view360.frames };
  }
  /** Points the 360° view back to the middle of the picture. */
  resetView(): void {
    this.#view360.reset();
  }

  /**
   * Enters fullscreen with the controls, or leaves it. iPhone Safari has no element fullscreen: there
   * the video alone goes fullscreen with the system's controls.
   */
  async toggleFullscreen(): Promise<void> {
    const video = this.media as HTMLVideoElement & { webkitEnterFullscreen?: () => void };
    if (document.fullscreenElement === this) await document.exitFullscreen();
    else if (document.fullscreenEnabled) await this.requestFullscreen();
    else video.webkitEnterFullscreen?.();
  }

  #toggleFullscreenQuietly = (): void => {
    // Refused without a user gesture or inside an iframe without allow="fullscreen": nothing to do.
    this.toggleFullscreen().catch(() => undefined);
  };

  async #togglePip(): Promise<void> {
    if (document.pictureInPictureElement === this.media) await document.exitPictureInPicture();
    else await this.media.requestPictureInPicture();
  }

  // --- lifecycle ----------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.#onFullscreenChange);
    this.#observeNear();
    if (matchMedia('(pointer: coarse)').matches) this.#loadGestures();
    // Start fetching hls.js now rather than at the first render: it is the long pole of the first frame.
    if (this.near && (this.src || this.videoId) && this.#effectivePreload() !== 'none' && mseSupported()) {
      void importHls();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.#onFullscreenChange);
    this.#near?.disconnect();
    this.#near = null;
  }

  /** `loading="lazy"`: wait until the player is within about a screen of the viewport. */
  #observeNear(): void {
    if (this.near || this.loading !== 'lazy' || typeof IntersectionObserver === 'undefined') {
      this.near = true;
      return;
    }
    this.#near?.disconnect();
    this.#near = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        this.near = true;
        this.#near?.disconnect();
        this.#near = null;
      },
      { rootMargin: '100% 0px' },
    );
    this.#near.observe(this);
  }

  protected override willUpdate(changed: PropertyValues): void {
    const video = this.media;
    if (changed.has('playbackToken') || changed.has('token') || changed.has('tokenUrl')) {
      this.#tokens.configure(this.playbackToken || this.token, this.tokenUrl);
    }
    if (changed.has('captions')) this.#captions.preference = this.captions;
    if (changed.has('loading') && this.isConnected) this.#observeNear();
    if (changed.has('defaultMuted')) {
      video.defaultMuted = this.defaultMuted;
      video.muted = this.defaultMuted;
    }
    if (changed.has('loop')) video.loop = this.loop;
    const sourceChanged = [
      'src',
      'videoId',
      'apiBase',
      'token',
      'playbackToken',
      'clipStart',
      'clipEnd',
    ].some((k) => changed.has(k));
    if (sourceChanged || changed.has('poster') || changed.has('near')) {
      const poster = this.poster || (this.#byId() ? this.#streamUrl('poster.jpg') : '');
      if (poster && this.near) video.poster = poster;
      else video.removeAttribute('poster');
    }
    // An autoplaying player asks after its first frame: the start must not wait behind it.
    const infoNow = !this.autoplay || this.hasPlayed;
    if (this.near && infoNow && this.#byId() && this.#infoFor !== this.#streamUrl('')) this.#fetchInfo();
    if (changed.has('projection') || changed.has('info')) {
      // Textures from another origin need CORS; only the sphere reads the pixels.
      if (this.#wants360()) video.crossOrigin = 'anonymous';
    }
    if (sourceChanged || changed.has('near') || changed.has('preload') || changed.has('autoplay')) {
      const source = this.#source();
      if (source?.url !== this.#currentUrl) {
        this.#currentUrl = source?.url;
        this.fatal = null;
        this.started = false;
        this.hasPlayed = false;
        this.#autoplayPending = this.autoplay;
        clearTimeout(this.#barTimer);
        this.barDeferred = this.autoplay && !!source && !this.#barShown;
        if (this.barDeferred) this.#barTimer = setTimeout(() => this.#showBar(), 1000);
        this.#playlistDuration = Number.NaN;
        this.#qoe.reset();
        this.#processing?.dispose();
        this.#processing = null;
      }
      this.#configureClip(source?.url ?? '');
      this.#hls.load(source, this.#effectivePreload());
    }
    // Chapters are extras, as seek previews: not before the first frame, nor before play unless the
    // page asked to preload. Not on a clip: its timeline starts at its first segment, not at the
    // video's start that chapter times count from.
    if (this.near && (this.hasPlayed || (this.#effectivePreload() === 'auto' && !this.autoplay))) {
      this.#loadChapters();
    }
    if (changed.has('autoplay') && this.autoplay && !this.started && !this.#autoplayPending) {
      this.#autoplayPending = true;
      if (video.readyState >= HTMLMediaElement.HAVE_METADATA) this.#maybeAutoplay();
    }
  }

  #effectivePreload(): Preload {
    if (!this.near) return 'none';
    if (this.autoplay) return 'auto';
    return this.preload === 'none' || this.preload === 'metadata' ? this.preload : 'auto';
  }

  #byId(): boolean {
    return !!this.videoId && !this.src;
  }

  /** The chunk of chapters and clips (`player-extras.ts`), then `use` it. */
  #extras(use: (m: typeof import('./player-extras.ts')) => void): void {
    void import('./player-extras.ts').then(use);
  }

  #loadChapters(): void {
    const url = this.#byId() && !this.#clipped() ? this.#streamUrl('chapters.vtt') : '';
    if (this.#chapters || !url) this.#chapters?.load(url);
    else
      this.#extras((m) => {
        this.#chapters ??= new m.ChaptersController(this, this.media);
        this.#loadChapters();
      });
  }

  /** The clip's controller, made the first time a source has `start` or `end`. */
  #configureClip(url: string): void {
    const { clipStart: start, clipEnd: end } = this;
    if (this.#clip || start !== null || end !== null)
      this.#extras((m) => {
        this.#clip ??= new m.ClipController(this, this.media);
        this.#clip.configure(url, start, end, this.#clipped());
      });
  }

  /** With `video-id` and `start`/`end`, the server cuts the playlists to the clip (and checks them). */
  #clipped(): boolean {
    return this.#byId() && (this.clipStart ?? this.clipEnd) !== null;
  }

  #source(): HlsSource | null {
    const end = this.clipEnd === null ? '' : `&end=${this.clipEnd}`;
    const master = `master.m3u8${this.#clipped() ? `?start=${this.clipStart ?? 0}${end}` : ''}`;
    const url = this.src || (this.videoId ? streamUrl(this.apiBase, this.videoId, master) : '');
    return url ? this.#tokens.source(url, Math.max(this.startTime || 0, 0)) : null;
  }

  #streamUrl(file: string): string {
    return this.#tokens.authorize(streamUrl(this.apiBase, this.videoId, file));
  }

  /**
   * With `video-id`, the title and projection come from the server's public oEmbed answer (the video
   * API itself needs an API token, which a viewer's page does not have).
   */
  async #fetchInfo(): Promise<void> {
    const key = this.#streamUrl('');
    this.#infoFor = key;
    const base = apiBaseUrl(this.apiBase);
    const embed = `${base}/embed/${encodeURIComponent(this.videoId)}`;
    const info = await fetch(`${base}/oembed?url=${encodeURIComponent(embed)}`).then(
      (res) => (res.ok ? (res.json() as Promise<PublicInfo>) : null),
      () => null,
    );
    if (this.#infoFor === key) this.info = info;
  }

  #wants360(): boolean {
    const p = this.projection;
    if (p === '360' || p === 'equirectangular') return true;
    return p === 'auto' && this.#byId() && this.info?.projection === 'equirectangular';
  }

  #showBar(): void {
    clearTimeout(this.#barTimer);
    this.barDeferred = false;
  }

  #onActivity = (): void => {
    this.#showBar();
    this.#keys.poke();
    void addMenuStyles(this.renderRoot);
  };

  async #maybeAutoplay(): Promise<void> {
    if (!this.#autoplayPending) return;
    this.#autoplayPending = false;
    try {
      await this.play();
    } catch (err) {
      // Browsers refuse sound without a user gesture; hosted players then start muted, and so do we.
      if ((err as DOMException).name !== 'NotAllowedError') return;
      this.media.muted = true;
      await this.play().catch(() => undefined);
    } finally {
      // The big play button waits for autoplay to succeed or fail, and so does the bar.
      this.#showBar();
      this.requestUpdate();
    }
  }

  #makeActions(): PlayerActions {
    const player = this;
    return {
      get paused() {
        return player.media.paused;
      },
      get menuOpen() {
        return player.#menus.open !== null;
      },
      get hotkeys() {
        return !player.noHotkeys;
      },
      togglePlay: () => this.#togglePlay(),
      seekBy: (s) => this.#seekTo(this.media.currentTime + s),
      seekToFraction: (f) => {
        if (Number.isFinite(this.media.duration)) this.#seekTo(this.media.duration * f);
      },
      volumeBy: (d) => {
        this.volume = this.media.volume + d;
        this.media.muted = false;
      },
      toggleMute: () => this.#toggleMute(),
      toggleFullscreen: () => this.#toggleFullscreenQuietly(),
      toggleCaptions: () => this.#toggleCaptions(),
      jumpChapter: (direction) => !!this.#chapters?.jump(direction),
      stepSpeed: (direction) => {
        const at = PLAYBACK_RATES.findIndex((r) => r >= this.media.playbackRate);
        const next =
          PLAYBACK_RATES[Math.min(Math.max((at < 0 ? 2 : at) + direction, 0), PLAYBACK_RATES.length - 1)];
        if (next) this.media.playbackRate = next;
      },
      viewKey: (key) => this.#view360.handleKey(key),
      controls: () => this.renderRoot.querySelector('[part="controls"]'),
    };
  }

  // --- interaction --------------------------------------------------------------------------------

  #togglePlay = (): void => {
    if (this.media.paused || this.media.ended) this.play().catch(() => undefined);
    else this.media.pause();
  };

  #toggleMute = (): void => {
    const video = this.media;
    video.muted = !video.muted;
    // Unmuting at volume 0 would stay silent.
    if (!video.muted && video.volume === 0) video.volume = 0.5;
  };

  #toggleCaptions(): void {
    const handled = !fire(this, 'vod-captions-toggle', {});
    if (!handled) this.#captions.toggle();
  }

  #onVolumeInput = (e: Event): void => {
    const value = Number((e.target as HTMLInputElement).value);
    this.media.volume = value;
    this.media.muted = value === 0;
  };

  #seekTo(time: number): void {
    const video = this.media;
    const end = Number.isFinite(video.duration) ? video.duration : Number.POSITIVE_INFINITY;
    video.currentTime = Math.min(Math.max(time, 0), end);
  }

  #onFullscreenChange = (): void => {
    this.fullscreen = document.fullscreenElement === this;
  };

  #retry = (): void => {
    this.fatal = null;
    this.#hls.retry();
    this.play().catch(() => undefined);
  };

  /** Read at pointerdown: the pointermove of a tap un-idles the player before its click arrives. */
  #tapOnHiddenControls = false;

  #onViewPointerDown = (e: PointerEvent): void => {
    this.#tapOnHiddenControls = e.pointerType === 'touch' && this.#keys.idle;
    if (e.pointerType === 'touch') this.#loadGestures();
    this.#gestures?.pointerDown(e);
    this.#view360.onPointerDown(e);
  };

  #onViewClick = (e: MouseEvent): void => {
    // A drag of the 360° view is not a click; a click beside an open menu only closes it, as menus do
    // elsewhere; a tap on hidden controls only shows them (a finger has no hover to do that). A touch
    // tap on a side may be the first of a double tap (touch-gestures.ts).
    if (this.#view360.consumeDrag()) return;
    const hidden = this.#tapOnHiddenControls;
    const tap = () => {
      if (this.#menus.open) this.#menus.close();
      else if (hidden) this.#keys.poke();
      else this.#togglePlay();
    };
    if (this.#gestures) this.#gestures.click(e, tap);
    else tap();
  };

  #loadGestures(): void {
    void importInteraction().then((m) => {
      this.#gestures ??= new m.TouchGestures((seconds) => this.#actions.seekBy(seconds));
    });
  }

  /**
   * The clock is written straight into the DOM: a `timeupdate` must not re-render the whole bar. Its
   * span has no Lit binding inside, so this write and Lit's renders never fight over the node.
   */
  #paintTime(): void {
    const el = this.renderRoot?.querySelector('[part="time"] .current');
    if (el) el.textContent = formatTime(this.media.currentTime);
  }

  // --- rendering ----------------------------------------------------------------------------------

  #strings(): PlayerStrings {
    const lang =
      this.lang ||
      this.closest<HTMLElement>('[lang]')?.lang ||
      document.documentElement.lang ||
      (typeof navigator !== 'undefined' ? navigator.language : 'en');
    const touch = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
    if (lang !== this.#stringsLang) {
      // French and German are chunks of their own: until one arrives the labels read English (almost
      // all of them are aria-labels; visible text such as errors comes later anyway).
      this.#stringsLang = lang;
      void loadStrings(lang).then((changed) => changed && this.requestUpdate());
    }
    return resolveStrings(lang, this.translations, touch);
  }

  protected override render() {
    const t = this.#strings();
    const video = this.media;
    // Without a source or after a fatal error there is nothing to control: the box (or the message)
    // stands alone, as on hosted players.
    const showControls = !this.noControls && !this.fatal && this.#currentUrl !== undefined;
    const bar = showControls && !this.barDeferred;
    this.#barShown ||= bar;
    const fatal = this.fatal;
    const idle = this.#keys.idle && !video.paused && !this.#menus.open && !fatal;
    const title = this.videoTitle || (this.#byId() ? (this.info?.title ?? '') : '');
    return html`
      <div
        class="frame ${idle ? 'idle' : ''}"
        role="group"
        aria-label=${title ? `${t.player}: ${title}` : t.player}
        tabindex="0"
        @keydown=${this.#keys.onKeyDown}
        @pointermove=${this.#onActivity}
        @focusin=${this.#onActivity}
      >
        ${this.#renderView(t)} ${this.#processing?.render(t, this.started)}
        ${title ? html`<div part="title">${title}</div>` : nothing}
        ${this.waiting && !video.paused && !fatal ? html`<div part="spinner" aria-hidden="true"></div>` : nothing}
        ${
          showControls && !this.started && !fatal && !this.#autoplayPending
            ? html`<button part="big-play-button" aria-label=${t.play} @click=${this.#togglePlay}>${icons.play}</button>`
            : nothing
        }
        ${fatal ? this.#renderError(fatal, t) : nothing} ${bar ? this.#renderControls(t) : nothing}
        ${this.#feedback.render()}
      </div>
    `;
  }

  #renderView(t: PlayerStrings) {
    // three.js (~130 KB gz) comes once the video is played or buffered before play: the poster
    // stands in until then.
    const sphere = this.#wants360() && (this.started || this.#effectivePreload() === 'auto');
    const state = this.#view360.state;
    const on = sphere && (state === 'on' || state === 'loading');
    return html`<div
        class="view ${on ? 'sphere-on' : ''}"
        @pointerdown=${this.#onViewPointerDown}
        @pointermove=${this.#view360.onPointerMove}
        @pointerup=${this.#view360.onPointerUp}
        @pointercancel=${this.#view360.onPointerUp}
        @wheel=${this.#view360.onWheel}
        @click=${this.#onViewClick}
        @dblclick=${() => (this.#gestures ? this.#gestures.dblclick(this.#toggleFullscreenQuietly) : this.#toggleFullscreenQuietly())}
      >
        ${this.media} ${sphere ? html`<div class="sphere" role="img" aria-label="${t.view360}. ${t.view360Hint}"></div>` : nothing}
      </div>
      ${sphere && (state === 'no-webgl' || state === 'no-three') ? html`<div part="notice" role="status">${state === 'no-three' ? t.needsThree : t.noWebgl}</div>` : nothing}`;
  }

  #renderError(error: VodEventDetails['vod-error'], t: PlayerStrings) {
    return html`<div part="error" role="alert">
      <strong>${t.errors[error.code] ?? t.errorGeneric}</strong>
      <small>${error.code}${error.status ? ` · HTTP ${error.status}` : ''}</small>
      ${
        isRetryable(error.code)
          ? html`<button part="retry-button" @click=${this.#retry}>${icons.replay}<span>${t.retry}</span></button>`
          : nothing
      }
    </div>`;
  }

  #renderControls(t: PlayerStrings) {
    const video = this.media;
    const captions = this.#captions;
    return controlBar({
      t,
      video,
      // Seek previews are extra bytes: not before the first frame (they would compete with it), nor
      // before play unless the page asked to preload.
      storyboard:
        this.hasPlayed || (this.#effectivePreload() === 'auto' && !this.autoplay)
          ? this.storyboard || (this.#byId() ? this.#streamUrl('storyboard.vtt') : '')
          : '',
      duration: Number.isFinite(video.duration) ? video.duration : this.#playlistDuration,
      captions: captions.tracks.length > 0 && captions.menuReady() ? captions : null,
      chapters: this.#chapters,
      view360: this.#view360,
      menus: [
        this.#audioMenu(t),
        this.#menus.speed(t, video.playbackRate, (rate) => (video.playbackRate = rate)),
        this.#menus.quality(
          t,
          this.#hls.levels,
          this.#hls.level,
          this.#hls.currentLevel,
          (level) => (this.level = level),
        ),
      ],
      canPip: document.pictureInPictureEnabled && !video.disablePictureInPicture && !this.#wants360(),
      castAvailable: this.#remote.available,
      fullscreen: this.fullscreen,
      togglePlay: this.#togglePlay,
      toggleMute: this.#toggleMute,
      onVolumeInput: this.#onVolumeInput,
      togglePip: () => this.#togglePip().catch(() => undefined),
      cast: () => this.#remote.prompt(),
      toggleFullscreen: this.#toggleFullscreenQuietly,
    });
  }

  /** The audio menu (a chunk of its own) for a stream with two or more audio renditions. */
  #audioMenu(t: PlayerStrings) {
    const tracks = this.#hls.audioTracks;
    if (tracks.length < 2) return nothing;
    if (!customElements.get('vod-audio-menu')) {
      // Defined here from the export: the chunk's own registration is a side effect a bundler may drop.
      void import('./vod-audio-menu.ts').then(({ VodAudioMenu }) => {
        if (!customElements.get('vod-audio-menu')) customElements.define('vod-audio-menu', VodAudioMenu);
        this.requestUpdate();
      });
      return nothing;
    }
    return html`<vod-audio-menu
      exportparts="button: audio-button, menu: audio-menu"
      .tracks=${tracks}
      .current=${this.#hls.audioTrack}
      .label=${t.audio ?? 'Audio'}
      .choose=${(i: number) => (this.#hls.audioTrack = i)}
    ></vod-audio-menu>`;
  }

  protected override updated(): void {
    this.#paintTime();
    // The sphere's box exists only after render: hand it to the 360° controller (null goes flat).
    void this.#view360.enable(this.renderRoot.querySelector<HTMLElement>('.sphere'));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'vod-player': VodPlayer;
  }
}
