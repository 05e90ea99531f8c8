import type { StudioSession } from '@vodkit/api';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { describeError, request } from './api.ts';
import { StudioElement } from './studio-element.ts';

/**
 * API key + secret → a session cookie. The secret goes to the server in one POST and is cleared
 * from the form at once: it is never kept in the page, storage or the URL.
 */
@customElement('studio-sign-in')
export class StudioSignIn extends StudioElement {
  /** A message from the app (a sign-in link that did not work). */
  @property({ attribute: false }) notice = '';
  @state() private error = '';
  @state() private busy = false;

  async #submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    (form.elements.namedItem('secret') as HTMLInputElement).value = '';
    this.busy = true;
    this.error = '';
    try {
      const session = await request<StudioSession>('POST', '/studio/api/session', {
        apiKey: String(data.get('apiKey') ?? '').trim(),
        secret: String(data.get('secret') ?? ''),
      });
      this.dispatchEvent(new CustomEvent('signed-in', { detail: session, bubbles: true }));
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const message = this.error || this.notice;
    return html`
      <main class="studio sign-in">
        <h1>▶ Vodkit Studio</h1>
        <form class="panel" @submit=${(e: SubmitEvent) => this.#submit(e)}>
          <h2>Sign in</h2>
          <p class="muted">With an API key and its secret (<code>npm run keys -- create</code>).</p>
          <label for="studio-api-key">API key</label>
          <input id="studio-api-key" name="apiKey" required autocomplete="off" spellcheck="false" />
          <label for="studio-secret">Secret</label>
          <input id="studio-secret" name="secret" type="password" required autocomplete="off" />
          <button type="submit" ?disabled=${this.busy}>Sign in</button>
          <p class="error" role="alert">${message}</p>
          <p class="muted small">
            Or run <code>npm run keys -- login</code> on the server for a one-time sign-in link.
          </p>
        </form>
      </main>
    `;
  }
}
