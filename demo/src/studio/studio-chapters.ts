import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { describeError, request } from './api.ts';
import { notOnThisServer, studioPlayer } from './feature-api.ts';
import { VideoPanel } from './video-panel.ts';

interface Chapter {
  start: number;
  title: string;
}

/**
 * The chapters editor (`GET`/`PUT /v1/videos/:id/chapters`, issue 15): rows of start time and
 * title, a start taken from the player's current time, saved sorted. The server checks them again.
 */
@customElement('studio-chapters')
export class StudioChapters extends VideoPanel {
  @state() private chapters: Chapter[] = [];
  @state() private available = true;
  @state() private error = '';
  @state() private message = '';
  protected async load(): Promise<void> {
    try {
      const body = await request<{ chapters: Chapter[] }>('GET', this.#path());
      this.chapters = body.chapters;
    } catch (err) {
      if (notOnThisServer(err)) this.available = false;
      else this.error = describeError(err);
    }
  }

  #path(): string {
    return `/v1/videos/${encodeURIComponent(this.video.videoId)}/chapters`;
  }

  #edit(index: number, patch: Partial<Chapter>): void {
    this.chapters = this.chapters.map((c, i) => (i === index ? { ...c, ...patch } : c));
  }

  #add(): void {
    const at = studioPlayer()?.currentTime ?? 0;
    this.chapters = [...this.chapters, { start: Math.round(at * 10) / 10, title: '' }];
  }

  async #save(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const chapters = [...this.chapters].sort((a, b) => a.start - b.start);
    try {
      this.chapters = (await request<{ chapters: Chapter[] }>('PUT', this.#path(), { chapters })).chapters;
      this.message = 'Chapters saved.';
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
      this.message = '';
    }
  }

  override render() {
    if (!this.available) {
      return html`<section class="panel"><h2>Chapters</h2><p class="muted">This server has no chapters API.</p></section>`;
    }
    return html`<form class="panel" aria-labelledby="chapters-heading" @submit=${(e: SubmitEvent) => this.#save(e)}>
      <h2 id="chapters-heading">Chapters</h2>
      ${this.chapters.length === 0 ? html`<p class="muted">No chapters.</p>` : ''}
      <ol class="chapters">
        ${this.chapters.map(
          (c, i) => html`<li>
            <label>Start (s) <input type="number" min="0" step="0.1" required .value=${String(c.start)}
              @input=${(e: Event) => this.#edit(i, { start: Number((e.target as HTMLInputElement).value) })} /></label>
            <label>Chapter title <input required maxlength="200" .value=${c.title}
              @input=${(e: Event) => this.#edit(i, { title: (e.target as HTMLInputElement).value })} /></label>
            <button type="button" class="secondary"
              @click=${() => this.#edit(i, { start: Math.round((studioPlayer()?.currentTime ?? c.start) * 10) / 10 })}>
              Use player time<span class="visually-hidden"> for chapter ${i + 1}</span>
            </button>
            <button type="button" class="secondary" @click=${() => {
              this.chapters = this.chapters.filter((_, j) => j !== i);
            }}>Remove<span class="visually-hidden"> chapter ${i + 1}</span></button>
          </li>`,
        )}
      </ol>
      <div class="inline">
        <button type="button" class="secondary" @click=${() => this.#add()}>Add chapter</button>
        <button type="submit">Save chapters</button>
      </div>
      <p class="muted small" role="status">${this.message}</p>
      <p class="error" role="alert">${this.error}</p>
    </form>`;
  }
}
