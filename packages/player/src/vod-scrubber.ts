import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { property, query, state } from 'lit/decorators.js';
import { styleMap } from 'lit/directives/style-map.js';
import type { ChapterCue } from './chapters.ts';
import { fire } from './events.ts';
import { StoryboardController } from './storyboard-controller.ts';
import { formatTime, spokenTime } from './time.ts';

/** What the scrubber needs of the media it follows: `<video>`, `<audio>` and `<vod-player>` all qualify. */
export interface ScrubbableMedia extends EventTarget {
  currentTime: number;
  readonly duration: number;
  readonly buffered: TimeRanges;
  readonly seekable?: TimeRanges;
}

const MEDIA_EVENTS = [
  'timeupdate',
  'durationchange',
  'progress',
  'loadedmetadata',
  'seeking',
  'seeked',
  'emptied',
] as const;

/** Seeks while dragging at most this often: every seek makes hls.js look for another segment. */
const DRAG_SEEK_INTERVAL_MS = 120;

/**
 * A seek bar: buffered ranges, progress and a handle, with a time preview on hover. It is a slider for
 * assistive technology and the keyboard (arrows step, Page Up/Down jump, Home/End), and follows any
 * media element — inside `<vod-player>`, or standalone with `for="id"` beside a `<video>` or
 * `<vod-player>`.
 *
 * @fires vod-seek - the user picked a time (click, end of a drag, or a key)
 * @csspart track - the full-length rail
 * @csspart buffered - each buffered range
 * @csspart progress - the played part
 * @csspart handle - the knob
 * @csspart preview - the bubble above the pointer: thumbnail and time
 * @csspart thumbnail - the storyboard frame in the preview, when there is a storyboard
 * @csspart chapter-marker - a mark on the rail where a chapter starts
 * @cssprop [--vod-scrubber-height=4px] - rail thickness at rest
 * @cssprop [--vod-scrubber-height-active=6px] - rail thickness on hover, focus and drag
 * @cssprop [--vod-scrubber-track-color=rgb(255 255 255 / 0.25)]
 * @cssprop [--vod-scrubber-buffered-color=rgb(255 255 255 / 0.45)]
 * @cssprop [--vod-scrubber-progress-color=var(--vod-accent-color, #fff)]
 * @cssprop [--vod-scrubber-handle-size=14px]
 * @cssprop [--vod-scrubber-handle-color=var(--vod-scrubber-progress-color)]
 * @cssprop [--vod-scrubber-handle-idle-scale=0] - handle scale when not hovered; 1 keeps it visible
 */
export class VodScrubber extends LitElement {
  static override shadowRootOptions: ShadowRootInit = {
    ...LitElement.shadowRootOptions,
    delegatesFocus: true,
  };

  static override styles = css`
    :host {
      display: block;
      position: relative;
      height: 18px;
      touch-action: none;
      user-select: none;
      -webkit-user-select: none;
      --_progress: var(--vod-scrubber-progress-color, var(--vod-accent-color, #fff));
    }
    :host([hidden]) {
      display: none;
    }
    .slider {
      position: absolute;
      inset: 0;
      cursor: pointer;
      outline: none;
      border-radius: 4px;
    }
    .slider:focus-visible {
      box-shadow: 0 0 0 2px var(--vod-focus-color, rgb(255 255 255 / 0.9));
    }
    [part='track'] {
      position: absolute;
      left: 0;
      right: 0;
      top: 50%;
      height: var(--vod-scrubber-height, 4px);
      transform: translateY(-50%);
      border-radius: 999px;
      background: var(--vod-scrubber-track-color, rgb(255 255 255 / 0.25));
      overflow: hidden;
      transition: height 0.12s ease;
    }
    .slider:hover [part='track'],
    .slider:focus-visible [part='track'],
    .dragging [part='track'] {
      height: var(--vod-scrubber-height-active, 6px);
    }
    [part='buffered'],
    [part='progress'] {
      position: absolute;
      top: 0;
      bottom: 0;
      left: 0;
    }
    [part='buffered'] {
      background: var(--vod-scrubber-buffered-color, rgb(255 255 255 / 0.45));
    }
    [part='progress'] {
      background: var(--_progress);
    }
    [part='handle'] {
      position: absolute;
      top: 50%;
      width: var(--vod-scrubber-handle-size, 14px);
      height: var(--vod-scrubber-handle-size, 14px);
      margin-left: calc(var(--vod-scrubber-handle-size, 14px) / -2);
      border-radius: 50%;
      background: var(--vod-scrubber-handle-color, var(--_progress));
      box-shadow: 0 1px 4px rgb(0 0 0 / 0.4);
      transform: translateY(-50%) scale(var(--vod-scrubber-handle-idle-scale, 0));
      transition: transform 0.12s ease;
      pointer-events: none;
    }
    .slider:hover [part='handle'],
    .slider:focus-visible [part='handle'],
    .dragging [part='handle'] {
      transform: translateY(-50%) scale(1);
    }
    [part='preview'] {
      position: absolute;
      bottom: calc(100% + 8px);
      transform: translateX(-50%);
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 3px;
      padding: 3px 7px;
      border-radius: 4px;
      background: rgb(0 0 0 / 0.8);
      color: #fff;
      font: 500 12px / 1.3 var(--vod-font-family, system-ui, sans-serif);
      font-variant-numeric: tabular-nums;
      white-space: nowrap;
      pointer-events: none;
    }
    [part='chapter-marker'] {
      position: absolute;
      width: 3px;
      height: 100%;
      background: #000b;
    }
    [part='thumbnail'] {
      margin: 1px -4px 0;
      border-radius: 4px;
      background-repeat: no-repeat;
      background-color: #000;
    }
  `;

