import { css, html, LitElement, nothing, type PropertyValues, svg } from 'lit';
import { property, state } from 'lit/decorators.js';
import { type CaptionsController, trackName } from './captions.ts';
import { controlButtonStyles } from './player-styles.ts';

const ccIcon = (on: boolean) =>
  svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2">
    <rect x="3" y="5" width="18" height="14" rx="2.5" fill=${on ? 'currentColor' : 'none'}/>
    <path d="M10.5 10.2a2.3 2.3 0 1 0 0 3.6M17 10.2a2.3 2.3 0 1 0 0 3.6" stroke=${on ? 'var(--_cc-ink, #000)' : 'currentColor'} stroke-linecap="round"/>
  </svg>`;

const checkIcon = svg`<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"><path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

/**
 * The captions button and menu of `<vod-player>`: Off plus one item per subtitle/caption track.
 * Renders nothing when the video has no such track. The player owns the state (a
 * `CaptionsController`); this element only shows it and reports the viewer's choice.
 *
 * @csspart button - the CC button (`aria-pressed` while captions show)
 * @csspart menu - the list of tracks
 */
export class VodCaptionsMenu extends LitElement {
  static override styles = [
    controlButtonStyles,
    css`
    :host {
      position: relative;
      display: inline-block;
    }
    [part='button'] svg {
      width: 22px;
      height: 22px;
    }
    [part='menu'] {
      position: absolute;
      right: 0;
      bottom: calc(100% + 10px);
      min-width: 168px;
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
      justify-content: space-between;
      align-items: center;
      gap: 12px;
      width: 100%;
      height: 32px;
      padding: 0 10px;
      font-size: 13px;
      text-align: left;
      white-space: nowrap;
    }
    [part='menu'] button[aria-checked='false'] svg {
      visibility: hidden;
    }
  `,
  ];

  /** The player's captions state. */
  @property({ attribute: false }) controller: CaptionsController | null = null;
  /** The caption tracks; a new array whenever they change, so the menu re-renders. */
  @property({ attribute: false }) tracks: TextTrack[] = [];
  /** The track on screen, or null. */
  @property({ attribute: false }) shown: TextTrack | null = null;
  /** The button's and the menu's name, in the player's language. */
  @property({ attribute: false }) label = 'Captions';
  /** The item that turns captions off. */
  @property({ attribute: false }) offLabel = 'Off';
  /** Names a track without label or language: `Track 2`. */
  @property({ attribute: false }) trackWord = 'Track';

  @state() private open = false;

  #choose(track: TextTrack | null): void {
    this.controller?.select(track);
    this.open = false;
    this.#button()?.focus();
  }

  #button(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[part="button"]');
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
      this.#button()?.focus();
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && items.length > 0) {
      const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items[at < 0 ? 0 : next]?.focus();
    } else {
      return;
    }
    // The player's own shortcuts (volume on ↑/↓) skip handled keys.
    e.preventDefault();
  };

  /** Closes the menu (the player calls this on a click beside it). */
  close(): void {
    this.open = false;
  }

  protected override render() {
    const tracks = this.tracks;
    if (tracks.length === 0) return nothing;
    const shown = this.shown;
    const item = (track: TextTrack | null, label: string) => html`
      <button
        role="menuitemradio"
        lang=${track?.language || nothing}
        aria-checked=${shown === track ? 'true' : 'false'}
        @click=${() => this.#choose(track)}
      >
        <span>${label}</span>${checkIcon}
      </button>
    `;
    return html`
      <div @focusout=${this.#onFocusOut} @keydown=${this.#onKeyDown}>
        <button
          part="button"
          aria-label=${this.label}
          aria-haspopup="menu"
          aria-expanded=${this.open ? 'true' : 'false'}
          @click=${() => (this.open = !this.open)}
        >
          ${ccIcon(shown !== null)}
        </button>
        ${
          this.open
            ? html`<div part="menu" role="menu" aria-label=${this.label}>
              <header aria-hidden="true">${this.label}</header>
              ${item(null, this.offLabel)} ${tracks.map((t, i) => item(t, trackName(t, i, this.trackWord)))}
            </div>`
            : nothing
        }
      </div>
    `;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('open') && this.open) {
      this.renderRoot.querySelector<HTMLElement>('[role="menuitemradio"][aria-checked="true"]')?.focus();
    }
  }
}

// Registered here, not in index.ts: `<vod-player>` imports this module (a chunk of its own) only once a
// video has caption tracks, so a page without captions never fetches it. Guarded as index.ts's tags are.
if (typeof customElements !== 'undefined' && !customElements.get('vod-captions-menu'))
  customElements.define('vod-captions-menu', VodCaptionsMenu);

declare global {
  interface HTMLElementTagNameMap {
    'vod-captions-menu': VodCaptionsMenu;
  }
}
