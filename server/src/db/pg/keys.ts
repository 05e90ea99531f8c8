import type pg from 'pg';
import type { ApiKeyRow } from '../keys.ts';
import type { KeysRepository } from '../repositories.ts';
import { checkSealed, isSealed, openIfSealed, seal, sealIfKeyed } from '../sealed.ts';
import { iso, NOW, num } from './sql.ts';

interface Row {
  api_key: string;
  secret: string;
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
  sandbox: boolean;
  created_by: string | null;
}

const COLUMNS = 'api_key, secret, name, created_at, revoked_at, sandbox, created_by';

/**
 * At boot, as the SQLite `KeysRepo` constructor: refuses a database whose sealed secrets this key
 * (or no key) does not open, and seals the plain secrets of keys made before the key was set. Runs
 * in the caller's transaction, which holds the migration lock: nodes starting together take turns.
 */
export async function sealApiSecrets(client: pg.PoolClient, secretKey: Buffer | null): Promise<void> {
  const { rows } = await client.query<{ api_key: string; secret: string }>(
    'SELECT api_key, secret FROM api_keys ORDER BY seq FOR UPDATE',
  );
  checkSealed(
    secretKey,
    rows.map((r) => ({ aad: r.api_key, secret: r.secret })),
    'API secrets',
  );
  if (!secretKey) return;
  for (const r of rows) {
    if (isSealed(r.secret)) continue;
    await client.query('UPDATE api_keys SET secret = $2 WHERE api_key = $1', [
      r.api_key,
      seal(secretKey, r.api_key, r.secret),
    ]);
  }
}

/** API keys on PostgreSQL, sealed as the SQLite `KeysRepo` seals them (db/sealed.ts). */
export class PgKeysRepository implements KeysRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly secretKey: Buffer | null,
  ) {}

  async insert(
    apiKey: string,
    secret: string,
    name: string | null,
    sandbox = false,
    createdBy: string | null = null,
  ): Promise<ApiKeyRow> {
    const stored = sealIfKeyed(this.secretKey, apiKey, secret);
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO api_keys (api_key, secret, name, created_at, sandbox, created_by)
       VALUES ($1, $2, $3, ${NOW}, $4, $5) RETURNING created_at`,
      [apiKey, stored, name, sandbox, createdBy],
    );
    return {
      apiKey,
      secret,
      name,
      createdAt: iso(rows[0]!.created_at)!,
      revokedAt: null,
      sandbox,
      createdBy,
    };
  }

  async get(apiKey: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE api_key = $1`, [
      apiKey,
    ]);
    return rows[0] && this.#toKey(rows[0]);
  }

  async getSandbox(): Promise<ApiKeyRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM api_keys WHERE sandbox AND revoked_at IS NULL
       ORDER BY created_at DESC, seq DESC LIMIT 1`,
    );
    return rows[0] && this.#toKey(rows[0]);
  }

  async sandboxApiKeys(): Promise<string[]> {
    const { rows } = await this.pool.query<{ api_key: string }>(
      'SELECT api_key FROM api_keys WHERE sandbox ORDER BY seq',
    );
    return rows.map((r) => r.api_key);
  }

  async list(): Promise<ApiKeyRow[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, seq`);
    return rows.map((r) => this.#toKey(r));
  }

  async listCreatedBy(apiKey: string): Promise<ApiKeyRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM api_keys WHERE created_by = $1 ORDER BY created_at, seq`,
      [apiKey],
    );
    return rows.map((r) => this.#toKey(r));
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM api_keys');
    return num(rows[0]!.n)!;
  }

  async revoke(apiKey: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE api_keys SET revoked_at = ${NOW} WHERE api_key = $1 AND revoked_at IS NULL`,
      [apiKey],
    );
    return res.rowCount === 1;
  }

  #toKey(r: Row): ApiKeyRow {
    const secret = openIfSealed(this.secretKey, r.api_key, r.secret, '');
    return {
      apiKey: r.api_key,
      secret,
      name: r.name,
      createdAt: iso(r.created_at)!,
      revokedAt: iso(r.revoked_at),
      sandbox: r.sandbox,
      createdBy: r.created_by,
    };
  }
}