  /** The id of the media to follow, looked up in the scrubber's own document or shadow root. */
  @property({ attribute: 'for' }) htmlFor = '';

  /** The media to follow, set directly (the player does this); wins over `for`. */
  @property({ attribute: false }) media: ScrubbableMedia | null = null;

  /** Accessible name of the slider. */
  @property() label = 'Seek';

  /** Seconds that the arrow keys move. */
  @property({ type: Number, attribute: 'key-step' }) keyStep = 5;

  /** A WebVTT storyboard (`sheet.jpg#xywh=x,y,w,h` cues): the preview shows its thumbnails. */
  @property() storyboard = '';

  /** Chapters (`chapters.ts`): marks on the rail, and the title under the pointer in the preview. */
  @property({ attribute: false }) chapters: ChapterCue[] = [];

  @state() private currentTime = 0;
  @state() private duration = 0;
  @state() private bufferedRanges: [number, number][] = [];
  /** The time under the pointer while dragging; wins over the media's time so the handle does not lag. */
  @state() private dragTime: number | null = null;
  @state() private hoverTime: number | null = null;

  @query('[part="track"]') private track!: HTMLElement;

  readonly #storyboard = new StoryboardController(this);
  #target: ScrubbableMedia | null = null;
  #observer: MutationObserver | null = null;
  #lastDragSeek = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#bind();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unbind();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('media') || changed.has('htmlFor')) this.#bind();
    if (changed.has('storyboard')) this.#storyboard.load(this.storyboard);
  }

  #bind(): void {
    const target = this.media ?? this.#lookup();
    if (target === this.#target) return;
    this.#unbind();
    this.#target = target;
    if (!target) {
      if (this.htmlFor && this.isConnected) this.#waitForTarget();
      return;
    }
    for (const type of MEDIA_EVENTS) target.addEventListener(type, this.#sync);
    this.#sync();
  }

  #unbind(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    if (!this.#target) return;
    for (const type of MEDIA_EVENTS) this.#target.removeEventListener(type, this.#sync);
    this.#target = null;
  }

  #lookup(): ScrubbableMedia | null {
    if (!this.htmlFor || !this.isConnected) return null;
    const root = this.getRootNode() as Document | ShadowRoot;
    return (root.getElementById?.(this.htmlFor) as ScrubbableMedia | null) ?? null;
  }

  /** The target may be added to the page after the scrubber (frameworks render in any order). */
  #waitForTarget(): void {
    const root = this.getRootNode();
    this.#observer = new MutationObserver(() => {
      if (this.#lookup()) this.#bind();
    });
    this.#observer.observe(root, { childList: true, subtree: true, attributeFilter: ['id'] });
  }

  #sync = (): void => {
    const media = this.#target;
    if (!media) return;
    this.currentTime = media.currentTime || 0;
    this.duration = mediaDuration(media);
    const ranges: [number, number][] = [];
    const buffered = media.buffered;
    for (let i = 0; buffered && i < buffered.length; i++) ranges.push([buffered.start(i), buffered.end(i)]);
    this.bufferedRanges = ranges;
  };

  #seek(time: number, final: boolean): void {
    const media = this.#target;
    if (!media || !this.duration) return;
    const clamped = Math.min(Math.max(time, 0), this.duration);
    media.currentTime = clamped;
    this.currentTime = clamped;
    if (final) fire(this, 'vod-seek', { time: clamped });
  }

  #timeAt(clientX: number): number {
    const rect = this.track.getBoundingClientRect();
    if (!rect.width) return 0;
    return (Math.min(Math.max(clientX - rect.left, 0), rect.width) / rect.width) * this.duration;
  }

  #onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0 || !this.duration) return;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    this.dragTime = this.#timeAt(e.clientX);
    this.#lastDragSeek = 0;
  };

  #onPointerMove = (e: PointerEvent): void => {
    const time = this.#timeAt(e.clientX);
    this.hoverTime = time;
    if (this.dragTime === null) return;
    this.dragTime = time;
    if (e.timeStamp - this.#lastDragSeek >= DRAG_SEEK_INTERVAL_MS) {
      this.#lastDragSeek = e.timeStamp;
      this.#seek(time, false);
    }
  };

  #onPointerUp = (e: PointerEvent): void => {
    if (this.dragTime === null) return;
    this.dragTime = null;
    this.#seek(this.#timeAt(e.clientX), true);
  };

  #onPointerCancel = (): void => {
    this.dragTime = null;
  };

  #onPointerLeave = (): void => {
    if (this.dragTime === null) this.hoverTime = null;
  };

  #onKeyDown = (e: KeyboardEvent): void => {
    if (e.altKey || e.ctrlKey || e.metaKey || !this.duration) return;
    const now = this.#target?.currentTime ?? this.currentTime;
    const page = Math.max(this.keyStep * 2, this.duration / 10);
    let time: number;
    switch (e.key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        time = now - this.keyStep;
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        time = now + this.keyStep;
        break;
      case 'PageDown':
        time = now - page;
        break;
      case 'PageUp':
        time = now + page;
        break;
      case 'Home':
        time = 0;
        break;
      case 'End':
        time = this.duration;
        break;
      default:
        return;
    }
    // Consumed: the player's own shortcuts check defaultPrevented and leave the key alone.
    e.preventDefault();
    this.#seek(time, true);
  };

  protected override render() {
    const duration = this.duration;
    const shown = this.dragTime ?? this.currentTime;
    const pct = (t: number) =>
      duration > 0 ? `${(Math.min(Math.max(t / duration, 0), 1) * 100).toFixed(3)}%` : '0%';
    const preview = this.hoverTime ?? this.dragTime;
    return html`
      <div
        class="slider ${this.dragTime === null ? '' : 'dragging'}"
        role="slider"
        tabindex="0"
        aria-label=${this.label}
        aria-valuemin="0"
        aria-valuemax=${Math.floor(duration)}
        aria-valuenow=${Math.floor(shown)}
        aria-valuetext=${`${spokenTime(shown)} of ${spokenTime(duration)}`}
        aria-disabled=${duration > 0 ? 'false' : 'true'}
        @pointerdown=${this.#onPointerDown}
        @pointermove=${this.#onPointerMove}
        @pointerup=${this.#onPointerUp}
        @pointercancel=${this.#onPointerCancel}
        @pointerleave=${this.#onPointerLeave}
        @keydown=${this.#onKeyDown}
      >
        <div part="track">
          ${this.bufferedRanges.map(
            ([start, end]) =>
              html`<div part="buffered" style=${styleMap({ left: pct(start), width: `calc(${pct(end)} - ${pct(start)})` })}></div>`,
          )}
          <div part="progress" style=${styleMap({ width: pct(shown) })}></div>
          ${this.chapters.map((c) => (c.start > 0 ? html`<div part="chapter-marker" style=${styleMap({ left: pct(c.start) })}></div>` : nothing))}
        </div>
        <div part="handle" style=${styleMap({ left: pct(shown) })}></div>
        ${preview !== null && duration > 0 ? this.#renderPreview(preview, pct(preview)) : nothing}
      </div>
    `;
  }

  #renderPreview(time: number, left: string) {
    const tile = this.#storyboard.at(time);
    // Keep the bubble inside the bar at both ends.
    const half = tile ? tile.w / 2 + 4 : 24;
    // Chapters do not overlap (each ends where the next starts): the first that holds `time`.
    const chapter = this.chapters.find((c) => c.start <= time && time < c.end);
    return html`<div part="preview" style=${styleMap({ left: `clamp(${half}px, ${left}, calc(100% - ${half}px))` })}>
      ${chapter?.title}
      ${
        tile
          ? html`<div
              part="thumbnail"
              style=${styleMap({
                width: `${tile.w}px`,
                height: `${tile.h}px`,
                'background-image': `url("${tile.url}")`,
                'background-position': `-${tile.x}px -${tile.y}px`,
              })}
            ></div>`
          : nothing
      }
      <span>${formatTime(time)}</span>
    </div>`;
  }
}

/** A finite duration, or how far an unfinished (EVENT/live) stream is seekable. */
function mediaDuration(media: ScrubbableMedia): number {
  const d = media.duration;
  if (Number.isFinite(d) && d > 0) return d;
  const seekable = media.seekable;
  return seekable && seekable.length > 0 ? seekable.end(seekable.length - 1) : 0;
}

declare global {
  interface HTMLElementTagNameMap {
    'vod-scrubber': VodScrubber;
  }
}
