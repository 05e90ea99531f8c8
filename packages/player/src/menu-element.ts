import { css, html, LitElement, nothing, type PropertyValues, svg, type TemplateResult } from 'lit';
import { state } from 'lit/decorators.js';
import { menuStyles, tooltipStyles } from './menu-styles.ts';
import { controlButtonStyles } from './player-styles.ts';

const checkIcon = svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

/**
 * A control-bar button with its pop-up menu, in a shadow root of its own (`<vod-captions-menu>`,
 * `<vod-audio-menu>`, `<vod-chapters-menu>`, each a lazy chunk): focus goes to the checked item (else
 * the first) on open, arrows walk the items, Escape and a choice return focus to the button, focus
 * leaving closes.
 */
export abstract class MenuElement extends LitElement {
  static override styles = [
    controlButtonStyles,
    menuStyles,
    tooltipStyles,
    css`
      :host {
        display: inline-block;
      }
      [part='button'] svg {
        width: 22px;
        height: 22px;
      }
    `,
  ];

  @state() protected open = false;

  /** Closes the menu (the player calls this on a click beside it). */
  close(): void {
    this.open = false;
  }

  /** Runs a choice, closes the menu and puts focus back on its button. */
  protected chosen(apply: () => void): void {
    apply();
    this.open = false;
    this.renderRoot.querySelector<HTMLElement>('[part="button"]')?.focus();
  }

  #onFocusOut = (e: FocusEvent): void => {
    const to = e.relatedTarget as Node | null;
    if (this.open && to && !this.renderRoot.contains(to)) this.open = false;
  };

  #onKeyDown = (e: KeyboardEvent): void => {
    if (!this.open) return;
    const items = [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitemradio"]')];
    const at = items.indexOf(e.composedPath()[0] as HTMLElement);
    if (e.key === 'Escape') {
      this.open = false;
      this.renderRoot.querySelector<HTMLElement>('[part="button"]')?.focus();
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && items.length > 0) {
      const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[at < 0 ? 0 : next]?.focus();
    } else {
      return;
    }
    // The player's own shortcuts (volume on ↑/↓) skip handled keys.
    e.preventDefault();
  };

  /** The button (named `buttonLabel`) and, while open, the menu `label` with `body`. */
  protected menu(label: string, buttonLabel: string, icon: unknown, body: unknown): TemplateResult {
    return html`
      <div @focusout=${this.#onFocusOut} @keydown=${this.#onKeyDown}>
        <button
          part="button"
          aria-label=${buttonLabel}
          aria-haspopup="menu"
          aria-expanded=${this.open ? 'true' : 'false'}
          @click=${() => (this.open = !this.open)}
        >
          ${icon}
        </button>
        ${
          this.open
            ? html`<div part="menu" class="menu" role="menu" aria-label=${label}>
              <header aria-hidden="true">${label}</header>
              ${body}
            </div>`
            : nothing
        }
      </div>
    `;
  }

  /**
   * One choice of a menu (a radio: one of its group is checked). `label` is text, or a template of
   * its own (spans the element styles) where an item shows more than a name.
   */
  protected item(checked: boolean, label: unknown, choose: () => void, lang = ''): TemplateResult {
    return html`<button
      role="menuitemradio"
      lang=${lang || nothing}
      aria-checked=${checked ? 'true' : 'false'}
      @click=${() => this.chosen(choose)}
    >
      ${typeof label === 'string' ? html`<span>${label}</span>` : label}${checkIcon}
    </button>`;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('open') && this.open) {
      const items = this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitemradio"]');
      (
        this.renderRoot.querySelector<HTMLElement>('[role="menuitemradio"][aria-checked="true"]') ?? items[0]
      )?.focus();
    }
  }
}
