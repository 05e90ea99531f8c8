import { css, html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { PlaylistUpdate } from './hls-controller.ts';
import type { PlayerStrings } from './i18n.ts';
import { addStyles } from './menu-styles.ts';
import { type EncodeProgress, encodeRate, mustHold, readyPercent } from './processing.ts';

const styles = css`
  [part='processing'] {
    position: absolute;
    left: 50%;
    top: calc(50% + clamp(30px, 11cqmin, 46px));
    transform: translateX(-50%);
    padding: 6px 12px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.7);
    font-size: 13px;
    font-weight: 600;
    white-space: nowrap;
    pointer-events: none;
  }
`;

type Host = ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment };

/**
 * A video that is still encoding (its playlists have no `#EXT-X-ENDLIST` yet): says so before play
 * ("Processing — n% ready", over the poster), keeps playback back from the growing end of the
 * playlist (it pauses itself before the buffer runs dry, says "Still processing…", and resumes on
 * its own once enough is published: `processing.ts`), and lets go once the encode is done. A chunk of
 * its own: only such videos load it.
 */
export class ProcessingController {
  readonly #host: Host;
  readonly #media: HTMLVideoElement;
  readonly #total: () => number | null;
  readonly #samples: { at: number; edge: number }[] = [];
  #live = true;
  #targetDuration = 0;
  #holding = false;
  /** From `play` to `playing`: a play() may be pending, which a pause would reject (`#mayPause`). */
  #starting = false;
  /** The hold's pause after `playing`, on a task of its own. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The next `pause` event is this controller's own; any other is the viewer's or the page's. */
  #ownPause = false;
  readonly #listeners: Record<string, () => void> = {
    timeupdate: () => this.#check(),
    play: () => this.#onPlay(),
    playing: () => this.#onPlaying(),
    pause: () => this.#onPause(),
    emptied: () => this.#cancel(),
  };

  constructor(host: Host, media: HTMLVideoElement, total: () => number | null) {
    this.#host = host;
    this.#media = media;
    this.#total = total;
    if (host.renderRoot instanceof ShadowRoot) addStyles(host.renderRoot, styles);
    for (const [type, listener] of Object.entries(this.#listeners)) media.addEventListener(type, listener);
  }

  /** Still encoding: the playlists have no end yet. */
  get processing(): boolean {
    return this.#live;
  }

  /** Waiting for the encoder: paused by this controller, or to be once playback has started. */
  get holding(): boolean {
    return this.#holding;
  }

  /** A media playlist was (re)loaded. */
  update(update: PlaylistUpdate): void {
    const last = this.#samples[this.#samples.length - 1];
    if (!last || update.edge !== last.edge) this.#samples.push({ at: performance.now(), edge: update.edge });
    if (this.#samples.length > 64) this.#samples.shift();
    this.#targetDuration = update.targetDuration;
    if (!update.live) {
      this.#live = false;
      this.dispose();
      if (this.#holding) this.#resume();
    } else {
      this.#check();
    }
    this.#host.requestUpdate();
  }

  dispose(): void {
    for (const [type, listener] of Object.entries(this.#listeners)) {
      this.#media.removeEventListener(type, listener);
    }
    this.#cancel();
  }

  #progress(): EncodeProgress {
    return {
      edge: this.#samples[this.#samples.length - 1]?.edge ?? 0,
      total: this.#total(),
      rate: encodeRate(this.#samples),
      targetDuration: this.#targetDuration,
    };
  }

  /** Playback (re)starts: only with enough published ahead, as after a wait. */
  #onPlay(): void {
    this.#starting = true;
    if (!this.#live || this.#holding) return;
    this.#holding = true;
    this.#check();
  }

  /**
   * Playback has started, so its play() promises are settled (HTML's "notify about playing" takes
   * them before it fires `playing`); a hold pauses now, on a later task, as an engine may still be
   * settling them during this event.
   */
  #onPlaying(): void {
    this.#starting = false;
    if (this.#holding) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#check();
      });
    }
  }

  #onPause(): void {
    this.#cancel();
    if (this.#ownPause) {
      this.#ownPause = false;
    } else if (this.#holding) {
      // Paused by the viewer or the page before the hold's own pause: theirs stands, no resume.
      this.#holding = false;
      this.#host.requestUpdate();
    }
  }

  #cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#starting = false;
  }

  /**
   * Whether a pause now spares the page's play(): a pause rejects the play() promises still pending
   * (AbortError). One is pending from `play` to `playing`, and so is one made while the media has no
   * data to play (even before this chunk arrived): HTML settles those only once it can play.
   */
  #mayPause(): boolean {
    const media = this.#media;
    return !this.#starting && media.readyState >= media.HAVE_FUTURE_DATA;
  }

  #check(): void {
    const media = this.#media;
    if (!this.#live || (media.paused && !this.#holding)) return;
    const hold = mustHold(this.#progress(), media.currentTime, this.#holding);
    if (hold && !media.paused) {
      // Says so at once; without data the media is waiting anyway, and `playing` brings the pause.
      this.#holding = true;
      this.#host.requestUpdate();
      if (!this.#mayPause()) return;
      this.#ownPause = true;
      media.pause();
    } else if (!hold && this.#holding) {
      this.#resume();
    }
  }

  #resume(): void {
    this.#holding = false;
    if (this.#media.paused) this.#media.play().catch(() => undefined);
    this.#host.requestUpdate();
  }

  render(t: PlayerStrings, started: boolean): TemplateResult | typeof nothing {
    if (!this.#live) return nothing;
    if (this.#holding) {
      return html`<div part="processing" role="status">${t.stillProcessing ?? 'Still processing…'}</div>`;
    }
    if (started) return nothing;
    const ready = readyPercent(this.#progress().edge, this.#total());
    const text =
      ready === null
        ? (t.processing ?? 'Processing…')
        : (t.processingReady ?? 'Processing — {n}% ready').replace('{n}', String(ready));
    return html`<div part="processing" role="status">${text}</div>`;
  }
}
