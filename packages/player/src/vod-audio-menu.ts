import { nothing, svg } from 'lit';
import { property } from 'lit/decorators.js';
import { rememberAudio } from './audio-choice.ts';
import { MenuElement } from './menu-element.ts';

/** An audio rendition of the stream, as the menu lists it. */
export interface AudioTrackItem {
  name: string;
  /** BCP 47, or '' when the playlist did not say. */
  language: string;
}

const audioIcon = svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M4 5h16v11H9l-5 4z"/><path d="M8 9h8M8 12h5"/></svg>`;
/**
 * The audio button and menu of `<vod-player>`: one item per audio rendition (languages, commentary),
 * shown when the stream has two or more. The choice is remembered (`audio-choice.ts`) and asked of
 * hls.js for the next videos too. A chunk of its own, loaded only for such streams.
 *
 * @csspart button - the audio button
 * @csspart menu - the list of audio tracks
 */
export class VodAudioMenu extends MenuElement {
  @property({ attribute: false }) tracks: AudioTrackItem[] = [];
  /** The index of the track playing, or -1. */
  @property({ attribute: false }) current = -1;
  /** The button's and the menu's name, in the player's language. */
  @property({ attribute: false }) label = 'Audio';
  /** Switches the player to a track. */
  @property({ attribute: false }) choose: (index: number) => void = () => undefined;

  #pick(index: number): void {
    this.choose(index);
    const language = this.tracks[index]?.language;
    if (language) rememberAudio(language);
  }

  protected override render() {
    if (this.tracks.length < 2) return nothing;
    const current = this.tracks[this.current];
    const items = this.tracks.map((track, i) =>
      this.item(
        i === this.current,
        track.name || track.language || `${this.label} ${i + 1}`,
        () => this.#pick(i),
        track.language,
      ),
    );
    return this.menu(this.label, current ? `${this.label}: ${current.name}` : this.label, audioIcon, items);
  }
}

// Registered here, as `<vod-captions-menu>` is: `<vod-player>` imports this chunk only for a stream
// with two or more audio renditions.
if (typeof customElements !== 'undefined' && !customElements.get('vod-audio-menu'))
  customElements.define('vod-audio-menu', VodAudioMenu);

declare global {
  interface HTMLElementTagNameMap {
    'vod-audio-menu': VodAudioMenu;
  }
}
