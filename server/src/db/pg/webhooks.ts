import type { WebhookDeliveryStatus, WebhookEventType } from '@vodkit/api';
import type pg from 'pg';
import type { Page, WebhooksRepository } from '../repositories.ts';
import {
  checkSealed,
  endpointAad,
  isSealed,
  openIfSealed,
  seal,
  sealIfKeyed,
  signingAad,
} from '../sealed.ts';
import type { DeliveryRow, EndpointRow, NewDelivery, NewEvent } from '../webhooks.ts';
import { inTransaction, iso, NOW, num } from './sql.ts';

interface EndpointDbRow {
  endpoint_id: string;
  api_key: string;
  url: string;
  events: WebhookEventType[];
  secret: string;
  created_at: Date;
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
  next_at: string | null;
  last_attempt_at: Date | null;
  response_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  endpoint_secret: string | null;
  key_secret: string | null;
}

// The same associated data as db/webhooks.ts: a sealed secret opens only on its own row, on both engines.

const ENDPOINT_COLUMNS = 'endpoint_id, api_key, url, events, secret, created_at';

/** A delivery with its event and the secret that signs it, in one row. */
const DELIVERY_SELECT = `
  SELECT d.delivery_id, d.event_id, d.api_key, d.endpoint_id, d.url, e.type, e.payload, d.status, d.attempts,
    d.step, d.next_at, d.last_attempt_at, d.response_status, d.last_error, d.created_at, d.delivered_at,
    w.secret AS endpoint_secret, s.secret AS key_secret
  FROM webhook_deliveries d
  JOIN webhook_events e ON e.event_id = d.event_id
  LEFT JOIN webhook_endpoints w ON w.endpoint_id = d.endpoint_id
  LEFT JOIN webhook_secrets s ON d.endpoint_id IS NULL AND s.api_key = d.api_key`;

/** At boot, as the SQLite `WebhooksRepo` constructor; in the caller's transaction (see `sealApiSecrets`). */
export async function sealWebhookSecrets(client: pg.PoolClient, secretKey: Buffer | null): Promise<void> {
  const endpoints = await client.query<{ id: string; secret: string }>(
    'SELECT endpoint_id AS id, secret FROM webhook_endpoints ORDER BY seq FOR UPDATE',
  );
  const signing = await client.query<{ id: string; secret: string }>(
    'SELECT api_key AS id, secret FROM webhook_secrets ORDER BY seq FOR UPDATE',
  );
  const all = [
    ...endpoints.rows.map((r) => ({ ...r, aad: endpointAad(r.id), table: 'endpoint' as const })),
    ...signing.rows.map((r) => ({ ...r, aad: signingAad(r.id), table: 'signing' as const })),
  ];
  checkSealed(secretKey, all, 'webhook secrets');
  if (!secretKey) return;
  for (const r of all) {
    if (isSealed(r.secret)) continue;
    await client.query(
      r.table === 'endpoint'
        ? 'UPDATE webhook_endpoints SET secret = $2 WHERE endpoint_id = $1'
        : 'UPDATE webhook_secrets SET secret = $2 WHERE api_key = $1',
      [r.id, seal(secretKey, r.aad, r.secret)],
    );
  }
}

/**
 * Webhook endpoints and the outbox on PostgreSQL, as the SQLite `WebhooksRepo`. Dispatchers on
 * several nodes claim due deliveries with `FOR UPDATE SKIP LOCKED`, so each delivery is leased by one.
 * Outbox times are the caller's epoch ms (the interface passes them in), as in SQLite.
 */
