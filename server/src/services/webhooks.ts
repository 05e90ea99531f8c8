import {
  type CreatedWebhookEndpoint,
  type CreateWebhookRequest,
  type Page,
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
  type WebhookPayload,
  type WebhookSigningSecret,
} from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type {
  DeliveryRow,
  EndpointRow,
  FilesRepository,
  JobsRepository,
  NewDelivery,
  WebhooksRepository,
} from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId, newId } from '../ids.ts';
import type { Principal } from './auth.ts';
import { toEncoderJob } from './encoding.ts';
import type { VideoEvent, VideoEventBus } from './events.ts';
import { checkWebhookUrl } from './ssrf.ts';
import { newWebhookSecret } from './webhook-delivery.ts';
import { WebhookDispatcher, webhookIdOf } from './webhook-dispatcher.ts';

export interface WebhookServiceDeps {
  config: Config;
  repo: WebhooksRepository;
  jobs: JobsRepository;
  files: FilesRepository;
  events: VideoEventBus;
  log: FastifyBaseLogger;
}

/** Bus event → webhook type; the rest (`progress`, `probed`) are for SSE only. */
const VIDEO_EVENT_TYPES: Partial<Record<VideoEvent['type'], WebhookEventType>> = {
  started: 'encoding.started',
  playable: 'encoding.playable',
  completed: 'encoding.completed',
  failed: 'encoding.failed',
  deleted: 'video.deleted',
};

/**
 * Webhooks: endpoints per API key, and the outbox. Every event of the bus that a key's endpoints
 * (or a job's own `webhookUrl`) want is written to the outbox in the same process step as it is
 * emitted; the dispatcher sends it from there, signed the Standard Webhooks way.
 */
export class WebhookService {
  readonly dispatcher: WebhookDispatcher;
  readonly #unsubscribe: (() => void)[];

