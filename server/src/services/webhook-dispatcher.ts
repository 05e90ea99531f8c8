import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { DeliveryRow, WebhooksRepository } from '../db/repositories.ts';
import { sendWebhook, signatureHeaders } from './webhook-delivery.ts';

/** Response bytes read at most per attempt; receivers answer with a status, not a document. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Finished deliveries (and their events) are kept this long for the delivery log. */
const RETENTION_MS = 14 * 24 * 3600_000;
const SWEEP_EVERY_MS = 3600_000;

export interface DispatcherDeps {
  config: Config;
  repo: WebhooksRepository;
  log: FastifyBaseLogger;
}

/** The `webhook-id` of a delivery: one per event × endpoint, the same on every retry and replay. */
export const webhookIdOf = (deliveryId: string): string => `msg_${deliveryId}`;

/**
 * Sends what the outbox holds: polls for due deliveries (and is woken when new ones are written),
 * at most `webhookConcurrency` requests at once, each claimed with a lease so that a crash in the
 * middle of a request means that delivery is sent again by the next process — at least once.
 */
export class WebhookDispatcher {
  readonly #inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #pollTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #running = false;
  #wakeScheduled = false;
  /** The claim under way: one at a time, so two ticks never claim past the concurrency. */
  #ticking: Promise<void> | null = null;
  /** A tick was asked for while one was claiming: run again when it is done. */
  #tickAgain = false;

  constructor(readonly deps: DispatcherDeps) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#pollTimer = setInterval(() => this.#tick(), this.deps.config.webhookPollMs);
    this.#pollTimer.unref();
    this.#sweepTimer = setInterval(() => void this.#sweep(), SWEEP_EVERY_MS);
    this.#sweepTimer.unref();
    void this.#sweep();
    this.#tick();
  }

  /** Aborts requests in flight (their deliveries go back to pending) and resolves once all have settled. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    await this.#ticking;
    for (const { abort } of this.#inFlight.values()) abort.abort();
    await Promise.all([...this.#inFlight.values()].map((f) => f.done));
  }

  /** New deliveries were written: look now rather than at the next poll. */
  wake(): void {
    if (!this.#running || this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#tick();
    });
  }

  /** Deliveries being sent right now (for tests). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  #tick(): void {
    if (!this.#running) return;
    if (this.#ticking) {
      this.#tickAgain = true;
      return;
    }
    this.#ticking = this.#claim().finally(() => {
      this.#ticking = null;
      if (this.#tickAgain) {
        this.#tickAgain = false;
        this.#tick();
      }
    });
  }

  async #claim(): Promise<void> {
    const free = this.deps.config.webhookConcurrency - this.#inFlight.size;
    if (free <= 0) return;
    let due: DeliveryRow[];
    try {
      const now = Date.now();
      // The lease outlives the request's own timeout, so only a dead process loses it.
      due = await this.deps.repo.claimDue(now, now + this.deps.config.webhookTimeoutMs + 30_000, free);
    } catch (err) {
      this.deps.log.error({ err }, 'webhooks: claiming deliveries failed');
      return;
    }
    for (const row of due) {
      if (!this.#running) {
        // Stopped while claiming: hand them back at once rather than wait for the lease.
        await this.deps.repo.release(row.deliveryId).catch(() => {});
        continue;
      }
      const abort = new AbortController();
      const done = this.#attempt(row, abort.signal).finally(() => {
        this.#inFlight.delete(row.deliveryId);
        this.wake();
      });
      this.#inFlight.set(row.deliveryId, { abort, done });
    }
  }

  async #attempt(row: DeliveryRow, signal: AbortSignal): Promise<void> {
    const { config, repo, log } = this.deps;
    try {
      if (!row.secret) {
        await repo.recordFailure(row.deliveryId, {
          responseStatus: null,
          error: 'no signing secret',
          nextAtMs: null,
        });
        return;
      }
      const result = await sendWebhook(
        {
          url: row.url,
          body: row.payload,
          headers: signatureHeaders(row.secret, webhookIdOf(row.deliveryId), row.payload),
          timeoutMs: config.webhookTimeoutMs,
          maxResponseBytes: MAX_RESPONSE_BYTES,
          allowPrivate: config.webhookAllowPrivate,
        },
        signal,
      );
      if (result.ok) {
        await repo.recordSuccess(row.deliveryId, result.status);
        return;
      }
      if (result.code === 'aborted') {
        await repo.release(row.deliveryId);
        return;
      }
      const delay = config.webhookRetryDelaysMs[row.step];
      const nextAtMs =
        delay === undefined ? null : Date.now() + Math.round(delay * (0.9 + Math.random() * 0.2));
      await repo.recordFailure(row.deliveryId, {
        responseStatus: result.status,
        error: `${result.code}: ${result.error}`,
        nextAtMs,
      });
      log.info(
        {
          deliveryId: row.deliveryId,
          error: result.error,
          retryAt: nextAtMs && new Date(nextAtMs).toISOString(),
        },
        nextAtMs === null ? 'webhook delivery failed for good' : 'webhook delivery failed: will retry',
      );
    } catch (err) {
      // Most likely the database is closing under us: the lease expires and the next process retries.
      log.error({ err, deliveryId: row.deliveryId }, 'webhooks: recording a delivery failed');
    }
  }

  async #sweep(): Promise<void> {
    try {
      await this.deps.repo.sweep(new Date(Date.now() - RETENTION_MS).toISOString());
    } catch (err) {
      this.deps.log.error({ err }, 'webhooks: sweeping old deliveries failed');
    }
  }
}
