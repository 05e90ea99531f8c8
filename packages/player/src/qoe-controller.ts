import { fire } from './events.ts';

/** Quality-of-experience figures of the current source, as `player.qoe` returns them. */
export interface QoeStats {
  /** From the first play request to the first frame playing, in ms; null before that. */
  startupMs: number | null;
  /** Stalls after playback began (seeks excluded). */
  rebufferCount: number;
  /** Time spent in those stalls, in ms (a stall in progress counts up to now). */
  rebufferMs: number;
  /** Rendition changes while playing (the first choice is not a switch). */
  renditionSwitches: number;
}

/**
 * Measures startup time, rebuffering and rendition switches from the media element's events and fires
 * them as `vod-startup`, `vod-rebuffer-start` / `vod-rebuffer-end`; `vod-quality-change` carries the
 * switch count. Reset on every new source.
 */
export class QoeController {
  readonly #host: HTMLElement;
  readonly #video: HTMLVideoElement;
  #playRequestedAt: number | null = null;
  #startupMs: number | null = null;
  #stallStartedAt: number | null = null;
  #rebufferCount = 0;
  #rebufferMs = 0;
  #levelsSeen = 0;

  constructor(host: HTMLElement, video: HTMLVideoElement) {
    this.#host = host;
    this.#video = video;
    video.addEventListener('play', this.#onPlay);
    video.addEventListener('playing', this.#onPlaying);
    video.addEventListener('waiting', this.#onWaiting);
  }

  get stats(): QoeStats {
    const stalled = this.#stallStartedAt === null ? 0 : performance.now() - this.#stallStartedAt;
    return {
      startupMs: this.#startupMs,
      rebufferCount: this.#rebufferCount,
      rebufferMs: Math.round(this.#rebufferMs + stalled),
      renditionSwitches: Math.max(this.#levelsSeen - 1, 0),
    };
  }

  /** A new source: everything starts over. */
  reset(): void {
    this.#playRequestedAt = null;
    this.#startupMs = null;
    this.#stallStartedAt = null;
    this.#rebufferCount = 0;
    this.#rebufferMs = 0;
    this.#levelsSeen = 0;
  }

  /** Playback was asked for before the media element knew (e.g. `preload="none"` loading first). */
  playRequested(): void {
    this.#playRequestedAt ??= performance.now();
  }

  /** A rendition reached the screen; returns the switch count so far. */
  levelSwitched(): number {
    this.#levelsSeen++;
    return this.stats.renditionSwitches;
  }

  #onPlay = (): void => {
    if (this.#startupMs === null) this.playRequested();
  };

  #onPlaying = (): void => {
    const now = performance.now();
    if (this.#startupMs === null && this.#playRequestedAt !== null) {
      this.#startupMs = Math.round(now - this.#playRequestedAt);
      fire(this.#host, 'vod-startup', { ms: this.#startupMs });
    }
    if (this.#stallStartedAt !== null) {
      const ms = Math.round(now - this.#stallStartedAt);
      this.#rebufferMs += ms;
      this.#stallStartedAt = null;
      fire(this.#host, 'vod-rebuffer-end', {
        count: this.#rebufferCount,
        ms,
        totalMs: Math.round(this.#rebufferMs),
      });
    }
  };

  #onWaiting = (): void => {
    // Before the first frame it is startup; during a seek it is the viewer's own doing.
    if (this.#startupMs === null || this.#video.seeking || this.#stallStartedAt !== null) return;
    this.#stallStartedAt = performance.now();
    this.#rebufferCount++;
    fire(this.#host, 'vod-rebuffer-start', {
      count: this.#rebufferCount,
      currentTime: this.#video.currentTime,
    });
  };
}
