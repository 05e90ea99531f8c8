import type { StudioSession } from '@vodkit/api';
import { html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { describeError, request, SIGNED_OUT_EVENT } from './api.ts';
import { interceptLinks, navigate, parseRoute, ROUTE_EVENT, type Route } from './router.ts';
import { StudioElement } from './studio-element.ts';
import './studio-sign-in.ts';
import './studio-videos.ts';
import './studio-video.ts';
import './studio-webhooks.ts';
import './studio-keys.ts';

const PAGE_TITLES: Record<Route['page'], string> = {
  videos: 'Videos',
  video: 'Video',
  webhooks: 'Webhooks',
  keys: 'API keys',
};

/**
 * The Studio shell: who is signed in (the session cookie is httpOnly, so it asks the server), the
 * navigation, and the page of the current path. A one-time link from `npm run keys -- login` arrives
 * as `#link=…`: it is taken out of the address at once and spent with one POST.
 */
@customElement('studio-app')
export class StudioApp extends StudioElement {
  /** undefined while asking the server; null when signed out. */
  @state() private session: StudioSession | null | undefined = undefined;
  @state() private route: Route = parseRoute(location.pathname);
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    interceptLinks(this);
    window.addEventListener(ROUTE_EVENT, () => {
      this.route = parseRoute(location.pathname);
      window.scrollTo(0, 0);
    });
    window.addEventListener(SIGNED_OUT_EVENT, () => {
      this.session = null;
    });
    void this.#start();
  }

  async #start(): Promise<void> {
    const link = new URLSearchParams(location.hash.slice(1)).get('link');
    if (link) {
      history.replaceState(null, '', location.pathname + location.search);
      try {
        this.session = await request<StudioSession>('POST', '/studio/api/session', { link });
        return;
      } catch (err) {
        this.error = `That sign-in link did not work: ${describeError(err)}. Links work once, for 10 minutes.`;
      }
    }
    this.session = await request<StudioSession>('GET', '/studio/api/session').catch(() => null);
  }

  async #signOut(): Promise<void> {
    await request('DELETE', '/studio/api/session').catch(() => {});
    this.session = null;
    navigate('/studio');
  }

  protected override updated(): void {
    const page = this.session ? PAGE_TITLES[this.route.page] : 'Sign in';
    document.title = `${page} — Vodkit Studio`;
  }

  override render() {
    if (this.session === undefined) return html`<main class="studio"><p class="muted">Loading…</p></main>`;
    if (this.session === null) {
      return html`<studio-sign-in
        .notice=${this.error}
        @signed-in=${(e: CustomEvent<StudioSession>) => {
          this.error = '';
          this.session = e.detail;
        }}
      ></studio-sign-in>`;
    }
    const current = (page: Route['page']) =>
      this.route.page === page || (page === 'videos' && this.route.page === 'video') ? 'page' : nothing;
    return html`
      <header class="top studio-top">
        <a class="brand" href="/studio">▶ Vodkit Studio</a>
        <nav aria-label="Studio">
          <a href="/studio" aria-current=${current('videos')}>Videos</a>
          <a href="/studio/webhooks" aria-current=${current('webhooks')}>Webhooks</a>
          <a href="/studio/keys" aria-current=${current('keys')}>API keys</a>
          <a href="/">Demo</a>
        </nav>
        <div class="who">
          <span class="muted" title=${this.session.apiKey}>${this.session.name ?? this.session.apiKey}</span>
          <button type="button" class="secondary" @click=${() => this.#signOut()}>Sign out</button>
        </div>
      </header>
      <main class="studio">${this.#page()}</main>
    `;
  }

  #page() {
    switch (this.route.page) {
      case 'video':
        return html`<studio-video .videoId=${this.route.videoId}></studio-video>`;
      case 'webhooks':
        return html`<studio-webhooks></studio-webhooks>`;
      case 'keys':
        return html`<studio-keys .currentKey=${this.session?.apiKey ?? ''}></studio-keys>`;
      default:
        return html`<studio-videos></studio-videos>`;
    }
  }
}
