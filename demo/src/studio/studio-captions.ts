import type { CaptionKind, CaptionTrack } from '@vodkit/api';
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { client, describeError, request } from './api.ts';
import { VideoPanel } from './video-panel.ts';

/** A video's caption and subtitle tracks: upload (WebVTT or SRT), delete, and which one is the default. */
@customElement('studio-captions')
export class StudioCaptions extends VideoPanel {
  @state() private tracks: CaptionTrack[] = [];
  @state() private error = '';
  @state() private busy = false;
  protected async load(): Promise<void> {
    try {
      this.tracks = (await client.listTracks(this.video.videoId)).data;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  async #act(what: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    try {
      await what();
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
  }

  async #upload(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      this.error = 'Choose a .vtt or .srt file.';
      return;
    }
    const label = String(data.get('label') ?? '').trim();
    const content = await file.text();
    await this.#act(() =>
      client.addTrack(this.video.videoId, {
        language: String(data.get('language') ?? '').trim(),
        ...(label ? { label } : {}),
        kind: String(data.get('kind')) as CaptionKind,
        default: data.get('default') === 'on',
        content,
      }),
    );
    if (!this.error) form.reset();
  }

  #setDefault(track: CaptionTrack, value: boolean): Promise<void> {
    const path = `/v1/videos/${this.video.videoId}/tracks/${track.trackId}`;
    return this.#act(() => request('PATCH', path, { default: value }));
  }

  override render() {
    return html`<section class="panel" aria-labelledby="captions-heading">
      <h2 id="captions-heading">Captions</h2>
      ${
        this.tracks.length === 0
          ? html`<p class="muted">No caption tracks.</p>`
          : html`<ul class="tracks">
            ${this.tracks.map(
              (t) => html`<li>
                <span><strong>${t.label}</strong> <span class="muted">(${t.language}, ${t.kind}, ${t.cueCount} cues)</span>
                ${t.default ? html`<span class="badge">default</span>` : ''}</span>
                <span class="inline">
                  <button type="button" class="secondary" ?disabled=${this.busy}
                    @click=${() => this.#setDefault(t, !t.default)}>
                    ${t.default ? 'Unset default' : 'Make default'}<span class="visually-hidden"> (${t.label})</span>
                  </button>
                  <a href=${t.url}>VTT<span class="visually-hidden"> (${t.label})</span></a>
                  <button type="button" class="secondary" ?disabled=${this.busy}
                    @click=${() => this.#act(() => client.deleteTrack(this.video.videoId, t.trackId))}>
                    Delete<span class="visually-hidden"> ${t.label}</span>
                  </button>
                </span>
              </li>`,
            )}
          </ul>`
      }
      <form class="grid-form" @submit=${(e: SubmitEvent) => this.#upload(e)}>
        <h3>Add a track</h3>
        <label>File (WebVTT or SRT) <input type="file" name="file" accept=".vtt,.srt,text/vtt,application/x-subrip" required /></label>
        <label>Language <input name="language" required placeholder="en" maxlength="35" /></label>
        <label>Label <input name="label" placeholder="English" maxlength="100" /></label>
        <label>Kind
          <select name="kind"><option value="subtitles">subtitles</option><option value="captions">captions</option></select>
        </label>
        <label class="check"><input type="checkbox" name="default" /> Default track</label>
        <button type="submit" ?disabled=${this.busy}>Upload captions</button>
      </form>
      <p class="error" role="alert">${this.error}</p>
    </section>`;
  }
}
