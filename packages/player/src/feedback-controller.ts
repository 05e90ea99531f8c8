import { html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { AnnouncedAction, FeedbackContext } from './action-feedback.ts';
import type { PlayerActions } from './hotkeys-controller.ts';
import { addMenuStyles } from './menu-controller.ts';

/** Where a message shows: over the middle, or over the side a double tap seeks from. */
export type FeedbackSide = 'left' | 'center' | 'right';

/** How long a message stays on screen; a second one restarts the clock. */
const SHOWN_MS = 800;

const ANNOUNCED: readonly AnnouncedAction[] = [
  'togglePlay',
  'seekBy',
  'seekToFraction',
  'volumeBy',
  'toggleMute',
  'toggleCaptions',
  'stepSpeed',
];

let interaction: Promise<typeof import('./interaction.ts')> | undefined;

/** Touch gestures and the wording of shortcut feedback: a chunk of their own (`interaction.ts`). */
export function importInteraction(): Promise<typeof import('./interaction.ts')> {
  interaction ??= import('./interaction.ts').catch((err: unknown) => {
    interaction = undefined;
    throw err;
  });
  return interaction;
}

type Host = ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment };

/**
 * Brief on-screen feedback for shortcuts and gestures ("+10 s", "Volume 40%"). The text goes into a
 * live region that is always in the DOM (a region added together with its text is often not read),
 * so screen readers announce each change; it is emptied once it has faded.
 */
export class FeedbackController implements ReactiveController {
  readonly #host: Host;
  readonly #context: FeedbackContext;
  #text = '';
  #side: FeedbackSide = 'center';
  #shown = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: Host, context: FeedbackContext) {
    this.#host = host;
    this.#context = context;
    host.addController(this);
  }

  /** The same actions, each followed by a message of what it did (described by the lazy chunk). */
  announcing(actions: PlayerActions): PlayerActions {
    const out: PlayerActions = Object.create(actions);
    for (const name of ANNOUNCED) {
      (out as unknown as Record<string, (arg?: number) => void>)[name] = (arg = 0) => {
        const wasPaused = actions.paused;
        (actions[name] as (arg: number) => void)(arg);
        void Promise.all([importInteraction(), addMenuStyles(this.#host.renderRoot)]).then(([m]) =>
          this.show(...m.describe(name, Number(arg), wasPaused, this.#context)),
        );
      };
    }
    return out;
  }

  show(text: string, side: FeedbackSide = 'center'): void {
    this.#text = text;
    this.#side = side;
    this.#shown = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#shown = false;
      this.#text = '';
      this.#host.requestUpdate();
    }, SHOWN_MS);
    this.#host.requestUpdate();
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    clearTimeout(this.#timer);
    this.#shown = false;
    this.#text = '';
  }

  render(): TemplateResult {
    return html`<div part="feedback" class="${this.#side} ${this.#shown ? 'on' : ''}" role="status">${this.#text}</div>`;
  }
}
