import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** What the keys and the idle timer act on; the player implements it. */
export interface PlayerActions {
  readonly paused: boolean;
  /** A menu is open: arrows belong to it, and the controls stay. */
  readonly menuOpen: boolean;
  /** False with `no-hotkeys`: only the keys of focused buttons, sliders and menus work. */
  readonly hotkeys: boolean;
  togglePlay(): void;
  seekBy(seconds: number): void;
  /** 0…1 of the duration. */
  seekToFraction(fraction: number): void;
  volumeBy(delta: number): void;
  toggleMute(): void;
  toggleFullscreen(): void;
  toggleCaptions(): void;
  /** +1 faster, -1 slower. */
  stepSpeed(direction: 1 | -1): void;
  /** The next (+1) or previous (-1) chapter; false when there is none (the key is left alone). */
  jumpChapter(direction: 1 | -1): boolean;
  /** The 360° view takes arrows and +/-; true when it used the key. */
  viewKey(key: string): boolean;
  /** Where the controls live in the render root, to keep them while focus is inside. */
  controls(): Element | null;
}

const IDLE_AFTER_MS = 2500;
const SEEK_STEP = 5;
const JUMP_STEP = 10;

/**
 * The keyboard shortcuts and the idle state (controls fade after a while of playing untouched, but
 * never while keyboard focus is on one of them). Shortcuts, when the player has focus:
 *
 * | key | does |
 * | --- | --- |
 * | Space, K | play / pause |
 * | J, L | back / forward 10 s |
 * | ← → | back / forward 5 s (in 360°: turn the view) |
 * | ↑ ↓ | volume (in 360°: look up / down) |
 * | 0 … 9 | jump to 0 %, 10 % … 90 % |
 * | < > | slower / faster |
 * | M | mute |
 * | F | fullscreen |
 * | C | captions (fires `vod-captions-toggle`) |
 * | N, P | next / previous chapter (previous: the current one's start, or the one before within 2 s) |
 * | + - | zoom, in 360° |
 */
export class HotkeysController implements ReactiveController {
  readonly #host: ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment };
  readonly #actions: PlayerActions;
  #idle = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment },
    actions: PlayerActions,
  ) {
    this.#host = host;
    this.#actions = actions;
    host.addController(this);
  }

  get idle(): boolean {
    return this.#idle;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    clearTimeout(this.#timer);
  }

  /** Shows the controls, and hides them again after a while of playing untouched. */
  poke = (): void => {
    this.#setIdle(false);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const a = this.#actions;
      if (!a.paused && !a.menuOpen && !this.#keyboardFocusIn(a.controls())) this.#setIdle(true);
    }, IDLE_AFTER_MS);
  };

  onKeyDown = (e: KeyboardEvent): void => {
    this.poke();
    const a = this.#actions;
    if (!a.hotkeys || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const origin = e.composedPath()[0];
    const onButton = origin instanceof HTMLButtonElement;
    const onRange =
      origin instanceof HTMLInputElement || (origin as Element)?.getAttribute?.('role') === 'slider';
    const key = e.key;
    if (/^[0-9]$/.test(key)) {
      a.seekToFraction(Number(key) / 10);
    } else if (key.startsWith('Arrow') && !onRange && !a.menuOpen && a.viewKey(key)) {
      // the 360° view took it
    } else {
      switch (key) {
        case ' ':
          if (onButton) return;
          a.togglePlay();
          break;
        case 'k':
        case 'K':
          a.togglePlay();
          break;
        case 'j':
        case 'J':
        case 'l':
        case 'L':
          a.seekBy(key.toLowerCase() === 'j' ? -JUMP_STEP : JUMP_STEP);
          break;
        case 'ArrowLeft':
        case 'ArrowRight':
          if (onRange) return;
          a.seekBy(key === 'ArrowLeft' ? -SEEK_STEP : SEEK_STEP);
          break;
        case 'ArrowUp':
        case 'ArrowDown':
          if (onRange || a.menuOpen) return;
          a.volumeBy(key === 'ArrowUp' ? 0.1 : -0.1);
          break;
        case '<':
        case '>':
          a.stepSpeed(key === '>' ? 1 : -1);
          break;
        case 'm':
        case 'M':
          a.toggleMute();
          break;
        case 'f':
        case 'F':
          a.toggleFullscreen();
          break;
        case 'c':
        case 'C':
          a.toggleCaptions();
          break;
        case 'n':
        case 'p':
          if (!a.jumpChapter(key === 'n' ? 1 : -1)) return;
          break;
        default:
          if (!a.viewKey(key)) return;
      }
    }
    e.preventDefault();
  };

  #setIdle(idle: boolean): void {
    if (idle === this.#idle) return;
    this.#idle = idle;
    this.#host.requestUpdate();
  }

  /** Focus that a keyboard put on a control: a mouse click's focus does not keep the controls. */
  #keyboardFocusIn(controls: Element | null): boolean {
    if (!controls) return false;
    let active: Element | null = (this.#host.renderRoot as ShadowRoot).activeElement ?? null;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    if (!active) return false;
    const root = active.getRootNode() as ShadowRoot | Document;
    const host = root instanceof ShadowRoot && root !== this.#host.renderRoot ? root.host : active;
    return controls.contains(host) && active.matches(':focus-visible');
  }
}
