import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import { CaptionsController, cueStyles } from './captions.ts';
import type { PlayerErrorCode } from './errors.ts';
import { fire, type QualityLevel, type VodEventDetails } from './events.ts';
import { HlsController, type HlsSource } from './hls-controller.ts';
import { icons } from './icons.ts';
import { type LoaderClass, PlaybackTokenController } from './playback-token.ts';
import { playerStyles } from './player-styles.ts';
import { formatTime } from './time.ts';

/** `flat`, `360` (equirectangular), or `auto`: from the video's metadata, when known. */
export type Projection = 'flat' | '360' | 'auto';

/**
 * Media events re-dispatched on the element itself, so that `<vod-player>` can stand in for a
 * `<video>` (a standalone `<vod-scrubber for>`, `onplay=` attributes, analytics code).
 */
const FORWARDED_MEDIA_EVENTS = [
  'loadstart',
  'loadedmetadata',
  'loadeddata',
  'canplay',
  'canplaythrough',
  'play',
  'playing',
  'pause',
  'ended',
  'waiting',
  'seeking',
  'seeked',
  'timeupdate',
  'progress',
  'durationchange',
  'volumechange',
  'ratechange',
  'resize',
  'emptied',
] as const;

const IDLE_AFTER_MS = 2500;
const SEEK_STEP = 5;

const ERROR_TEXT: Partial<Record<PlayerErrorCode, string>> = {
  not_found: 'This video does not exist, or is not ready yet.',
  forbidden: 'This video is private, or your access to it has expired.',
  network_error: 'The video could not be loaded. Check your connection.',
  unsupported: 'This browser cannot play HLS video.',
  unsupported_codec: 'This browser cannot decode this video.',
};

/**
 * An HLS video player: hls.js where Media Source Extensions exist, the browser's own HLS otherwise.
 * Plays any HLS URL (`src`) or a Vodkit video (`video-id` + `api-base`, with `token` when protected),
 * and mirrors the media element API so code written for `<video>` keeps working.
 *
 * Keyboard, when the player has focus: Space/K play-pause, ←/→ seek 5 s, ↑/↓ volume, M mute,
 * F fullscreen, C captions on/off.
 *
 * @fires vod-ready - the ladder and the duration are known ({levels, duration, live})
 * @fires vod-error - {code, message, fatal, status?}; codes in `errors.ts`
 * @fires vod-quality-change - the rendition on screen changed ({level, width, height, auto})
 * @fires vod-play - playback was requested ({currentTime})
 * @fires vod-pause - playback paused ({currentTime})
 * @fires vod-time-update - about 4 times a second while playing ({currentTime, duration})
 * @fires vod-seek - the user seeked with the seek bar ({time})
 *
 * @csspart video - the `<video>`
 * @csspart big-play-button - the centered play button before the first play
 * @csspart spinner - shown while waiting for data
 * @csspart error - the overlay of a fatal error
 * @csspart controls - the bottom bar
 * @csspart scrubber - the `<vod-scrubber>`; its parts are exported as `scrubber-track`,
 *   `scrubber-buffered`, `scrubber-progress`, `scrubber-handle`, `scrubber-preview`, `scrubber-thumbnail`
 * @csspart play-button
 * @csspart mute-button
 * @csspart volume - the volume slider
 * @csspart time - current time / duration
 * @csspart captions-button - the CC button (shown when the video has subtitle or caption tracks)
 * @csspart captions-menu - Off and one item per track
 * @csspart quality-button
 * @csspart quality-menu
 * @csspart fullscreen-button
 *
 * @cssprop [--vod-accent-color=#fff] - progress, handles, highlights
 * @cssprop [--vod-control-color=#fff] - icons and text
 * @cssprop [--vod-controls-background] - the bar's backdrop (a dark gradient)
 * @cssprop [--vod-menu-background=rgb(24 24 27 / 0.94)]
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
 */
export class VodPlayer extends LitElement {
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
  /**
   * How the picture maps to the screen. Only `flat` renders today: `360` will hand the video to a
   * projection controller that lazily imports three.js, and `auto` will follow the video's metadata.
   */
  @property() projection: Projection = 'auto';
  /** A WebVTT storyboard for seek previews; with `video-id` it defaults to the video's. */
  @property() storyboard = '';
  /** The text track shown first: a language (`fr`, `pt-BR`) or `off`; empty: the stream's default track. */
  @property() captions = '';