export class PgWebhooksRepository implements WebhooksRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly secretKey: Buffer | null,
  ) {}

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
    events: r.events,
    secret: this.#open(endpointAad(r.endpoint_id), r.secret),
    createdAt: iso(r.created_at)!,
  });

  #toDelivery = (r: DeliveryDbRow): DeliveryRow => ({
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
    nextAt: num(r.next_at),
    lastAttemptAt: iso(r.last_attempt_at),
    responseStatus: r.response_status,
    lastError: r.last_error,
    createdAt: iso(r.created_at)!,
    deliveredAt: iso(r.delivered_at),
    secret:
      r.endpoint_secret !== null && r.endpoint_id !== null
        ? this.#open(endpointAad(r.endpoint_id), r.endpoint_secret)
        : r.key_secret !== null
          ? this.#open(signingAad(r.api_key), r.key_secret)
          : null,
  });

  async insertEndpoint(e: Omit<EndpointRow, 'createdAt'>): Promise<EndpointRow> {
    const { rows } = await this.pool.query<EndpointDbRow>(
      `INSERT INTO webhook_endpoints (endpoint_id, api_key, url, events, secret, created_at)
       VALUES ($1, $2, $3, $4, $5, ${NOW}) RETURNING ${ENDPOINT_COLUMNS}`,
      [
        e.endpointId,
        e.apiKey,
        e.url,
        JSON.stringify(e.events),
        this.#seal(endpointAad(e.endpointId), e.secret),
      ],
    );
    return this.#toEndpoint(rows[0]!);
  }

  async getEndpoint(endpointId: string): Promise<EndpointRow | undefined> {
    const { rows } = await this.pool.query<EndpointDbRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE endpoint_id = $1`,
      [endpointId],
    );
    return rows[0] && this.#toEndpoint(rows[0]);
  }

  async listEndpoints(apiKey: string, page = 1, perPage = 1000): Promise<Page<EndpointRow>> {
    const [list, total] = await Promise.all([
      this.pool.query<EndpointDbRow>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE api_key = $1 ORDER BY created_at, seq
         LIMIT $2 OFFSET $3`,
        [apiKey, perPage, (page - 1) * perPage],
      ),
      this.countEndpoints(apiKey),
    ]);
    return { rows: list.rows.map(this.#toEndpoint), total };
  }

  async countEndpoints(apiKey: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM webhook_endpoints WHERE api_key = $1',
      [apiKey],
    );
    return Number(rows[0]!.n);
  }

  async deleteEndpoint(endpointId: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM webhook_endpoints WHERE endpoint_id = $1', [endpointId]);
    return res.rowCount === 1;
  }

  async getSigningSecret(apiKey: string): Promise<{ secret: string; createdAt: string } | undefined> {
    const { rows } = await this.pool.query<{ secret: string; created_at: Date }>(
      'SELECT secret, created_at FROM webhook_secrets WHERE api_key = $1',
      [apiKey],
    );
    const row = rows[0];
    return row && { secret: this.#open(signingAad(apiKey), row.secret), createdAt: iso(row.created_at)! };
  }

  async setSigningSecret(apiKey: string, secret: string): Promise<{ secret: string; createdAt: string }> {
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO webhook_secrets (api_key, secret, created_at) VALUES ($1, $2, ${NOW})
       ON CONFLICT (api_key) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
       RETURNING created_at`,
      [apiKey, this.#seal(signingAad(apiKey), secret)],
    );
    return { secret, createdAt: iso(rows[0]!.created_at)! };
  }

  async enqueue(event: NewEvent, deliveries: NewDelivery[], atMs: number = Date.now()): Promise<void> {
    if (deliveries.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      // One time for the event and all its deliveries, as in SQLite.
      const { rows } = await client.query<{ created_at: Date }>(
        `INSERT INTO webhook_events (event_id, api_key, type, payload, created_at) VALUES ($1, $2, $3, $4, ${NOW})
         RETURNING created_at`,
        [event.eventId, event.apiKey, event.type, JSON.stringify(event.payload)],
      );
      await client.query(
        `INSERT INTO webhook_deliveries (delivery_id, event_id, api_key, endpoint_id, url, status, next_at, created_at)
         SELECT d.id, $1::text, $2::text, d.endpoint_id, d.url, 'pending', $3::bigint, $4::timestamptz
         FROM unnest($5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS d(id, endpoint_id, url, n)
         ORDER BY d.n`,
        [
          event.eventId,
          event.apiKey,
          atMs,
          rows[0]!.created_at,
          deliveries.map((d) => d.deliveryId),
          deliveries.map((d) => d.endpointId),
          deliveries.map((d) => d.url),
        ],
      );
    });
  }

  async claimDue(atMs: number, leaseUntil: number, limit: number): Promise<DeliveryRow[]> {
    const { rows: ids } = await this.pool.query<{ delivery_id: string }>(
      `UPDATE webhook_deliveries SET status = 'delivering', lease_until = $2
       WHERE delivery_id IN (
         SELECT delivery_id FROM webhook_deliveries
         WHERE (status = 'pending' AND next_at <= $1) OR (status = 'delivering' AND lease_until < $1)
         ORDER BY next_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING delivery_id`,
      [atMs, leaseUntil, limit],
    );
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<DeliveryDbRow>(
      `${DELIVERY_SELECT} WHERE d.delivery_id = ANY($1::text[]) ORDER BY d.next_at, d.seq`,
      [ids.map((r) => r.delivery_id)],
    );
    return rows.map(this.#toDelivery);
  }

  async getDelivery(deliveryId: string): Promise<DeliveryRow | undefined> {
    const { rows } = await this.pool.query<DeliveryDbRow>(`${DELIVERY_SELECT} WHERE d.delivery_id = $1`, [
      deliveryId,
    ]);
    return rows[0] && this.#toDelivery(rows[0]);
  }

  async listDeliveries(endpointId: string, page: number, perPage: number): Promise<Page<DeliveryRow>> {
    const [count, list] = await Promise.all([
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1', [
        endpointId,
      ]),
      this.pool.query<DeliveryDbRow>(
        `${DELIVERY_SELECT} WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.seq DESC LIMIT $2 OFFSET $3`,
        [endpointId, perPage, (page - 1) * perPage],
      ),
    ]);
    return { rows: list.rows.map(this.#toDelivery), total: Number(count.rows[0]!.n) };
  }

  async listJobDeliveries(apiKey: string, page: number, perPage: number): Promise<Page<DeliveryRow>> {
    const [count, list] = await Promise.all([
      this.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM webhook_deliveries WHERE api_key = $1 AND endpoint_id IS NULL',
        [apiKey],
      ),
      this.pool.query<DeliveryDbRow>(
        `${DELIVERY_SELECT} WHERE d.api_key = $1 AND d.endpoint_id IS NULL
         ORDER BY d.created_at DESC, d.seq DESC LIMIT $2 OFFSET $3`,
        [apiKey, perPage, (page - 1) * perPage],
      ),
    ]);
    return { rows: list.rows.map(this.#toDelivery), total: Number(count.rows[0]!.n) };
  }

  async recordSuccess(deliveryId: string, responseStatus: number): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, last_attempt_at = ${NOW},
         delivered_at = ${NOW}, response_status = $2, last_error = NULL, next_at = NULL, lease_until = NULL
       WHERE delivery_id = $1`,
      [deliveryId, responseStatus],
    );
  }

  async recordFailure(
    deliveryId: string,
    failure: { responseStatus: number | null; error: string; nextAtMs: number | null },
  ): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, step = step + 1,
         last_attempt_at = ${NOW}, response_status = $3, last_error = $4, next_at = $5, lease_until = NULL
       WHERE delivery_id = $1`,
      [
        deliveryId,
        failure.nextAtMs === null ? 'failed' : 'pending',
        failure.responseStatus,
        failure.error.slice(0, 500),
        failure.nextAtMs,
      ],
    );
  }

  async release(deliveryId: string): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_at = $2, lease_until = NULL
       WHERE delivery_id = $1 AND status = 'delivering'`,
      [deliveryId, Date.now()],
    );
  }

  async requeue(deliveryId: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'pending', step = 0, next_at = $2, lease_until = NULL
       WHERE delivery_id = $1 AND status != 'delivering'`,
      [deliveryId, Date.now()],
    );
    return res.rowCount === 1;
  }

  async sweep(beforeIso: string): Promise<number> {
    const res = await this.pool.query(
      `DELETE FROM webhook_events e WHERE e.created_at < $1 AND NOT EXISTS (
         SELECT 1 FROM webhook_deliveries d
         WHERE d.event_id = e.event_id AND d.status IN ('pending', 'delivering'))`,
      [beforeIso],
    );
    return res.rowCount ?? 0;
  }

  async nextDueAt(): Promise<number | null> {
    const { rows } = await this.pool.query<{ t: string | null }>(
      "SELECT min(next_at) AS t FROM webhook_deliveries WHERE status = 'pending'",
    );
    return num(rows[0]!.t);
  }
}
