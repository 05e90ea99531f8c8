import '@vodkit/player';
import type { Video } from '@vodkit/api';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { formatDuration } from '../format.ts';
import { client, describeError } from './api.ts';
import { followVideo, isFinal, type LiveStatus } from './live-status.ts';
import { navigate } from './router.ts';
import { StudioElement } from './studio-element.ts';
import './studio-captions.ts';
import './studio-chapters.ts';
import './studio-clip.ts';
import './studio-embed.ts';
import './studio-media.ts';
import './studio-protection.ts';
import './studio-stats.ts';

/**
 * One video: the player, its title, what the encode made (renditions, downloads, pictures),
 * captions, chapters, clips, protection, embedding, analytics, and deleting it. Each part is its own
 * element fed the video; this page loads it, follows its encode and saves the title.
 */
@customElement('studio-video')
export class StudioVideo extends StudioElement {
  @property() videoId = '';
  @state() private video: Video | null = null;
  @state() private live: LiveStatus | null = null;
  @state() private error = '';
  @state() private saved = '';
  @query('#delete-dialog') private dialog!: HTMLDialogElement;
  #unfollow: (() => void) | null = null;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('videoId') && this.videoId) void this.#load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unfollow?.();
  }

  async #load(): Promise<void> {
    this.#unfollow?.();
    this.#unfollow = null;
    try {
      this.video = await client.getVideo(this.videoId);
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
      return;
    }
    if (!isFinal(this.video.status)) {
      const wasPlayable = !!this.video.playback;
      this.#unfollow = followVideo(this.videoId, (live) => {
        this.live = live;
        // The player appears once the first segments are out, and the outputs once it ends.
        if (isFinal(live.status) || (!wasPlayable && live.status !== 'queued')) void this.#refresh();
      });
    }
  }

  async #refresh(): Promise<void> {
    const fresh = await client.getVideo(this.videoId).catch(() => null);
    if (fresh) this.video = fresh;
  }

  async #saveTitle(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const title = String(new FormData(event.target as HTMLFormElement).get('title') ?? '').trim();
    try {
      this.video = { ...this.video!, ...(await client.updateVideo(this.videoId, { title: title || null })) };
      this.saved = 'Title saved.';
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
      this.saved = '';
    }
  }

  async #delete(): Promise<void> {
    const video = this.video!;
    try {
      if (!isFinal(this.live?.status ?? video.status)) await client.cancelJob(video.jobId).catch(() => {});
      await client.deleteFile(video.fileId);
      this.dialog.close();
      navigate('/studio');
    } catch (err) {
      this.dialog.close();
      this.error = describeError(err);
    }
  }

  override render() {
    const v = this.video;
    if (!v) {
      return html`<p class="error" role="alert">${this.error}</p>
        ${this.error ? nothing : html`<p class="muted">Loading…</p>`}`;
    }
    const status = this.live?.status ?? v.status;
    const progress = this.live?.progress;
    return html`
      <p><a href="/studio">← All videos</a></p>
      <h1>${v.title ?? v.videoId}</h1>
      <p class="status-line">
        <span class="status status-${status}" data-testid="video-status"
          >${status}${status === 'processing' && progress !== undefined ? ` ${Math.round(progress)}%` : ''}</span
        >
        ${v.duration !== null ? html`· ${formatDuration(v.duration)}` : nothing}
        ${v.width ? html`· ${v.width}×${v.height}` : nothing} · <code>${v.videoId}</code>
      </p>
      <p class="error" role="alert">${this.error}</p>

      <div class="video-layout">
        <div class="player-column">
          ${
            v.playback
              ? html`<vod-player
                id="studio-player"
                video-id=${v.videoId}
                video-title=${v.title ?? ''}
                muted
                token-url=${v.protected ? `/v1/videos/${v.videoId}/playback-tokens` : nothing}
              ></vod-player>`
              : html`<div class="player-placeholder"><p>Not playable yet.</p></div>`
          }
          <studio-clip .video=${v}></studio-clip>
        </div>
        <div class="side-column">
          <form class="panel" @submit=${(e: SubmitEvent) => this.#saveTitle(e)}>
            <h2>Title</h2>
            <label for="video-title">Title</label>
            <div class="inline">
              <input id="video-title" name="title" maxlength="200" .value=${v.title ?? ''} />
              <button type="submit">Save title</button>
            </div>
            <p class="muted small" role="status">${this.saved}</p>
          </form>
          <studio-protection
            .video=${v}
            @video-changed=${(e: CustomEvent<Video>) => {
              this.video = { ...v, ...e.detail };
            }}
          ></studio-protection>
        </div>
      </div>

      <studio-media .video=${v}></studio-media>
      <studio-captions .video=${v}></studio-captions>
      <studio-chapters .video=${v}></studio-chapters>
      <studio-embed .video=${v}></studio-embed>
      <studio-stats .video=${v}></studio-stats>

      <section class="panel danger" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete</h2>
        <p>Deleting removes the uploaded file and every video made from it, for good.</p>
        <button type="button" class="danger" @click=${() => this.dialog.showModal()}>Delete video…</button>
        <dialog id="delete-dialog" aria-labelledby="delete-dialog-title">
          <h2 id="delete-dialog-title">Delete “${v.title ?? v.videoId}”?</h2>
          <p>The source file, this video and any other video made from the same file are deleted. This cannot be undone.</p>
          <div class="inline">
            <button type="button" class="secondary" @click=${() => this.dialog.close()}>Cancel</button>
            <button type="button" class="danger" @click=${() => this.#delete()}>Delete for good</button>
          </div>
        </dialog>
      </section>
    `;
  }
}
