import {
  type CreatedWebhookEndpoint,
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from '@vodkit/api';
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { client, describeError } from './api.ts';
import { secretOnce } from './secret-once.ts';
import { StudioElement } from './studio-element.ts';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** Webhook endpoints: add (the signing secret once), remove, each one's delivery log, and replay. */
@customElement('studio-webhooks')
export class StudioWebhooks extends StudioElement {
  @state() private endpoints: WebhookEndpoint[] = [];
  @state() private open: string | null = null;
  @state() private deliveries: WebhookDelivery[] = [];
  @state() private created: CreatedWebhookEndpoint | null = null;
  @state() private error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  async #load(): Promise<void> {
    try {
      this.endpoints = (await client.listWebhooks(1, 100)).data;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  async #act(what: () => Promise<unknown>): Promise<void> {
    try {
      await what();
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  async #create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const events = data.getAll('events').map(String) as WebhookEventType[];
    await this.#act(async () => {
      this.created = await client.createWebhook({
        url: String(data.get('url') ?? '').trim(),
        ...(events.length ? { events } : {}),
      });
      form.reset();
      await this.#load();
    });
  }

  async #show(endpointId: string): Promise<void> {
    if (this.open === endpointId) {
      this.open = null;
      return;
    }
    await this.#act(async () => {
      this.deliveries = (await client.listWebhookDeliveries(endpointId, 1, 50)).data;
      this.open = endpointId;
    });
  }

  override render() {
    return html`
      <h1>Webhooks</h1>
      <form class="panel grid-form" @submit=${(e: SubmitEvent) => this.#create(e)}>
        <h2>Add an endpoint</h2>
        <label>Endpoint URL <input type="url" name="url" required placeholder="https://example.com/hooks/vodkit" /></label>
        <fieldset>
          <legend>Events (none ticked: all)</legend>
          ${WEBHOOK_EVENTS.map((e) => html`<label class="check"><input type="checkbox" name="events" value=${e} /> ${e}</label>`)}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </form>
      ${
        this.created
          ? secretOnce(
              `Signing secret of ${this.created.url}`,
              'Shown this once: verify deliveries with it (Standard Webhooks).',
              [['Signing secret', this.created.secret, 'new-webhook-secret']],
              () => {
                this.created = null;
              },
            )
          : ''
      }
      <p class="error" role="alert">${this.error}</p>
      ${
        this.endpoints.length === 0
          ? html`<p class="muted">No endpoints.</p>`
          : html`<ul class="endpoints">
            ${this.endpoints.map(
              (ep) => html`<li class="panel">
                <div class="inline spread">
                  <span><code>${ep.url}</code> <span class="muted small">${ep.events.join(', ')}</span></span>
                  <span class="inline">
                    <button type="button" class="secondary" aria-expanded=${this.open === ep.endpointId}
                      @click=${() => this.#show(ep.endpointId)}>Deliveries<span class="visually-hidden"> to ${ep.url}</span></button>
                    <button type="button" class="secondary"
                      @click=${() =>
                        this.#act(async () => {
                          await client.deleteWebhook(ep.endpointId);
                          await this.#load();
                        })}>Remove<span class="visually-hidden"> ${ep.url}</span></button>
                  </span>
                </div>
                ${this.open === ep.endpointId ? this.#log(ep) : ''}
              </li>`,
            )}
          </ul>`
      }
    `;
  }

  #log(ep: WebhookEndpoint) {
    if (this.deliveries.length === 0) return html`<p class="muted">No deliveries yet.</p>`;
    return html`<div class="table-scroll"><table>
      <caption class="visually-hidden">Deliveries to ${ep.url}</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>
        ${this.deliveries.map(
          (d) => html`<tr>
            <td>${d.eventType}</td>
            <td>${d.status}</td>
            <td>${d.attempts}</td>
            <td>${d.lastResponseStatus ?? d.lastError ?? '—'}</td>
            <td>${dateFormat.format(new Date(d.createdAt))}</td>
            <td><button type="button" class="secondary" ?disabled=${d.status === 'pending' || d.status === 'delivering'}
              @click=${() =>
                this.#act(async () => {
                  await client.replayWebhookDelivery(ep.endpointId, d.deliveryId);
                  this.deliveries = (await client.listWebhookDeliveries(ep.endpointId, 1, 50)).data;
                })}>Replay</button></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`;
  }
}
