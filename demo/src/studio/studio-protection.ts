import type { Video } from '@vodkit/api';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { client, describeError } from './api.ts';
import { StudioElement } from './studio-element.ts';

/** Protected playback (playback tokens) and the origins allowed to embed and play the video. */
@customElement('studio-protection')
export class StudioProtection extends StudioElement {
  @property({ attribute: false }) video!: Video;
  @state() private message = '';
  @state() private error = '';

  async #save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const lines = String(data.get('origins') ?? '')
      .split(/[\s,]+/)
      .map((o) => o.trim())
      .filter(Boolean);
    try {
      const updated = await client.updateVideo(this.video.videoId, {
        protected: data.get('protected') === 'on',
        allowedOrigins: lines.length ? lines : null,
      });
      this.dispatchEvent(new CustomEvent('video-changed', { detail: updated }));
      this.message = 'Saved.';
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
      this.message = '';
    }
  }

  override render() {
    const v = this.video;
    return html`<form class="panel" @submit=${(e: SubmitEvent) => this.#save(e)}>
      <h2>Protection</h2>
      <label class="check">
        <input type="checkbox" name="protected" ?checked=${v.protected} />
        Protected: plays only with a playback token
      </label>
      <label for="allowed-origins">Allowed origins (one a line; empty: the key's list)</label>
      <textarea id="allowed-origins" name="origins" rows="3" placeholder="https://www.example.com">
${(v.allowedOrigins ?? []).join('\n')}</textarea
      >
      <button type="submit">Save protection</button>
      <p class="muted small" role="status">${this.message}</p>
      <p class="error" role="alert">${this.error}</p>
    </form>`;
  }
}
