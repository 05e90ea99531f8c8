import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** `#EXT-X-START:TIME-OFFSET=…` of a playlist, or null. */
export function startOffsetOf(playlist: string): number | null {
  const m = /#EXT-X-START:(?:[^\n]*,)?TIME-OFFSET=(-?\d+(?:\.\d+)?)/.exec(playlist);
  return m ? Number(m[1]) : null;
}

/** Where a clip plays on the media's own timeline. */
export interface ClipSpan {
  /** Media time of the clip's first instant. */
  from: number;
  /** Media time of its last; Infinity without an end. */
  to: number;
}

/**
 * Instant clips (`<vod-player start end>`): playback starts at `start` and pauses at `end`, although
 * the segments around them overhang. With a Vodkit video the player asks the server for the clipped
 * playlists (`master.m3u8?start=&end=`), whose timeline begins at their first segment: the master's
 * `#EXT-X-START` says where `start` is on it (read here with one small request, whatever the engine),
 * and `end` is that much later. With any other source (`src`) the times are the media's own.
 *
 * Enforced on the media element: the first position is the clip's start, a seek outside the span is
 * brought back inside it, and playback pauses exactly at the end (a timer for the last stretch, as
 * `timeupdate` comes only every ~250 ms), with `currentTime` set to the end. Play after the end starts
 * the clip again.
 */
export class ClipController implements ReactiveController {
  readonly #media: HTMLMediaElement;
  #start: number | null = null;
  #end: number | null = null;
  #clipped = false;
  #url = '';
  #offset: number | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: ReactiveControllerHost, media: HTMLMediaElement) {
    this.#media = media;
    host.addController(this);
    media.addEventListener('loadedmetadata', this.#toStart);
    media.addEventListener('timeupdate', this.#watch);
    media.addEventListener('play', this.#onPlay);
    media.addEventListener('seeking', this.#clamp);
    media.addEventListener('emptied', () => clearTimeout(this.#timer));
  }

  /**
   * The clip for the source at `url` (`start`/`end` null: none). `clipped`: the server cut the
   * playlists, so the media timeline starts at the first kept segment, and the master's
   * `#EXT-X-START` (read here, one small request) says where `start` is on it.
   */
  configure(url: string, start: number | null, end: number | null, clipped: boolean): void {
    if (url === this.#url && start === this.#start && end === this.#end && clipped === this.#clipped) return;
    this.#url = url;
    this.#start = start;
    this.#end = end;
    this.#clipped = clipped;
    this.#offset = null;
    clearTimeout(this.#timer);
    if (clipped) void this.#readOffset(url);
    // Made after the media loaded (its chunk arrived late): go to the start now.
    else this.#toStart();
  }

  /** The span on the media timeline, or null without a clip (or before its offset is known). */
  get span(): ClipSpan | null {
    if (this.#start === null && this.#end === null) return null;
    const start = this.#start ?? 0;
    const from = this.#clipped ? this.#offset : start;
    if (from === null) return null;
    return { from, to: this.#end === null ? Number.POSITIVE_INFINITY : from + (this.#end - start) };
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    clearTimeout(this.#timer);
  }

  /** The master's `#EXT-X-START` (none: 0, the span starts on a segment boundary). */
  async #readOffset(url: string): Promise<void> {
    const text = await fetch(url).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
    if (url !== this.#url) return;
    this.#offset = startOffsetOf(text) ?? 0;
    this.#toStart();
  }

  #toStart = (): void => {
    const span = this.span;
    const media = this.#media;
    if (!span || media.readyState < HTMLMediaElement.HAVE_METADATA) return;
    if (media.currentTime < span.from - 0.01 || media.currentTime > span.to) media.currentTime = span.from;
  };

  #clamp = (): void => {
    const span = this.span;
    const media = this.#media;
    if (!span) return;
    if (media.currentTime < span.from - 0.01) media.currentTime = span.from;
    else if (media.currentTime > span.to + 0.01) media.currentTime = span.to;
  };

  #onPlay = (): void => {
    const span = this.span;
    if (span && this.#media.currentTime >= span.to - 0.05) this.#media.currentTime = span.from;
  };

  #watch = (): void => {
    const span = this.span;
    const media = this.#media;
    clearTimeout(this.#timer);
    if (!span || media.paused || !Number.isFinite(span.to)) return;
    const left = span.to - media.currentTime;
    if (left <= 0.005) {
      media.pause();
      media.currentTime = span.to;
      return;
    }
    // timeupdate comes every ~250 ms: the last stretch is timed, then checked again.
    if (left < 0.4) this.#timer = setTimeout(this.#watch, (left / (media.playbackRate || 1)) * 1000);
  };
}
