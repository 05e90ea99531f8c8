import type { WebhookDeliveryStatus, WebhookEndpoint, WebhookEventType, WebhookPayload } from '@vodkit/api';
import type { Db } from './database.ts';
import { now } from './database.ts';
import type { WebhooksRepository } from './repositories.ts';
import { checkSealed, endpointAad, isSealed, openIfSealed, seal, sealIfKeyed, signingAad } from './sealed.ts';

export interface EndpointRow extends WebhookEndpoint {
  apiKey: string;
  secret: string;
}

/** One event × one target as stored: the outbox row the dispatcher works from. */
export interface DeliveryRow {
  deliveryId: string;
  eventId: string;
  apiKey: string;
  /** Null for a job's own `webhookUrl`. */
  endpointId: string | null;
  url: string;
  eventType: WebhookEventType;
  /** The exact body sent on every attempt (the signature covers it). */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** Failures since the delivery was (re)queued: indexes the retry schedule. */
  step: number;
  /** Epoch ms of the next attempt while pending. */
  nextAt: number | null;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /** The endpoint's secret, or the key's signing secret for a job's URL; null if that is gone. */
  secret: string | null;
}

interface EndpointDbRow {
  endpoint_id: string;
  api_key: string;
  url: string;
  events: string;
  secret: string;
  created_at: string;
}

interface DeliveryDbRow {
  delivery_id: string;
  event_id: string;
  api_key: string;
  endpoint_id: string | null;
  url: string;
  type: WebhookEventType;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  step: number;
  next_at: number | null;
  last_attempt_at: string | null;
  response_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  endpoint_secret: string | null;
  key_secret: string | null;
}

/*
 * Associated data for sealed webhook secrets: which row a sealed value belongs to, in a namespace of
 * its own, so neither an API secret nor another endpoint's secret copied onto a row opens there.
 */

const toDelivery = (r: DeliveryDbRow, secret: string | null): DeliveryRow => ({
  deliveryId: r.delivery_id,
  eventId: r.event_id,
  apiKey: r.api_key,
  endpointId: r.endpoint_id,
  url: r.url,
  eventType: r.type,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  step: r.step,
  nextAt: r.next_at,
  lastAttemptAt: r.last_attempt_at,
  responseStatus: r.response_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  secret,
});

/** A delivery with its event and the secret that signs it, in one row. */
const DELIVERY_SELECT = `
  SELECT d.*, e.type, e.payload, w.secret AS endpoint_secret, s.secret AS key_secret
  FROM webhook_deliveries d
  JOIN webhook_events e ON e.event_id = d.event_id
  LEFT JOIN webhook_endpoints w ON w.endpoint_id = d.endpoint_id
  LEFT JOIN webhook_secrets s ON d.endpoint_id IS NULL AND s.api_key = d.api_key`;

export interface NewEvent {
  eventId: string;
  apiKey: string;
  type: WebhookEventType;
  payload: WebhookPayload;
}

export interface NewDelivery {
  deliveryId: string;
  endpointId: string | null;
  url: string;
}

/**
 * Webhook endpoints and the outbox. An event and its deliveries are written in one transaction, in
 * the same database as the state change they report, so nothing is lost to a crash between the two.
 * The dispatcher claims due deliveries with a lease, like the encoding queue.
 */
