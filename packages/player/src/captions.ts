import { css, type ReactiveController, type ReactiveControllerHost } from 'lit';

/**
 * Captions work on the `<video>`'s own `textTracks`, whoever made them: hls.js (the master
 * playlist's SUBTITLES group, rendered natively), Safari's native HLS, or `<track>` children.
 * One code path, and the browser draws the cues, so `::cue` styles them.
 */

const CAPTION_KINDS = new Set(['subtitles', 'captions']);

/** The subtitle and caption tracks of a media element, in its order. */
export function captionTracks(media: HTMLMediaElement): TextTrack[] {
  return [...media.textTracks].filter((t) => CAPTION_KINDS.has(t.kind));
}

/** The track on screen, or null when captions are off. */
export function shownTrack(media: HTMLMediaElement): TextTrack | null {
  return captionTracks(media).find((t) => t.mode === 'showing') ?? null;
}

/** Shows one track (null: none). The others are disabled, so hls.js stops loading them. */
export function showTrack(media: HTMLMediaElement, track: TextTrack | null): void {
  for (const t of captionTracks(media)) {
    const mode: TextTrackMode = t === track ? 'showing' : 'disabled';
    if (t.mode !== mode) t.mode = mode;
  }
}

/** The track that best matches a BCP 47 tag: the same tag, else the same primary language. */
export function trackForLanguage(tracks: readonly TextTrack[], language: string): TextTrack | null {
  const wanted = language.toLowerCase();
  const primary = wanted.split('-')[0];
  return (
    tracks.find((t) => t.language.toLowerCase() === wanted) ??
    tracks.find((t) => t.language.toLowerCase().split('-')[0] === primary) ??
    null
  );
}

/** A track's name in menus: its label, else its language, else its position. */
export function trackName(track: TextTrack, index: number, word = 'Track'): string {
  return track.label || track.language || `${word} ${index + 1}`;
}

/**
 * A `<track>` without `src` empties its cue list a task after its first switch away from `disabled`
 * (the browser's track loading, which then fails: `error`). hls.js 1.7 can add a subtitle fragment's
 * cues inside that window, and never loads that fragment again (hls.js #7691, fixed there for
 * CEA-608 only): captions then stay blank. So every `<track>` added to `media` remembers what is added
 * until its load has run, and gets it back after.
 */
export function keepEarlyCues(media: HTMLMediaElement): void {
  new MutationObserver((records) => {
    for (const { addedNodes } of records)
      for (const el of addedNodes) {
        if (!(el instanceof HTMLTrackElement) || el.src || el.readyState > 1) continue;
        const track = el.track;
        const kept = Array.from(track.cues ?? []);
        const add = track.addCue;
        track.addCue = (cue) => {
          kept.push(cue);
          add.call(track, cue);
        };
        el.addEventListener(
          'error',
          () => {
            delete (track as { addCue?: unknown }).addCue;
            const left = new Set(Array.from(track.cues ?? []));
            for (const cue of kept) if (!left.has(cue)) add.call(track, cue);
          },
          { once: true },
        );
      }
  }).observe(media, { childList: true });
}

/** The CC menu's chunk, shared by every player on the page. */
let menuChunk: Promise<unknown> | undefined;

/**
 * Keeps a host in step with a media element's caption tracks, applies the host's starting choice
 * (`captions` attribute: a language or `off`; empty leaves the stream's DEFAULT track on) once per
 * source until the viewer chooses, and remembers the last track for the `c` toggle.
 */