  constructor(readonly deps: WebhookServiceDeps) {
    this.dispatcher = new WebhookDispatcher({ config: deps.config, repo: deps.repo, log: deps.log });
    // Subscribed at once, so events of the boot itself (reconciled uploads) are not missed. Only
    // this process's own events: with several nodes on one bus, each event is written once.
    this.#unsubscribe = [
      deps.events.onEmitted((event) => this.#guard(() => this.#onVideoEvent(event))),
      deps.events.onFileProbed((fileId) => this.#guard(() => this.#onFileProbed(fileId))),
    ];
  }

  start(): void {
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    await this.dispatcher.stop();
  }

  async create(principal: Principal, body: CreateWebhookRequest): Promise<CreatedWebhookEndpoint> {
    const url = await this.#checkUrl(body.url);
    const events = body.events === undefined ? [...WEBHOOK_EVENTS] : [...new Set(body.events)];
    if (events.length === 0 || !events.every((e) => (WEBHOOK_EVENTS as readonly string[]).includes(e))) {
      throw new ApiError(
        'validation_failed',
        `"events" must be a non-empty list of ${WEBHOOK_EVENTS.join(', ')}`,
      );
    }
    const max = this.deps.config.webhookMaxEndpoints;
    if ((await this.deps.repo.countEndpoints(principal.apiKey)) >= max) {
      throw new ApiError(
        'webhook_limit_reached',
        `this key already has ${max} webhook endpoints: delete one first`,
      );
    }
    const row = await this.deps.repo.insertEndpoint({
      endpointId: newId(),
      apiKey: principal.apiKey,
      url,
      events,
      secret: newWebhookSecret(),
    });
    return { ...toEndpoint(row), secret: row.secret };
  }

  async list(principal: Principal, page: number, perPage: number): Promise<Page<WebhookEndpoint>> {
    const { rows, total } = await this.deps.repo.listEndpoints(principal.apiKey, page, perPage);
    return {
      data: rows.map(toEndpoint),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  async get(principal: Principal, endpointId: string): Promise<WebhookEndpoint> {
    return toEndpoint(await this.#owned(principal, endpointId));
  }

  /** Removes the endpoint; its pending deliveries are dropped with it. */
  async delete(principal: Principal, endpointId: string): Promise<void> {
    await this.#owned(principal, endpointId);
    await this.deps.repo.deleteEndpoint(endpointId);
  }

  async deliveries(
    principal: Principal,
    endpointId: string,
    page: number,
    perPage: number,
  ): Promise<Page<WebhookDelivery>> {
    await this.#owned(principal, endpointId);
    const { rows, total } = await this.deps.repo.listDeliveries(endpointId, page, perPage);
    return {
      data: rows.map(toDelivery),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /** The delivery log of jobs' own `webhookUrl` (all jobs of the key). */
  async jobDeliveries(principal: Principal, page: number, perPage: number): Promise<Page<WebhookDelivery>> {
    const { rows, total } = await this.deps.repo.listJobDeliveries(principal.apiKey, page, perPage);
    return {
      data: rows.map(toDelivery),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /**
   * Sends a delivery again now, whatever became of it, with the same `webhook-id` (a receiver that
   * already processed it may safely ignore it) and a fresh retry schedule.
   */
  async replay(
    principal: Principal,
    endpointId: string | null,
    deliveryId: string,
  ): Promise<WebhookDelivery> {
    if (endpointId !== null) await this.#owned(principal, endpointId);
    const delivery = isValidId(deliveryId) ? await this.deps.repo.getDelivery(deliveryId) : undefined;
    // endpointId null: a delivery to a job's webhookUrl, which only its key may replay.
    if (!delivery || delivery.endpointId !== endpointId || delivery.apiKey !== principal.apiKey) {
      throw new ApiError(
        'not_found',
        `no delivery ${deliveryId}${endpointId ? ` for webhook ${endpointId}` : ''}`,
      );
    }
    if (!(await this.deps.repo.requeue(deliveryId))) {
      throw new ApiError('conflict', 'this delivery is being sent right now: look again in a moment');
    }
    this.dispatcher.wake();
    return toDelivery((await this.deps.repo.getDelivery(deliveryId))!);
  }

  /**
   * Creates (or replaces) the key's signing secret for jobs' `webhookUrl`. Shown only in this
   * answer; pending retries are signed with the new one from now on.
   */
  rotateSigningSecret(principal: Principal): Promise<WebhookSigningSecret> {
    return this.deps.repo.setSigningSecret(principal.apiKey, newWebhookSecret());
  }

  /**
   * Checks a job's `webhookUrl` before the job is created: the same address rules as endpoints,
   * and a signing secret must exist, or the receiver could not verify anything it gets.
   */
  async checkJobWebhook(principal: Principal, webhookUrl: string | undefined): Promise<void> {
    if (webhookUrl === undefined) return;
    await this.#checkUrl(webhookUrl);
    if (!(await this.deps.repo.getSigningSecret(principal.apiKey))) {
      throw new ApiError(
        'webhook_secret_missing',
        'a job webhookUrl is signed with the key signing secret: create it first with POST /v1/webhooks/signing-secret',
      );
    }
  }

  async #checkUrl(raw: string): Promise<string> {
    const result = await checkWebhookUrl(raw, this.deps.config.webhookAllowPrivate);
    if (result.ok) return result.url;
    throw new ApiError(result.forbidden ? 'webhook_url_forbidden' : 'validation_failed', result.message);
  }

  async #owned(principal: Principal, endpointId: string): Promise<EndpointRow> {
    const row = isValidId(endpointId) ? await this.deps.repo.getEndpoint(endpointId) : undefined;
    if (!row || row.apiKey !== principal.apiKey) throw new ApiError('not_found', `no webhook ${endpointId}`);
    return row;
  }

  /** A webhook problem must never break the encode or upload that emitted the event. */
  #guard(fn: () => Promise<void>): void {
    fn().catch((err: unknown) => this.deps.log.error({ err }, 'webhooks: could not record an event'));
  }

  async #onVideoEvent(event: VideoEvent): Promise<void> {
    const type = VIDEO_EVENT_TYPES[event.type];
    if (!type) return;
    // `deleted` brings the row it removes; the others read the job as it is now.
    const row = event.job ?? (await this.deps.jobs.getByVideo(event.videoId));
    if (!row) return;
    const job = toEncoderJob(row, this.deps.config.publicUrl);
    const data: Record<string, unknown> = {
      videoId: job.videoId,
      jobId: job.jobId,
      fileId: job.fileId,
      status: type === 'video.deleted' ? 'deleted' : job.status,
      progress: job.progress,
      playback: type === 'video.deleted' ? null : job.playback,
      renditions: job.renditions,
      error: job.error,
      protected: job.protected,
      userData: job.userData,
    };
    if (typeof event.data.duration === 'number') data.duration = event.data.duration;
    if (type === 'encoding.started') data.attempt = row.attempts;
    await this.#enqueue(row.apiKey, type, data, row.webhookUrl);
  }

  async #onFileProbed(fileId: string): Promise<void> {
    const file = await this.deps.files.get(fileId);
    if (!file || file.status === 'probing') return;
    await this.#enqueue(file.apiKey, file.status === 'ready' ? 'file.ready' : 'file.rejected', {
      fileId: file.fileId,
      status: file.status,
      filename: file.filename,
      title: file.title,
      size: file.size,
      metadata: file.metadata,
      reason: file.reason,
    });
  }

  async #enqueue(
    apiKey: string,
    type: WebhookEventType,
    data: Record<string, unknown>,
    jobUrl: string | null = null,
  ): Promise<void> {
    const targets: NewDelivery[] = (await this.deps.repo.listEndpoints(apiKey)).rows
      .filter((e) => e.events.includes(type))
      .map((e) => ({ deliveryId: newId(), endpointId: e.endpointId, url: e.url }));
    if (jobUrl) targets.push({ deliveryId: newId(), endpointId: null, url: jobUrl });
    if (targets.length === 0) return;
    const payload: WebhookPayload = { type, timestamp: new Date().toISOString(), data };
    await this.deps.repo.enqueue({ eventId: newId(), apiKey, type, payload }, targets);
    this.dispatcher.wake();
  }
}

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return { endpointId: row.endpointId, url: row.url, events: row.events, createdAt: row.createdAt };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    deliveryId: row.deliveryId,
    webhookId: webhookIdOf(row.deliveryId),
    endpointId: row.endpointId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt:
      row.status === 'pending' && row.nextAt !== null ? new Date(row.nextAt).toISOString() : null,
    lastAttemptAt: row.lastAttemptAt,
    lastResponseStatus: row.responseStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    payload: JSON.parse(row.payload) as WebhookPayload,
  };
}
