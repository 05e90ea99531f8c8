import type { CreatedClip, Video } from '@vodkit/api';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { client, describeError } from './api.ts';
import { clock, studioPlayer } from './feature-api.ts';
import { StudioElement } from './studio-element.ts';

/**
 * The clip tool: mark start and end on the player, then `POST /v1/videos/:id/clips {start, end,
 * title?}` (issue 15) makes a new video cut from the same source; its page is linked.
 */
@customElement('studio-clip')
export class StudioClip extends StudioElement {
  @property({ attribute: false }) video!: Video;
  @state() private start = 0;
  @state() private end = 0;
  @state() private error = '';
  @state() private made: CreatedClip | null = null;
  @state() private busy = false;

  #mark(which: 'start' | 'end'): void {
    const t = Math.round((studioPlayer()?.currentTime ?? 0) * 10) / 10;
    if (which === 'start') this.start = t;
    else this.end = t;
  }

  async #create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const title = String(new FormData(event.target as HTMLFormElement).get('title') ?? '').trim();
    this.busy = true;
    try {
      this.made = await client.createClip(this.video.videoId, {
        start: this.start,
        end: this.end,
        ...(title ? { title } : {}),
      });
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
      this.made = null;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    if (!this.video.playback) return html``;
    const num = (e: Event) => Number((e.target as HTMLInputElement).value);
    return html`<form class="panel clip" aria-labelledby="clip-heading" @submit=${(e: SubmitEvent) => this.#create(e)}>
      <h2 id="clip-heading">Make a clip</h2>
      <div class="clip-marks">
        <label>Clip start (s) <input type="number" min="0" step="0.1" .value=${String(this.start)}
          @input=${(e: Event) => {
            this.start = num(e);
          }} /></label>
        <button type="button" class="secondary" @click=${() => this.#mark('start')}>Set start here</button>
        <label>Clip end (s) <input type="number" min="0" step="0.1" .value=${String(this.end)}
          @input=${(e: Event) => {
            this.end = num(e);
          }} /></label>
        <button type="button" class="secondary" @click=${() => this.#mark('end')}>Set end here</button>
      </div>
      <p class="muted small">${clock(this.start)} → ${clock(this.end)} (${Math.max(0, this.end - this.start).toFixed(1)} s)</p>
      <label>Clip title <input name="title" maxlength="200" /></label>
      <button type="submit" ?disabled=${this.busy || this.end <= this.start}>Create clip</button>
      <p class="error" role="alert">${this.error}</p>
      ${
        this.made
          ? html`<p role="status">Clip created: <a href="/studio/videos/${this.made.videoId}">open the clip</a>.</p>`
          : ''
      }
    </form>`;
  }
}
