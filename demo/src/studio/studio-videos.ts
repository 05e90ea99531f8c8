import '@vodkit/uploader';
import { type JobStatus, type Page, VIDEO_STATUSES, type Video } from '@vodkit/api';
import { html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { formatDuration } from '../format.ts';
import { client, describeError, request } from './api.ts';
import { followVideo, isFinal, type LiveStatus } from './live-status.ts';
import { StudioElement } from './studio-element.ts';
import { viewsOf } from './video-stats.ts';

const PER_PAGE = 12;
/** Event streams the list keeps open at most (the server allows a key 20, the uploader needs some). */
const MAX_FOLLOWED = 6;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * The key's videos: upload (the project's `<vod-uploader>`, encoding on), search by title, filter by
 * status, pages; each row's status follows the encode live over its event stream.
 */
@customElement('studio-videos')
export class StudioVideos extends StudioElement {
  @state() private page: Page<Video> | null = null;
  @state() private live = new Map<string, LiveStatus>();
  @state() private views = new Map<string, number | null>();
  /** Playback tokens for the protected rows' posters (a poster of a protected video needs one). */
  @state() private posterTokens = new Map<string, string>();
  @state() private error = '';
  @state() private q = '';
  @state() private status: JobStatus | '' = '';
  @state() private pageNo = 1;
  #followed = new Map<string, () => void>();

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const close of this.#followed.values()) close();
    this.#followed.clear();
  }

  /** The latest list request: an answer to an earlier one (slower, unfiltered) must not replace it. */
  #loadSeq = 0;

  async #load(): Promise<void> {
    const seq = ++this.#loadSeq;
    try {
      const page = await client.listVideos({
        q: this.q,
        ...(this.status ? { status: this.status } : {}),
        page: this.pageNo,
        perPage: PER_PAGE,
      });
      if (seq !== this.#loadSeq) return;
      this.page = page;
      this.error = '';
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.error = describeError(err);
      return;
    }
    this.#follow();
    void this.#loadViews(seq);
    void this.#loadPosterTokens(seq);
  }

  /** Opens event streams for the rows still encoding (a few), and closes those no longer shown. */
  #follow(): void {
    const rows = this.page?.data ?? [];
    const shown = new Set(rows.map((v) => v.videoId));
    for (const [videoId, close] of this.#followed) {
      if (!shown.has(videoId)) {
        close();
        this.#followed.delete(videoId);
      }
    }
    for (const video of rows) {
      if (isFinal(video.status) || this.#followed.has(video.videoId)) continue;
      if (this.#followed.size >= MAX_FOLLOWED) break;
      const close = followVideo(video.videoId, (live) => {
        this.live = new Map(this.live).set(video.videoId, live);
        if (isFinal(live.status)) {
          this.#followed.get(video.videoId)?.();
          this.#followed.delete(video.videoId);
          void this.#refreshRow(video.videoId);
        }
      });
      this.#followed.set(video.videoId, close);
    }
  }

  async #refreshRow(videoId: string): Promise<void> {
    const fresh = await client.getVideo(videoId).catch(() => null);
    if (!fresh || !this.page) return;
    this.page = { ...this.page, data: this.page.data.map((v) => (v.videoId === videoId ? fresh : v)) };
    this.#follow();
  }

  async #loadViews(seq: number): Promise<void> {
    const rows = this.page?.data ?? [];
    const entries = await Promise.all(rows.map(async (v) => [v.videoId, await viewsOf(v)] as const));
    if (seq === this.#loadSeq) this.views = new Map(entries);
  }

  /** One short-lived token per protected row shown (at most a page's worth), for its poster only. */
  async #loadPosterTokens(seq: number): Promise<void> {
    const rows = (this.page?.data ?? []).filter((v) => v.protected && v.playback);
    const entries = await Promise.all(
      rows.map(async (v) => {
        const minted = await request<{ token: string }>(
          'POST',
          `/v1/videos/${encodeURIComponent(v.videoId)}/playback-tokens`,
          { expiresIn: 600 },
        ).catch(() => null);
        return minted ? ([[v.videoId, minted.token]] as const) : [];
      }),
    );
    if (seq === this.#loadSeq) this.posterTokens = new Map(entries.flat());
  }

  #posterOf(v: Video): string | null {
    if (!v.playback) return null;
    if (!v.protected) return v.playback.poster;
    const token = this.posterTokens.get(v.videoId);
    return token ? `${v.playback.poster}?token=${encodeURIComponent(token)}` : null;
  }

  #search(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.q = String(data.get('q') ?? '');
    this.status = String(data.get('status') ?? '') as JobStatus | '';
    this.pageNo = 1;
    void this.#load();
  }

  #goTo(pageNo: number): void {
    this.pageNo = pageNo;
    void this.#load();
  }

  override render() {
    const info = this.page?.pageInfo;
    return html`
      <h1>Videos</h1>
      <section class="panel" aria-labelledby="upload-heading">
        <h2 id="upload-heading">Upload</h2>
        <vod-uploader
          encode
          multiple
          @vod-encoding-start=${() => void this.#load()}
          @vod-video-ready=${() => void this.#load()}
        ></vod-uploader>
      </section>

      <form class="filters" role="search" @submit=${(e: SubmitEvent) => this.#search(e)}>
        <label>Search by title <input type="search" name="q" .value=${this.q} /></label>
        <label
          >Status
          <select name="status">
            <option value="" ?selected=${this.status === ''}>Any</option>
            ${VIDEO_STATUSES.map(
              (s) => html`<option value=${s} ?selected=${this.status === s}>${s}</option>`,
            )}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>

      <p class="error" role="alert">${this.error}</p>
      ${
        this.page === null
          ? html`<p class="muted">Loading…</p>`
          : this.page.data.length === 0
            ? html`<p class="muted">No videos${this.q || this.status ? ' match' : ' yet: upload one above'}.</p>`
            : html`<ul class="video-list" aria-label="Videos">
              ${this.page.data.map((v) => this.#row(v))}
            </ul>`
      }
      ${
        info && info.lastPage > 1
          ? html`<nav class="pager" aria-label="Pages">
            <button type="button" ?disabled=${info.page <= 1} @click=${() => this.#goTo(info.page - 1)}>
              Previous
            </button>
            <span>Page ${info.page} of ${info.lastPage} (${info.total} videos)</span>
            <button
              type="button"
              ?disabled=${info.page >= info.lastPage}
              @click=${() => this.#goTo(info.page + 1)}
            >
              Next
            </button>
          </nav>`
          : nothing
      }
    `;
  }

  #row(v: Video) {
    const live = this.live.get(v.videoId);
    const status = live?.status ?? v.status;
    const progress = live?.progress;
    const views = this.views.get(v.videoId);
    const title = v.title ?? v.videoId;
    return html`<li class="video-row" data-video-id=${v.videoId}>
      <a class="poster" href="/studio/videos/${v.videoId}" tabindex="-1" aria-hidden="true">
        ${this.#posterOf(v) ? html`<img src=${this.#posterOf(v)!} alt="" loading="lazy" />` : html`<span></span>`}
      </a>
      <div class="row-main">
        <a class="row-title" href="/studio/videos/${v.videoId}">${title}</a>
        <dl class="row-meta">
          <div><dt>Duration</dt><dd>${v.duration === null ? '—' : formatDuration(v.duration)}</dd></div>
          <div>
            <dt>Status</dt>
            <dd class="status status-${status}" data-testid="status">
              ${status}${status === 'processing' && progress !== undefined ? ` ${Math.round(progress)}%` : ''}
            </dd>
          </div>
          <div><dt>Created</dt><dd>${dateFormat.format(new Date(v.createdAt))}</dd></div>
          <div><dt>Views</dt><dd data-testid="views">${views === undefined || views === null ? '—' : views}</dd></div>
        </dl>
      </div>
    </li>`;
  }
}
