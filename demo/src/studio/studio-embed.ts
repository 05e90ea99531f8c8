import type { Video } from '@vodkit/api';
import { html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { StudioElement } from './studio-element.ts';

/** What to paste into another site: the element, the iframe, and the oEmbed URL. */
@customElement('studio-embed')
export class StudioEmbed extends StudioElement {
  @property({ attribute: false }) video!: Video;

  override render() {
    const v = this.video;
    if (!v.playback) return html``;
    const origin = location.origin;
    const element = `<script type="module" src="${origin}/sdk/vodkit-player.js"></script>\n<vod-player video-id="${v.videoId}" api-base="${origin}"></vod-player>`;
    const iframe = `<iframe src="${v.playback.embed}" width="640" height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`;
    const oembed = `${origin}/oembed?url=${encodeURIComponent(v.playback.embed)}`;
    return html`<section class="panel" aria-labelledby="embed-heading">
      <h2 id="embed-heading">Embed</h2>
      ${
        v.protected
          ? html`<p class="muted">Protected: each embed needs a playback token (<code>?token=</code>) from your app server.</p>`
          : ''
      }
      <label for="embed-element">The element</label>
      <textarea id="embed-element" readonly rows="3">${element}</textarea>
      <label for="embed-iframe">An iframe</label>
      <textarea id="embed-iframe" readonly rows="2">${iframe}</textarea>
      <p>oEmbed: <a href=${oembed}>${oembed}</a></p>
    </section>`;
  }
}
