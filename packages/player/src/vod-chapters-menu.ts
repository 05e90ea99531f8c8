import { css, html, LitElement, nothing, type PropertyValues, svg } from 'lit';
import { property, state } from 'lit/decorators.js';
import type { ChapterCue } from './chapters.ts';
import type { ChaptersController } from './chapters-controller.ts';
import { controlButtonStyles } from './player-styles.ts';
import { formatTime } from './time.ts';

const chaptersIcon = svg`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
  <path d="M9 6h11M9 12h11M9 18h11"/><circle cx="4.5" cy="6" r="1.2" fill="currentColor" stroke="none"/><circle cx="4.5" cy="12" r="1.2" fill="currentColor" stroke="none"/><circle cx="4.5" cy="18" r="1.2" fill="currentColor" stroke="none"/>
</svg>`;

/**
 * The chapters button and menu of `<vod-player>`: one item per chapter (start time and title), the
 * one playing checked; choosing one seeks to its start. Renders nothing without chapters. The player
 * owns the state (a `ChaptersController`); this element shows it and reports the choice.
 *
 * @csspart button - the chapters button
 * @csspart menu - the list of chapters
 */
export class VodChaptersMenu extends LitElement {
  static override styles = [
    controlButtonStyles,
    css`
    :host {
      position: relative;
      display: inline-block;
    }
    [part='menu'] {
      position: absolute;
      right: 0;
      bottom: calc(100% + 10px);
      min-width: 200px;
      max-width: min(360px, 80cqw);
      max-height: 60cqh;
      overflow-y: auto;
      padding: 6px;
      border-radius: 10px;
      background: var(--vod-menu-background, rgb(24 24 27 / 0.94));
      backdrop-filter: blur(8px);
      box-shadow: 0 8px 24px rgb(0 0 0 / 0.4);
    }
    header {
      padding: 4px 10px 6px;
      font-size: 11px;
      font-weight: 600;
      letter-spacing: 0.06em;
      text-transform: uppercase;
      opacity: 0.7;
    }
    [part='menu'] button {
      display: flex;
      align-items: center;
      gap: 10px;
      width: 100%;
      min-height: 32px;
      padding: 0 10px;
      font-size: 13px;
      text-align: left;
    }
    [part='menu'] button[aria-checked='true'] {
      background: rgb(255 255 255 / 0.12);
    }
    .at {
      opacity: 0.7;
      font-variant-numeric: tabular-nums;
    }
    .title {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
  `,
  ];

  /** The player's chapters state. */
  @property({ attribute: false }) controller: ChaptersController | null = null;
  /** The chapters; a new array when they change. */
  @property({ attribute: false }) chapters: ChapterCue[] = [];
  /** The button's and the menu's name, in the player's language. */
  @property({ attribute: false }) label = 'Chapters';

  @state() private open = false;

  /** Closes the menu (the player calls this on a click beside it). */
  close(): void {
    this.open = false;
  }

  #choose(chapter: ChapterCue): void {
    this.controller?.seek(chapter);
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

  protected override render() {
    if (this.chapters.length === 0) return nothing;
    // Read at each render (opening the menu is one): the bar does not re-render on every timeupdate.
    const current = this.controller?.current ?? null;
    return html`
      <div @focusout=${this.#onFocusOut} @keydown=${this.#onKeyDown}>
        <button
          part="button"
          aria-label=${this.label}
          aria-haspopup="menu"
          aria-expanded=${this.open ? 'true' : 'false'}
          @click=${() => (this.open = !this.open)}
        >
          ${chaptersIcon}
        </button>
        ${
          this.open
            ? html`<div part="menu" role="menu" aria-label=${this.label}>
              <header aria-hidden="true">${this.label}</header>
              ${this.chapters.map(
                (c) => html`<button
                  role="menuitemradio"
                  aria-checked=${c === current ? 'true' : 'false'}
                  @click=${() => this.#choose(c)}
                >
                  <span class="at">${formatTime(c.start)}</span><span class="title">${c.title}</span>
                </button>`,
              )}
            </div>`
            : nothing
        }
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('open') && this.open) {
      const items = this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitemradio"]');
      (this.renderRoot.querySelector<HTMLElement>('[aria-checked="true"]') ?? items[0])?.focus();
    }
  }
}

// Registered here: `<vod-player>` imports this module (a chunk of its own) only once a video has chapters.
if (typeof customElements !== 'undefined' && !customElements.get('vod-chapters-menu'))
  customElements.define('vod-chapters-menu', VodChaptersMenu);

declare global {
  interface HTMLElementTagNameMap {
    'vod-chapters-menu': VodChaptersMenu;
  }
}
