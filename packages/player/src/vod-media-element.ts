import { LitElement } from 'lit';

/**
 * Media events re-dispatched on the element itself, so that a subclass can stand in for a `<video>`
 * (a standalone `<vod-scrubber for>`, `onplay=` attributes, analytics code).
 */
export const FORWARDED_MEDIA_EVENTS = [
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
  'enterpictureinpicture',
  'leavepictureinpicture',
] as const;

/**
 * The media element API of a `<video>` it owns, mirrored on a Lit element (mux-player's `video-api`
 * layer): properties, methods and re-dispatched events. Knows nothing of HLS or of controls.
 */
export class VodMediaElement extends LitElement {
  // Created up front (not in a template) so the media API works before the first render.
  readonly #video: HTMLVideoElement = Object.assign(document.createElement('video'), {
    playsInline: true,
    preload: 'metadata',
  });

  constructor() {
    super();
    for (const type of FORWARDED_MEDIA_EVENTS) {
      this.#video.addEventListener(type, () => this.dispatchEvent(new Event(type)));
    }
  }

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
  get networkState(): number {
    return this.#video.networkState;
  }
  get videoWidth(): number {
    return this.#video.videoWidth;
  }
  get videoHeight(): number {
    return this.#video.videoHeight;
  }
}