export class CaptionsController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #media: HTMLMediaElement;
  #preference = '';
  #chosenByViewer = false;
  #last: TextTrack | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** `<track>`s this controller added itself, with their blob: URLs. */
  readonly #sidecars = new Map<HTMLTrackElement, string>();
  #sidecarRun = 0;
  #menuPending = false;

  constructor(host: ReactiveControllerHost, media: HTMLMediaElement) {
    this.#host = host;
    this.#media = media;
    keepEarlyCues(media);
    host.addController(this);
  }

  /** A BCP 47 tag to start with, `off`, or empty for the stream's default track. */
  set preference(value: string) {
    if (value === this.#preference) return;
    this.#preference = value;
    this.#chosenByViewer = false;
    this.#schedule();
  }

  get tracks(): TextTrack[] {
    return captionTracks(this.#media);
  }

  get shown(): TextTrack | null {
    return shownTrack(this.#media);
  }

  /**
   * Whether `<vod-captions-menu>` is defined; if not, fetches its chunk (once per page) and renders
   * again when it arrives. Asked only when the video has caption tracks, so other pages never load it.
   */
  menuReady(): boolean {
    if (customElements.get('vod-captions-menu')) return true;
    if (!this.#menuPending) {
      this.#menuPending = true;
      menuChunk ??= import('./vod-captions-menu.ts').catch((err: unknown) => {
        menuChunk = undefined; // a failed fetch may be retried by the next render
        throw err;
      });
      menuChunk
        .then(
          () => this.#host.requestUpdate(),
          () => undefined,
        )
        .finally(() => {
          this.#menuPending = false;
        });
    }
    return false;
  }

  /** Shows a track (null: off) as the viewer's own choice, which later tracks do not override. */
  select(track: TextTrack | null): void {
    this.#chosenByViewer = true;
    if (track) this.#last = track;
    showTrack(this.#media, track);
  }

  /** Off when on; else the last track shown, the default one, or the first. */
  toggle(): void {
    const shown = this.shown;
    if (shown) {
      this.#last = shown;
      this.select(null);
      return;
    }
    const tracks = this.tracks;
    const last = this.#last && tracks.includes(this.#last) ? this.#last : null;
    const preferred =
      this.#preference && this.#preference !== 'off' ? trackForLanguage(tracks, this.#preference) : null;
    this.select(last ?? preferred ?? tracks[0] ?? null);
  }

  hostConnected(): void {
    const list = this.#media.textTracks;
    list.addEventListener('addtrack', this.#onTracks);
    list.addEventListener('removetrack', this.#onChange);
    list.addEventListener('change', this.#onChange);
    this.#media.addEventListener('emptied', this.#onEmptied);
    this.#media.addEventListener('loadedmetadata', this.#onMetadata);
    this.#schedule();
  }

  hostDisconnected(): void {
    const list = this.#media.textTracks;
    list.removeEventListener('addtrack', this.#onTracks);
    list.removeEventListener('removetrack', this.#onChange);
    list.removeEventListener('change', this.#onChange);
    this.#media.removeEventListener('emptied', this.#onEmptied);
    this.#media.removeEventListener('loadedmetadata', this.#onMetadata);
    clearTimeout(this.#timer);
  }

  #onTracks = (e: Event): void => {
    // The engine surfaced the stream's own tracks after all (Safari may, late): ours would be doubles.
    const added = (e as TrackEvent).track;
    if (added && this.#sidecars.size > 0 && ![...this.#sidecars.keys()].some((el) => el.track === added)) {
      if (CAPTION_KINDS.has(added.kind)) this.#removeSidecars();
    }
    this.#schedule();
    this.#host.requestUpdate();
  };

  #onChange = (): void => this.#host.requestUpdate();

  /** A new source: its tracks get the starting choice again. */
  #onEmptied = (): void => {
    this.#chosenByViewer = false;
    this.#last = null;
    this.#sidecarRun++;
    this.#removeSidecars();
  };

  /**
   * Native HLS that ignores the SUBTITLES group (Chromium's own HLS does; Safari does not) plays an
   * `.m3u8` with no text track: then the tracks are added as `<track>`s from the playlists.
   */
  #onMetadata = (): void => {
    const src = this.#media.currentSrc;
    if (this.tracks.length === 0 && /\.m3u8(?:[?#]|$)/i.test(src))
      this.addSidecarTracks(src).catch(() => undefined);
  };

  /**
   * Adds the SUBTITLES renditions of a master playlist as `<track>` elements, for engines that do
   * not surface them (hls.js' light build has no subtitle support; Chromium's native HLS ignores
   * them). Only one-segment WebVTT playlists (what Vodkit serves) are read. The WebVTT goes in as a
   * blob: URL, so a player on another origin needs no `crossorigin` on its `<video>`.
   */
  async addSidecarTracks(masterUrl: string): Promise<void> {
    const run = ++this.#sidecarRun;
    this.#removeSidecars();
    const { fetchSidecars } = await import('./sidecar-tracks.ts');
    const files = await fetchSidecars(masterUrl);
    // A newer source (or a second call) took over while this one was fetching.
    if (run !== this.#sidecarRun) return;
    let initial: TextTrack | null = null;
    for (const file of files) {
      if (!file) continue;
      const el = document.createElement('track');
      el.kind = file.rendition.kind;
      el.label = file.rendition.name;
      if (file.rendition.language) el.srclang = file.rendition.language;
      const url = URL.createObjectURL(new Blob([file.vtt], { type: 'text/vtt' }));
      el.src = url;
      this.#sidecars.set(el, url);
      this.#media.append(el);
      // A mode changed by script opts the track out of the browser's own automatic selection, which
      // would otherwise switch on a second track by its kind alone (Chromium does).
      el.track.mode = 'hidden';
      el.track.mode = 'disabled';
      if (file.rendition.default && !initial) initial = el.track;
    }
    // As hls.js does with DEFAULT=YES; a `captions` preference or the viewer's choice still wins.
    if (initial && !this.#preference && !this.#chosenByViewer) showTrack(this.#media, initial);
    this.#host.requestUpdate();
  }

  #removeSidecars(): void {
    for (const [el, url] of this.#sidecars) {
      el.remove();
      URL.revokeObjectURL(url);
    }
    this.#sidecars.clear();
  }

  // hls.js adds tracks and sets their modes in one go: choose once it is done.
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#applyPreference(), 0);
  }

  #applyPreference(): void {
    const preference = this.#preference;
    const tracks = this.tracks;
    if (this.#chosenByViewer || !preference || tracks.length === 0) return;
    if (preference === 'off') showTrack(this.#media, null);
    else {
      const track = trackForLanguage(tracks, preference);
      if (track) showTrack(this.#media, track);
    }
    this.#host.requestUpdate();
  }
}

/**
 * Cue styles for the shadow root that holds the `<video>`. Custom properties cross the shadow
 * boundary, `::cue` rules in a page do not.
 *
 * @cssprop [--vod-cue-color=#fff]
 * @cssprop [--vod-cue-background=rgb(0 0 0 / 0.75)]
 * @cssprop [--vod-cue-font-family=inherit]
 * @cssprop [--vod-cue-text-shadow=none]
 * @cssprop [--vod-cue-lift=64px] - how far cues move up while the control bar shows
 * @cssprop [--vod-cue-scale=1] - multiplies the cue size (set by the viewer's caption settings)
 */
export const cueStyles = css`
  video::cue {
    /* 5% of the player's height as browsers do, but never under 14 px (a 320 px wide player) and
       scaled by the viewer's choice (caption-style.ts). */
    font-size: calc(var(--vod-cue-scale, 1) * max(14px, 5cqh));
    color: var(--vod-cue-color, #fff);
    background: var(--vod-cue-background, rgb(0 0 0 / 0.75));
    font-family: var(--vod-cue-font-family, inherit);
    text-shadow: var(--vod-cue-text-shadow, none);
  }
  /* The browser draws cues at the bottom, under our control bar: lift them while the bar shows.
     Chromium and WebKit draw cues in this box; elsewhere the rule is ignored. */
  video::-webkit-media-text-track-container {
    transition: transform 0.25s ease;
  }
  .frame:not(.idle):has([part='controls']) video::-webkit-media-text-track-container {
    transform: translateY(calc(-1 * var(--vod-cue-lift, 64px)));
  }
`;