export class WebhooksRepo implements WebhooksRepository {
  /**
   * With a `secretKey` (VOD_SECRET_KEY) signing secrets are sealed like API secrets (db/sealed.ts):
   * rows written before the key was set are sealed here, and a database whose sealed secrets this
   * key does not open refuses to start (SecretKeyMissingError), as KeysRepo does.
   */
  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer | null = null,
  ) {
    const endpoints = db.prepare('SELECT endpoint_id AS id, secret FROM webhook_endpoints').all() as {
      id: string;
      secret: string;
    }[];
    const signing = db.prepare('SELECT api_key AS id, secret FROM webhook_secrets').all() as {
      id: string;
      secret: string;
    }[];
    const all = [
      ...endpoints.map((r) => ({ ...r, aad: endpointAad(r.id), table: 'endpoint' as const })),
      ...signing.map((r) => ({ ...r, aad: signingAad(r.id), table: 'signing' as const })),
    ];
    checkSealed(secretKey, all, 'webhook secrets');
    if (!secretKey) return;
    const updateEndpoint = db.prepare('UPDATE webhook_endpoints SET secret = ? WHERE endpoint_id = ?');
    const updateSigning = db.prepare('UPDATE webhook_secrets SET secret = ? WHERE api_key = ?');
    db.transaction(() => {
      for (const r of all) {
        if (isSealed(r.secret)) continue;
        (r.table === 'endpoint' ? updateEndpoint : updateSigning).run(seal(secretKey, r.aad, r.secret), r.id);
      }
    })();
  }

  #seal(aad: string, secret: string): string {
    return sealIfKeyed(this.secretKey, aad, secret);
  }

  /** Sealed values open only with the key; without it the boot check has already refused them. */
  #open(aad: string, stored: string): string {
    return openIfSealed(this.secretKey, aad, stored);
  }

  #toEndpoint = (r: EndpointDbRow): EndpointRow => ({
    endpointId: r.endpoint_id,
    apiKey: r.api_key,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEventType[],
    secret: this.#open(endpointAad(r.endpoint_id), r.secret),
    createdAt: r.created_at,
  });

  #toDelivery = (r: DeliveryDbRow): DeliveryRow =>
    toDelivery(
      r,
      r.endpoint_secret !== null && r.endpoint_id !== null
        ? this.#open(endpointAad(r.endpoint_id), r.endpoint_secret)
        : r.key_secret !== null
          ? this.#open(signingAad(r.api_key), r.key_secret)
          : null,
    );

  async insertEndpoint(e: Omit<EndpointRow, 'createdAt'>): Promise<EndpointRow> {
    const row = this.db
      .prepare(
        `INSERT INTO webhook_endpoints (endpoint_id, api_key, url, events, secret, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        e.endpointId,
        e.apiKey,
        e.url,
        JSON.stringify(e.events),
        this.#seal(endpointAad(e.endpointId), e.secret),
        now(),
      ) as EndpointDbRow;
    return this.#toEndpoint(row);
  }

  async getEndpoint(endpointId: string): Promise<EndpointRow | undefined> {
    const row = this.db.prepare('SELECT * FROM webhook_endpoints WHERE endpoint_id = ?').get(endpointId) as
      | EndpointDbRow
      | undefined;
    return row && this.#toEndpoint(row);
  }

  /** Oldest first. */
  async listEndpoints(
    apiKey: string,
    page = 1,
    perPage = 1000,
  ): Promise<{ rows: EndpointRow[]; total: number }> {
    const rows = (
      this.db
        .prepare(
          'SELECT * FROM webhook_endpoints WHERE api_key = ? ORDER BY created_at, rowid LIMIT ? OFFSET ?',
        )
        .all(apiKey, perPage, (page - 1) * perPage) as EndpointDbRow[]
    ).map(this.#toEndpoint);
    return { rows, total: this.#countEndpoints(apiKey) };
  }

  async countEndpoints(apiKey: string): Promise<number> {
    return this.#countEndpoints(apiKey);
  }

  #countEndpoints(apiKey: string): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM webhook_endpoints WHERE api_key = ?').get(apiKey) as {
        n: number;
      }
    ).n;
  }

  /** The endpoint goes with its deliveries (cascade): nothing more is sent to it. */
  async deleteEndpoint(endpointId: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM webhook_endpoints WHERE endpoint_id = ?').run(endpointId).changes === 1
    );
  }

  async getSigningSecret(apiKey: string): Promise<{ secret: string; createdAt: string } | undefined> {
    const row = this.db
      .prepare('SELECT secret, created_at FROM webhook_secrets WHERE api_key = ?')
      .get(apiKey) as { secret: string; created_at: string } | undefined;
    return row && { secret: this.#open(signingAad(apiKey), row.secret), createdAt: row.created_at };
  }

  /** Creates or replaces the key's signing secret; pending retries are signed with the new one. */
  async setSigningSecret(apiKey: string, secret: string): Promise<{ secret: string; createdAt: string }> {
    const createdAt = now();
    this.db
      .prepare(
        `INSERT INTO webhook_secrets (api_key, secret, created_at) VALUES (?, ?, ?)
         ON CONFLICT (api_key) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`,
      )
      .run(apiKey, this.#seal(signingAad(apiKey), secret), createdAt);
    return { secret, createdAt };
  }

  /** Writes the event and one pending delivery per target, due now. */
  async enqueue(event: NewEvent, deliveries: NewDelivery[], atMs: number = Date.now()): Promise<void> {
    if (deliveries.length === 0) return;
    const createdAt = now();
    const insertEvent = this.db.prepare(
      'INSERT INTO webhook_events (event_id, api_key, type, payload, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const insertDelivery = this.db.prepare(
      `INSERT INTO webhook_deliveries (delivery_id, event_id, api_key, endpoint_id, url, status, next_at, created_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    this.db.transaction(() => {
      insertEvent.run(event.eventId, event.apiKey, event.type, JSON.stringify(event.payload), createdAt);
      for (const d of deliveries) {
        insertDelivery.run(d.deliveryId, event.eventId, event.apiKey, d.endpointId, d.url, atMs, createdAt);
      }
    })();
  }

  /**
   * Takes up to `limit` due deliveries until `leaseUntil`: pending ones whose time has come, and ones
   * a dead process was sending (lease run out), so a crash mid-request means a retry, not a loss.
   */
  async claimDue(atMs: number, leaseUntil: number, limit: number): Promise<DeliveryRow[]> {
    const ids = this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'delivering', lease_until = ?
         WHERE delivery_id IN (
           SELECT delivery_id FROM webhook_deliveries
           WHERE (status = 'pending' AND next_at <= ?) OR (status = 'delivering' AND lease_until < ?)
           ORDER BY next_at LIMIT ?)
         RETURNING delivery_id`,
      )
      .all(leaseUntil, atMs, atMs, limit) as { delivery_id: string }[];
    return ids.map((r) => this.#getDelivery(r.delivery_id)).filter((d): d is DeliveryRow => d !== undefined);
  }

  async getDelivery(deliveryId: string): Promise<DeliveryRow | undefined> {
    return this.#getDelivery(deliveryId);
  }

  #getDelivery(deliveryId: string): DeliveryRow | undefined {
    const row = this.db.prepare(`${DELIVERY_SELECT} WHERE d.delivery_id = ?`).get(deliveryId) as
      | DeliveryDbRow
      | undefined;
    return row && this.#toDelivery(row);
  }

  /** Newest first. */
  async listDeliveries(
    endpointId: string,
    page: number,
    perPage: number,
  ): Promise<{ rows: DeliveryRow[]; total: number }> {
    const total = (
      this.db
        .prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?')
        .get(endpointId) as {
        n: number;
      }
    ).n;
    const rows = (
      this.db
        .prepare(
          `${DELIVERY_SELECT} WHERE d.endpoint_id = ? ORDER BY d.created_at DESC, d.rowid DESC LIMIT ? OFFSET ?`,
        )
        .all(endpointId, perPage, (page - 1) * perPage) as DeliveryDbRow[]
    ).map(this.#toDelivery);
    return { rows, total };
  }

  /** Deliveries to jobs' own `webhookUrl` of one key, newest first. */
  async listJobDeliveries(
    apiKey: string,
    page: number,
    perPage: number,
  ): Promise<{ rows: DeliveryRow[]; total: number }> {
    const total = (
      this.db
        .prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE api_key = ? AND endpoint_id IS NULL')
        .get(apiKey) as { n: number }
    ).n;
    const rows = (
      this.db
        .prepare(
          `${DELIVERY_SELECT} WHERE d.api_key = ? AND d.endpoint_id IS NULL
           ORDER BY d.created_at DESC, d.rowid DESC LIMIT ? OFFSET ?`,
        )
        .all(apiKey, perPage, (page - 1) * perPage) as DeliveryDbRow[]
    ).map(this.#toDelivery);
    return { rows, total };
  }

  async recordSuccess(deliveryId: string, responseStatus: number): Promise<void> {
    const at = now();
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, last_attempt_at = ?,
           delivered_at = ?, response_status = ?, last_error = NULL, next_at = NULL, lease_until = NULL
         WHERE delivery_id = ?`,
      )
      .run(at, at, responseStatus, deliveryId);
  }

  /** One failed attempt: pending again at `nextAtMs`, or `failed` for good when it is null. */
  async recordFailure(
    deliveryId: string,
    failure: { responseStatus: number | null; error: string; nextAtMs: number | null },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, step = step + 1, last_attempt_at = ?,
           response_status = ?, last_error = ?, next_at = ?, lease_until = NULL
         WHERE delivery_id = ?`,
      )
      .run(
        failure.nextAtMs === null ? 'failed' : 'pending',
        now(),
        failure.responseStatus,
        failure.error.slice(0, 500),
        failure.nextAtMs,
        deliveryId,
      );
  }

  /** An attempt we abandoned ourselves (shutdown): pending again at once, no attempt counted. */
  async release(deliveryId: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, lease_until = NULL
         WHERE delivery_id = ? AND status = 'delivering'`,
      )
      .run(Date.now(), deliveryId);
  }

  /** Replay: pending now, with the retry schedule from its start; false while an attempt is in flight. */
  async requeue(deliveryId: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE webhook_deliveries SET status = 'pending', step = 0, next_at = ?, lease_until = NULL
           WHERE delivery_id = ? AND status != 'delivering'`,
        )
        .run(Date.now(), deliveryId).changes === 1
    );
  }

  /** Forgets events older than `beforeIso` whose every delivery has ended; returns how many. */
  async sweep(beforeIso: string): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS (
           SELECT 1 FROM webhook_deliveries d
           WHERE d.event_id = webhook_events.event_id AND d.status IN ('pending', 'delivering'))`,
      )
      .run(beforeIso).changes;
  }

  /** Earliest `next_at` of a pending delivery, for tests and the dispatcher's sleep. */
  async nextDueAt(): Promise<number | null> {
    const row = this.db
      .prepare("SELECT min(next_at) AS t FROM webhook_deliveries WHERE status = 'pending'")
      .get() as { t: number | null };
    return row.t;
  }
}
