import { html, nothing, svg } from 'lit';
import { property } from 'lit/decorators.js';
import {
  applyCaptionStyle,
  CAPTION_SCALES,
  type CaptionStyle,
  loadCaptionStyle,
  saveCaptionStyle,
} from './caption-style.ts';
import { type CaptionsController, trackName } from './captions.ts';
import type { PlayerStrings } from './i18n.ts';
import { MenuElement } from './menu-element.ts';

const ccIcon = (on: boolean) =>
  svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2">
    <rect x="3" y="5" width="18" height="14" rx="2.5" fill=${on ? 'currentColor' : 'none'}/>
    <path d="M10.5 10.2a2.3 2.3 0 1 0 0 3.6M17 10.2a2.3 2.3 0 1 0 0 3.6" stroke=${on ? 'var(--_cc-ink, #000)' : 'currentColor'} stroke-linecap="round"/>
  </svg>`;

/**
 * The captions button and menu of `<vod-player>`: Off plus one item per subtitle/caption track, then
 * the viewer's caption settings (text size, background), stored in this browser and applied to every
 * player (`caption-style.ts`). Renders nothing when the video has no such track. The player owns the
 * track state (a `CaptionsController`); this element only shows it and reports the viewer's choice.
 *
 * @csspart button - the CC button
 * @csspart menu - the list of tracks and the caption settings
 */
export class VodCaptionsMenu extends MenuElement {
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
  /** The player's strings, for the caption settings. */
  @property({ attribute: false }) strings: Partial<PlayerStrings> = {};

  #style: CaptionStyle = loadCaptionStyle();

  override connectedCallback(): void {
    super.connectedCallback();
    // The stored settings apply as soon as a video has captions (this element comes with them).
    this.#apply(this.#style);
  }

  #apply(style: CaptionStyle): void {
    this.#style = style;
    const player = (this.getRootNode() as ShadowRoot).host;
    if (player instanceof HTMLElement) applyCaptionStyle(player, style);
  }

  #set(change: Partial<CaptionStyle>): void {
    this.#apply({ ...this.#style, ...change });
    saveCaptionStyle(this.#style);
  }

  protected override render() {
    const tracks = this.tracks;
    if (tracks.length === 0) return nothing;
    const { shown, strings: t } = this;
    const style = this.#style;
    const group = (label: string, items: unknown) =>
      html`<div role="group" aria-label=${label}><header aria-hidden="true">${label}</header>${items}</div>`;
    const body = html`
      ${this.item(shown === null, this.offLabel, () => this.controller?.select(null))}
      ${tracks.map((track, i) =>
        this.item(
          shown === track,
          trackName(track, i, this.trackWord),
          () => this.controller?.select(track),
          track.language,
        ),
      )}
      ${group(
        t.captionSize ?? 'Text size',
        CAPTION_SCALES.map((scale) =>
          this.item(style.scale === scale, `${scale * 100}%`, () => this.#set({ scale })),
        ),
      )}
      ${group(t.captionBackground ?? 'Background', [
        this.item(style.background === 'dark', t.backgroundDark ?? 'Dark', () =>
          this.#set({ background: 'dark' }),
        ),
        this.item(style.background === 'none', t.backgroundNone ?? 'None', () =>
          this.#set({ background: 'none' }),
        ),
      ])}
    `;
    return this.menu(this.label, this.label, ccIcon(shown !== null), body);
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
