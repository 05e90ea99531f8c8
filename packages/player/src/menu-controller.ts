import {
  html,
  nothing,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import type { QualityLevel } from './events.ts';
import type { PlayerStrings } from './i18n.ts';
import { icons } from './icons.ts';

/** The pop-up menus of the control bar. */
export type MenuName = 'speed' | 'quality';

/** Speeds the speed menu and the `<`/`>` keys step through. */
export const PLAYBACK_RATES = [0.5, 0.75, 1, 1.25, 1.5, 2] as const;

type Host = ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment };

/** Render roots that have the menus', tooltips' and feedback's styles. */
const menuStylesAdded = new WeakSet<HTMLElement | DocumentFragment>();

/**
 * The menus', tooltips' and feedback's styles are a chunk of their own (menu-styles.ts), added to the
 * player's shadow root when a pointer or focus first comes into the player, a menu opens, or a
 * shortcut shows what it did.
 */
export async function addMenuStyles(root: HTMLElement | DocumentFragment): Promise<void> {
  if (menuStylesAdded.has(root)) return;
  const { addStyles, feedbackStyles, menuStyles, tooltipStyles } = await import('./menu-styles.ts');
  if (root instanceof ShadowRoot && !menuStylesAdded.has(root)) {
    for (const styles of [menuStyles, tooltipStyles, feedbackStyles]) addStyles(root, styles);
  }
  menuStylesAdded.add(root);
}

/**
 * Which control-bar menu is open, and the menu behaviour: focus goes to the checked item on open,
 * arrows walk the items, Escape and a choice return focus to the menu's button, focus leaving closes.
 * Also renders the speed and quality menus (the player's template calls `speed()` / `quality()`).
 */
export class MenuController implements ReactiveController {
  readonly #host: Host;
  #open: MenuName | null = null;
  #focusOnUpdate = false;

  constructor(host: Host) {
    this.#host = host;
    host.addController(this);
  }

  get open(): MenuName | null {
    return this.#open;
  }

  close(): void {
    this.#set(null);
  }

  hostUpdated(): void {
    if (!this.#focusOnUpdate) return;
    this.#focusOnUpdate = false;
    const menu = this.#host.renderRoot.querySelector(`[part="${this.#open}-menu"]`);
    menu?.querySelector<HTMLElement>('[aria-checked="true"]')?.focus();
  }

  speed(t: PlayerStrings, rate: number, setRate: (rate: number) => void): TemplateResult {
    const items = PLAYBACK_RATES.map((r) =>
      this.#item('speed', rate === r, r === 1 ? t.normalSpeed : `${r}×`, '', () => setRate(r)),
    );
    return this.#menu('speed', t.speed, html`${rate}×`, `${t.speed} ${rate}×`, items, 'text-button');
  }

  quality(
    t: PlayerStrings,
    levels: QualityLevel[],
    manual: number,
    current: number,
    setLevel: (level: number) => void,
  ): TemplateResult | typeof nothing {
    if (levels.length < 2) return nothing;
    const playing = levels[current];
    const hd = (playing?.height ?? 0) >= 720;
    const byHeight = [...levels].sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
    const items = [
      this.#item('quality', manual === -1, t.auto, manual === -1 && playing ? playing.name : '', () =>
        setLevel(-1),
      ),
      ...byHeight.map((l) => this.#item('quality', manual === l.index, l.name, '', () => setLevel(l.index))),
    ];
    // The visible "HD" is part of the button's name (WCAG label-in-name).
    const face = html`${icons.settings}${hd ? html`<span class="badge">HD</span>` : nothing}`;
    return this.#menu('quality', t.quality, face, hd ? t.qualityHd : t.quality, items);
  }

  #menu(name: MenuName, title: string, face: unknown, label: string, items: TemplateResult[], cls = '') {
    const open = this.#open === name;
    return html`
      <div class="menu-anchor" @focusout=${this.#onFocusOut} @keydown=${this.#onKeyDown}>
        <button
          part="${name}-button"
          class=${cls}
          aria-label=${label}
          aria-haspopup="menu"
          aria-expanded=${open ? 'true' : 'false'}
          @click=${() => this.#set(open ? null : name)}
        >
          ${face}
        </button>
        ${
          open
            ? html`<div part="${name}-menu" class="menu" role="menu" aria-label=${title}>
              <header aria-hidden="true">${title}</header>
              ${items}
            </div>`
            : nothing
        }
      </div>
    `;
  }

  #item(name: MenuName, checked: boolean, label: string, hint: string, choose: () => void) {
    return html`
      <button role="menuitemradio" aria-checked=${checked ? 'true' : 'false'} @click=${() => this.#choose(name, choose)}>
        <span>${label} ${hint ? html`<span class="hint">${hint}</span>` : nothing}</span>${icons.check}
      </button>
    `;
  }

  #set(name: MenuName | null): void {
    if (name === this.#open) return;
    if (name && !menuStylesAdded.has(this.#host.renderRoot)) {
      void addMenuStyles(this.#host.renderRoot).then(() => this.#set(name));
      return;
    }
    this.#open = name;
    this.#focusOnUpdate = name !== null;
    this.#host.requestUpdate();
  }

  #focusButton(name: MenuName): void {
    this.#host.renderRoot.querySelector<HTMLElement>(`[part="${name}-button"]`)?.focus();
  }

  #choose(name: MenuName, apply: () => void): void {
    apply();
    this.#set(null);
    this.#focusButton(name);
  }

  #onFocusOut = (e: FocusEvent): void => {
    const to = e.relatedTarget as Node | null;
    if (this.#open && to && !(e.currentTarget as HTMLElement).contains(to)) this.#set(null);
  };

  /** Arrow keys walk the menu items; Escape closes it and returns to the button. */
  #onKeyDown = (e: KeyboardEvent): void => {
    const name = this.#open;
    if (!name) return;
    const items = [...this.#host.renderRoot.querySelectorAll<HTMLElement>('[role="menuitemradio"]')];
    const at = items.indexOf(e.composedPath()[0] as HTMLElement);
    if (e.key === 'Escape') {
      this.#set(null);
      this.#focusButton(name);
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && items.length) {
      const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[at < 0 ? 0 : next]?.focus();
    } else {
      return;
    }
    e.preventDefault();
  };
}
