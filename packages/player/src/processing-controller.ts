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

  constructor(host: Host, media: HTMLVideoElement, total: () => number | null) {
    this.#host = host;
    this.#media = media;
    this.#total = total;
    if (host.renderRoot instanceof ShadowRoot) addStyles(host.renderRoot, styles);
    media.addEventListener('timeupdate', this.#check);
    media.addEventListener('play', this.#onPlay);
  }

  /** Still encoding: the playlists have no end yet. */
  get processing(): boolean {
    return this.#live;
  }

  /** Paused by this controller, waiting for the encoder. */
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
    this.#media.removeEventListener('timeupdate', this.#check);
    this.#media.removeEventListener('play', this.#onPlay);
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
  #onPlay = (): void => {
    if (!this.#live || this.#holding) return;
    this.#holding = true;
    this.#check();
    if (this.#holding) this.#host.requestUpdate();
  };

  #check = (): void => {
    const media = this.#media;
    if (!this.#live || (media.paused && !this.#holding)) return;
    const hold = mustHold(this.#progress(), media.currentTime, this.#holding);
    if (hold && !media.paused) {
      this.#holding = true;
      media.pause();
      this.#host.requestUpdate();
    } else if (!hold && this.#holding) {
      this.#resume();
    }
  };

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
