import type { ApiKey, CreatedApiKey } from '@vodkit/api';
import { html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { client, describeError } from './api.ts';
import { secretOnce } from './secret-once.ts';
import { StudioElement } from './studio-element.ts';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * API keys (`/v1/keys`): this key and the keys it made. A new key's secret is shown once, here, and
 * is gone from the page as soon as it is dismissed.
 */
@customElement('studio-keys')
export class StudioKeys extends StudioElement {
  @property() currentKey = '';
  @state() private keys: ApiKey[] = [];
  @state() private created: CreatedApiKey | null = null;
  @state() private revoking: ApiKey | null = null;
  @state() private error = '';
  @query('#revoke-dialog') private dialog!: HTMLDialogElement;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  async #load(): Promise<void> {
    try {
      this.keys = (await client.listKeys()).data;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  async #create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim();
    try {
      this.created = await client.createKey(name || undefined);
      form.reset();
      this.error = '';
      await this.#load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  async #revoke(): Promise<void> {
    const key = this.revoking!;
    this.dialog.close();
    try {
      await client.revokeKey(key.apiKey);
      this.error = '';
      await this.#load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <h1>API keys</h1>
      <p class="muted">
        Your app servers sign short-lived tokens with a key's secret. Each key is its own tenant: it sees
        only the uploads and videos made with it. Keys listed here are the one you signed in with and the
        keys it made; <code>npm run keys</code> on the server manages them all.
      </p>
      <form class="panel inline-form" @submit=${(e: SubmitEvent) => this.#create(e)}>
        <h2>Create a key</h2>
        <label>Name <input name="name" maxlength="100" placeholder="my app server" /></label>
        <button type="submit">Create key</button>
      </form>
      ${
        this.created
          ? secretOnce(
              'New key: copy its secret now',
              'This is the only time the secret is shown.',
              [
                ['API key', this.created.apiKey, 'new-api-key'],
                ['Secret', this.created.secret, 'new-secret'],
              ],
              () => {
                this.created = null;
              },
            )
          : ''
      }
      <p class="error" role="alert">${this.error}</p>
      <div class="table-scroll">
        <table>
          <caption class="visually-hidden">API keys</caption>
          <thead><tr><th scope="col">API key</th><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${this.keys.map(
              (k) => html`<tr>
                <td><code>${k.apiKey}</code></td>
                <td>${k.name ?? ''}</td>
                <td>${dateFormat.format(new Date(k.createdAt))}</td>
                <td>${k.revokedAt ? `revoked ${dateFormat.format(new Date(k.revokedAt))}` : k.current ? 'active (signed in)' : 'active'}</td>
                <td>${
                  k.current || k.revokedAt
                    ? ''
                    : html`<button type="button" class="secondary" @click=${() => {
                        this.revoking = k;
                        this.dialog.showModal();
                      }}>Revoke<span class="visually-hidden"> ${k.name ?? k.apiKey}</span></button>`
                }</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <dialog id="revoke-dialog" aria-labelledby="revoke-title">
        <h2 id="revoke-title">Revoke ${this.revoking?.name ?? this.revoking?.apiKey}?</h2>
        <p>Its tokens stop working at once, everywhere. This cannot be undone.</p>
        <div class="inline">
          <button type="button" class="secondary" @click=${() => this.dialog.close()}>Cancel</button>
          <button type="button" class="danger" @click=${() => this.#revoke()}>Revoke key</button>
        </div>
      </dialog>
    `;
  }
}
