import { css, html, nothing, svg } from 'lit';
import { property } from 'lit/decorators.js';
import type { ChapterCue } from './chapters.ts';
import type { ChaptersController } from './chapters-controller.ts';
import { MenuElement } from './menu-element.ts';
import { formatTime } from './time.ts';

const chaptersIcon = svg`<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
  <path d="M9 6h11M9 12h11M9 18h11"/><circle cx="4.5" cy="6" r="1.2" fill="currentColor" stroke="none"/><circle cx="4.5" cy="12" r="1.2" fill="currentColor" stroke="none"/><circle cx="4.5" cy="18" r="1.2" fill="currentColor" stroke="none"/>
</svg>`;

/**
 * The chapters button and menu of `<vod-player>`: one item per chapter (start time and title), the
 * one playing checked; choosing one seeks to its start. Renders nothing without chapters. The player
 * owns the state (a `ChaptersController`); this element shows it and reports the choice. The menu's
 * behaviour (focus, keys, fitting small players) is `MenuElement`'s, as for captions and audio.
 *
 * @csspart button - the chapters button
 * @csspart menu - the list of chapters
 */
export class VodChaptersMenu extends MenuElement {
  static override styles = [
    ...MenuElement.styles,
    css`
      .menu button {
        justify-content: flex-start;
      }
      .at {
        opacity: 0.7;
        font-variant-numeric: tabular-nums;
      }
      .title {
        flex: 1;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      /* Long titles end in an ellipsis rather than widen the menu past the player. */
      @container (min-height: 300px) {
        .menu {
          max-width: min(360px, 80cqw);
        }
      }
    `,
  ];

  /** The player's chapters state. */
  @property({ attribute: false }) controller: ChaptersController | null = null;
  /** The chapters; a new array when they change. */
  @property({ attribute: false }) chapters: ChapterCue[] = [];
  /** The button's and the menu's name, in the player's language. */
  @property({ attribute: false }) label = 'Chapters';

  protected override render() {
    if (this.chapters.length === 0) return nothing;
    // Read at each render (opening the menu is one): the bar does not re-render on every timeupdate.
    const current = this.controller?.current ?? null;
    const items = this.chapters.map((c) =>
      this.item(
        c === current,
        html`<span class="at">${formatTime(c.start)}</span><span class="title">${c.title}</span>`,
        () => this.controller?.seek(c),
      ),
    );
    return this.menu(this.label, this.label, chaptersIcon, items);
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