  @state() private fatal: VodEventDetails['vod-error'] | null = null;
  @state() private started = false;
  @state() private waiting = false;
  @state() private idle = false;
  @state() private menuOpen = false;
  @state() private fullscreen = false;

  // Created up front (not in the template) so the media API works before the first render.
  readonly #video: HTMLVideoElement = Object.assign(document.createElement('video'), {
    playsInline: true,
    preload: 'metadata',
  });
  readonly #tokens = new PlaybackTokenController(this);
  readonly #hls = new HlsController(this, this.#video, {
    ready: (detail) => fire(this, 'vod-ready', detail),
    levelSwitched: (level, auto) => {
      const rung = this.#hls.levels[level];
      fire(this, 'vod-quality-change', { level, width: rung?.width ?? 0, height: rung?.height ?? 0, auto });
    },
    error: (detail) => {
      if (detail.fatal) this.fatal = detail;
      fire(this, 'vod-error', detail);
    },
  });
  readonly #captions = new CaptionsController(this, this.#video);
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #autoplayPending = false;
  #currentUrl: string | undefined;

  constructor() {
    super();
    const video = this.#video;
    video.setAttribute('part', 'video');
    for (const type of FORWARDED_MEDIA_EVENTS) {
      video.addEventListener(type, () => {
        this.dispatchEvent(new Event(type));
        this.requestUpdate();
      });
    }
    video.addEventListener('play', () => {
      this.started = true;
      fire(this, 'vod-play', { currentTime: video.currentTime });
      this.#poke();
    });
    video.addEventListener('pause', () => fire(this, 'vod-pause', { currentTime: video.currentTime }));
    video.addEventListener('timeupdate', () =>
      fire(this, 'vod-time-update', { currentTime: video.currentTime, duration: video.duration }),
    );
    video.addEventListener('waiting', () => (this.waiting = true));
    for (const type of ['playing', 'canplay', 'seeked', 'pause', 'emptied']) {
      video.addEventListener(type, () => (this.waiting = false));
    }
    video.addEventListener('loadedmetadata', () => this.#maybeAutoplay());
  }

  // --- the media element API --------------------------------------------------------------------

  /** The `<video>` inside; for integrations that need the element itself (e.g. `captureStream`). */
  get media(): HTMLVideoElement {
    return this.#video;
  }
  play(): Promise<void> {
    return this.#video.play();
  }
  pause(): void {
    this.#video.pause();
  }
  get currentTime(): number {
    return this.#video.currentTime;
  }
  set currentTime(value: number) {
    this.#video.currentTime = value;
  }
  get duration(): number {
    return this.#video.duration;
  }
  get paused(): boolean {
    return this.#video.paused;
  }
  get ended(): boolean {
    return this.#video.ended;
  }
  get seeking(): boolean {
    return this.#video.seeking;
  }
  get buffered(): TimeRanges {
    return this.#video.buffered;
  }
  get seekable(): TimeRanges {
    return this.#video.seekable;
  }
  get volume(): number {
    return this.#video.volume;
  }
  set volume(value: number) {
    this.#video.volume = Math.min(Math.max(value, 0), 1);
  }
  get muted(): boolean {
    return this.#video.muted;
  }
  set muted(value: boolean) {
    this.#video.muted = value;
  }
  get playbackRate(): number {
    return this.#video.playbackRate;
  }
  set playbackRate(value: number) {
    this.#video.playbackRate = value;
  }
  get readyState(): number {
    return this.#video.readyState;
  }
  get videoWidth(): number {
    return this.#video.videoWidth;
  }
  get videoHeight(): number {
    return this.#video.videoHeight;
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

  /**
   * Enters fullscreen with the controls, or leaves it. iPhone Safari has no element fullscreen: there
   * the video alone goes fullscreen with the system's controls.
   */
  async toggleFullscreen(): Promise<void> {
    const video = this.#video as HTMLVideoElement & { webkitEnterFullscreen?: () => void };
    if (document.fullscreenElement === this) await document.exitFullscreen();
    else if (document.fullscreenEnabled) await this.requestFullscreen();
    else video.webkitEnterFullscreen?.();
  }

  #toggleFullscreenQuietly = (): void => {
    // Refused without a user gesture or inside an iframe without allow="fullscreen": nothing to do.
    this.toggleFullscreen().catch(() => undefined);
  };

  // --- lifecycle ----------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.#onFullscreenChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.#onFullscreenChange);
    clearTimeout(this.#idleTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const video = this.#video;
    if (changed.has('playbackToken') || changed.has('token') || changed.has('tokenUrl')) {
      this.#tokens.configure(this.playbackToken || this.token, this.tokenUrl);
    }
    if (changed.has('defaultMuted')) {
      video.defaultMuted = this.defaultMuted;
      video.muted = this.defaultMuted;
    }
    if (changed.has('loop')) video.loop = this.loop;
    if (changed.has('captions')) this.#captions.preference = this.captions;
    if (changed.has('poster') || changed.has('videoId') || changed.has('apiBase') || changed.has('token')) {
      const poster = this.poster || (this.videoId && !this.src ? this.#streamUrl('poster.jpg') : '');
      if (poster) video.poster = poster;
      else video.removeAttribute('poster');
    }
    if (changed.has('src') || changed.has('videoId') || changed.has('apiBase') || changed.has('token')) {
      const source = this.#source();
      if (source?.url !== this.#currentUrl) {
        this.#currentUrl = source?.url;
        this.fatal = null;
        this.started = false;
        this.#autoplayPending = this.autoplay;
        this.#hls.load(source);
      }
    }
    if (changed.has('autoplay') && this.autoplay && !this.started && !this.#autoplayPending) {
      this.#autoplayPending = true;
      if (video.readyState >= HTMLMediaElement.HAVE_METADATA) this.#maybeAutoplay();
    }
  }

  #source(): HlsSource | null {
    const url = this.src || (this.videoId ? this.#streamUrl('master.m3u8') : '');
    const wrapLoader = (base: LoaderClass) => this.#tokens.loaderFor(base);
    return url
      ? { url: this.#withToken(url), startPosition: Math.max(this.startTime || 0, 0), wrapLoader }
      : null;
  }

  #streamUrl(file: string): string {
    const base = (this.apiBase || location.origin).replace(/\/+$/, '');
    return this.#withToken(`${base}/stream/${encodeURIComponent(this.videoId)}/${file}`);
  }

  #withToken(url: string): string {
    return this.#tokens.authorize(url);
  }

  async #maybeAutoplay(): Promise<void> {
    if (!this.#autoplayPending) return;
    this.#autoplayPending = false;
    try {
      await this.#video.play();
    } catch (err) {
      // Browsers refuse sound without a user gesture; hosted players then start muted, and so do we.
      if ((err as DOMException).name !== 'NotAllowedError') return;
      this.#video.muted = true;
      await this.#video.play().catch(() => undefined);
    } finally {
      // The big play button waits for autoplay to succeed or fail.
      this.requestUpdate();
    }
  }

  // --- interaction --------------------------------------------------------------------------------

  #togglePlay = (): void => {
    if (this.#video.paused || this.#video.ended) this.#video.play().catch(() => undefined);
    else this.#video.pause();
  };

  #toggleMute = (): void => {
    const video = this.#video;
    video.muted = !video.muted;
    // Unmuting at volume 0 would stay silent.
    if (!video.muted && video.volume === 0) video.volume = 0.5;
  };

  #onVolumeInput = (e: Event): void => {
    const value = Number((e.target as HTMLInputElement).value);
    this.#video.volume = value;
    this.#video.muted = value === 0;
  };

  #seekBy(delta: number): void {
    const video = this.#video;
    const end = Number.isFinite(video.duration) ? video.duration : Number.POSITIVE_INFINITY;
    video.currentTime = Math.min(Math.max(video.currentTime + delta, 0), end);
  }

  #onFullscreenChange = (): void => {
    this.fullscreen = document.fullscreenElement === this;
  };

  #chooseLevel(index: number): void {
    this.level = index;
    this.menuOpen = false;
    this.renderRoot.querySelector<HTMLElement>('[part="quality-button"]')?.focus();
  }

  /** Read at pointerdown: the pointermove of a tap un-idles the player before its click arrives. */
  #tapOnHiddenControls = false;

  #onViewPointerDown = (e: PointerEvent): void => {
    this.#tapOnHiddenControls = e.pointerType === 'touch' && this.idle;
  };

  #onViewClick = (): void => {
    // A click beside an open menu only closes it, as menus do elsewhere; a tap on hidden controls
    // only shows them (a finger has no hover to do that).
    if (this.menuOpen) this.menuOpen = false;
    else if (this.#tapOnHiddenControls) this.#poke();
    else this.#togglePlay();
  };

  #onMenuFocusOut = (e: FocusEvent): void => {
    const to = e.relatedTarget as Node | null;
    if (this.menuOpen && to && !(e.currentTarget as HTMLElement).contains(to)) this.menuOpen = false;
  };

  /** Arrow keys walk the menu items; Escape closes it and returns to the button. */
  #onMenuKeyDown = (e: KeyboardEvent): void => {
    if (!this.menuOpen) return;
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitemradio"]')];
    const at = items.indexOf(e.composedPath()[0] as HTMLElement);
    if (e.key === 'Escape') {
      this.menuOpen = false;
      this.renderRoot.querySelector<HTMLElement>('[part="quality-button"]')?.focus();
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && items.length) {
      const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[at < 0 ? 0 : next]?.focus();
    } else {
      return;
    }
    e.preventDefault();
  };

  /** Shows the controls, and hides them again after a while of playing untouched. */
  #poke = (): void => {
    this.idle = false;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (!this.#video.paused && !this.menuOpen) this.idle = true;
    }, IDLE_AFTER_MS);
  };

  #onKeyDown = (e: KeyboardEvent): void => {
    this.#poke();
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const origin = e.composedPath()[0];
    const onButton = origin instanceof HTMLButtonElement;
    const onRange = origin instanceof HTMLInputElement;
    switch (e.key) {
      case ' ':
        if (onButton) return;
        this.#togglePlay();
        break;
      case 'k':
      case 'K':
        this.#togglePlay();
        break;
      case 'ArrowLeft':
      case 'ArrowRight':
        if (onRange) return;
        this.#seekBy(e.key === 'ArrowLeft' ? -SEEK_STEP : SEEK_STEP);
        break;
      case 'ArrowUp':
      case 'ArrowDown':
        if (onRange || this.menuOpen) return;
        this.volume = this.#video.volume + (e.key === 'ArrowUp' ? 0.1 : -0.1);
        this.#video.muted = false;
        break;
      case 'm':
      case 'M':
        this.#toggleMute();
        break;
      case 'f':
      case 'F':
        this.#toggleFullscreenQuietly();
        break;
      case 'c':
      case 'C':
        this.#captions.toggle();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  // --- rendering ----------------------------------------------------------------------------------

  protected override render() {
    const video = this.#video;
    // Without a source or after a fatal error there is nothing to control: the box (or the message)
    // stands alone, as on hosted players.
    const showControls = !this.noControls && !this.fatal && this.#currentUrl !== undefined;
    const fatal = this.fatal;
    const idle = this.idle && !video.paused && !this.menuOpen && !fatal;
    return html`
      <div
        class="frame ${idle ? 'idle' : ''}"
        role="group"
        aria-label="Video player"
        tabindex="0"
        @keydown=${this.#onKeyDown}
        @pointermove=${this.#poke}
        @focusin=${this.#poke}
      >
        ${this.#renderView()}
        ${this.waiting && !video.paused && !fatal ? html`<div part="spinner" aria-hidden="true"></div>` : nothing}
        ${
          showControls && !this.started && !fatal && !this.#autoplayPending
            ? html`<button part="big-play-button" aria-label="Play" @click=${this.#togglePlay}>${icons.play}</button>`
            : nothing
        }
        ${fatal ? this.#renderError(fatal) : nothing} ${showControls ? this.#renderControls() : nothing}
      </div>
    `;
  }

  /** The seam for 360: `projection="360"` will render a canvas fed by the video here. */
  #renderView() {
    return html`<div class="view" @pointerdown=${this.#onViewPointerDown} @click=${this.#onViewClick} @dblclick=${this.#toggleFullscreenQuietly}>
      ${this.#video}
    </div>`;
  }

  #renderError(error: VodEventDetails['vod-error']) {
    return html`<div part="error" role="alert">
      <strong>${ERROR_TEXT[error.code] ?? 'This video could not be played.'}</strong>
      <small>${error.code}${error.status ? ` · HTTP ${error.status}` : ''}</small>
    </div>`;
  }

  #renderControls() {
    const video = this.#video;
    const playing = !video.paused && !video.ended;
    const muted = video.muted || video.volume === 0;
    const volume = muted ? 0 : video.volume;
    const canFullscreen = document.fullscreenEnabled || 'webkitEnterFullscreen' in video;
    return html`
      <div part="controls">
        <vod-scrubber
          part="scrubber"
          exportparts="track: scrubber-track, buffered: scrubber-buffered, progress: scrubber-progress, handle: scrubber-handle, preview: scrubber-preview, thumbnail: scrubber-thumbnail"
          .media=${video}
          .storyboard=${this.storyboard || (this.videoId && !this.src ? this.#streamUrl('storyboard.vtt') : '')}
        ></vod-scrubber>
        <div class="bar">
          <button part="play-button" aria-label=${playing ? 'Pause' : 'Play'} @click=${this.#togglePlay}>
            ${playing ? icons.pause : video.ended ? icons.replay : icons.play}
          </button>
          <div class="volume">
            <button part="mute-button" aria-label=${muted ? 'Unmute' : 'Mute'} @click=${this.#toggleMute}>
              ${muted ? icons.volumeMuted : volume < 0.5 ? icons.volumeLow : icons.volumeHigh}
            </button>
            <input
              part="volume"
              type="range"
              min="0"
              max="1"
              step="0.05"
              aria-label="Volume"
              .value=${String(volume)}
              style=${styleMap({ '--_fill': `${volume * 100}%` })}
              @input=${this.#onVolumeInput}
            />
          </div>
          <div part="time" aria-live="off">
            ${formatTime(video.currentTime)} <span>/ ${formatTime(video.duration)}</span>
          </div>
          <div class="spacer"></div>
          <vod-captions-menu
            exportparts="button: captions-button, menu: captions-menu"
            .controller=${this.#captions}
            .tracks=${this.#captions.tracks}
            .shown=${this.#captions.shown}
          ></vod-captions-menu>
          ${this.#renderQuality()}
          ${
            canFullscreen
              ? html`<button
                  part="fullscreen-button"
                  aria-label=${this.fullscreen ? 'Exit fullscreen' : 'Fullscreen'}
                  @click=${this.#toggleFullscreenQuietly}
                >
                  ${this.fullscreen ? icons.exitFullscreen : icons.enterFullscreen}
                </button>`
              : nothing
          }
        </div>
      </div>
    `;
  }

  #renderQuality() {
    const levels = this.#hls.levels;
    if (levels.length < 2) return nothing;
    const manual = this.#hls.level;
    const playing = levels[this.#hls.currentLevel];
    const hd = (playing?.height ?? 0) >= 720;
    const byHeight = [...levels].sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
    const item = (index: number, label: string, hint = '') => html`
      <button role="menuitemradio" aria-checked=${manual === index ? 'true' : 'false'} @click=${() => this.#chooseLevel(index)}>
        <span>${label} ${hint ? html`<span class="hint">${hint}</span>` : nothing}</span>${icons.check}
      </button>
    `;
    return html`
      <div class="quality" @focusout=${this.#onMenuFocusOut} @keydown=${this.#onMenuKeyDown}>
        <button
          part="quality-button"
          aria-label="Quality"
          aria-haspopup="menu"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          @click=${() => (this.menuOpen = !this.menuOpen)}
        >
          ${icons.settings}${hd ? html`<span class="badge" aria-hidden="true">HD</span>` : nothing}
        </button>
        ${
          this.menuOpen
            ? html`<div part="quality-menu" role="menu" aria-label="Quality">
              <header aria-hidden="true">Quality</header>
              ${item(-1, 'Auto', manual === -1 && playing ? playing.name : '')}
              ${byHeight.map((l) => item(l.index, l.name))}
            </div>`
            : nothing
        }
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('menuOpen') && this.menuOpen) {
      const menu = this.renderRoot.querySelector('[part="quality-menu"]');
      menu?.querySelector<HTMLElement>('[aria-checked="true"]')?.focus();
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'vod-player': VodPlayer;
  }
}
