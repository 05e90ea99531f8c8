import type { Db } from './database.ts';
import { now } from './database.ts';
import type { KeysRepository } from './repositories.ts';
import { checkSealed, isSealed, openIfSealed, SecretKeyMissingError, seal, sealIfKeyed } from './sealed.ts';

export interface ApiKeyRow {
  apiKey: string;
  secret: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** The demo's sandbox key: its files and jobs are swept after a while. */
  sandbox: boolean;
  /** The key that made this one through `POST /v1/keys`; null for keys of the CLI or the server. */
  createdBy: string | null;
}

interface Row {
  api_key: string;
  secret: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
  sandbox: number;
  created_by: string | null;
}

export { SecretKeyMissingError };

/**
 * API keys. With a `secretKey` (VOD_SECRET_KEY) secrets are sealed (AES-256-GCM) before they
 * reach the database and opened on the way out, so a copy of the database (or its WAL, or a
 * backup) does not give away the secrets; callers only ever see plain secrets.
 */
export class KeysRepo implements KeysRepository {
  constructor(
    private readonly db: Db,
    private readonly secretKey: Buffer | null = null,
  ) {
    const rows = this.db.prepare('SELECT api_key, secret FROM api_keys').all() as Row[];
    checkSealed(
      secretKey,
      rows.map((r) => ({ aad: r.api_key, secret: r.secret })),
      'API secrets',
    );
    if (secretKey) {
      // Keys created before VOD_SECRET_KEY was set are sealed now.
      const update = this.db.prepare('UPDATE api_keys SET secret = ? WHERE api_key = ?');
      this.db.transaction(() => {
        for (const r of rows)
          if (!isSealed(r.secret)) update.run(seal(secretKey, r.api_key, r.secret), r.api_key);
      })();
    }
  }

  async insert(
    apiKey: string,
    secret: string,
    name: string | null,
    sandbox = false,
    createdBy: string | null = null,
  ): Promise<ApiKeyRow> {
    const createdAt = now();
    const stored = sealIfKeyed(this.secretKey, apiKey, secret);
    this.db
      .prepare(
        'INSERT INTO api_keys (api_key, secret, name, created_at, sandbox, created_by) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(apiKey, stored, name, createdAt, sandbox ? 1 : 0, createdBy);
    return { apiKey, secret, name, createdAt, revokedAt: null, sandbox, createdBy };
  }

  async get(apiKey: string): Promise<ApiKeyRow | undefined> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE api_key = ?').get(apiKey) as Row | undefined;
    return row && this.#toKey(row);
  }

  /** The newest usable sandbox key, if any. */
  async getSandbox(): Promise<ApiKeyRow | undefined> {
    const row = this.db
      .prepare(
        'SELECT * FROM api_keys WHERE sandbox = 1 AND revoked_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1',
      )
      .get() as Row | undefined;
    return row && this.#toKey(row);
  }

  async sandboxApiKeys(): Promise<string[]> {
    return (this.db.prepare('SELECT api_key FROM api_keys WHERE sandbox = 1').all() as Row[]).map(
      (r) => r.api_key,
    );
  }

  async list(): Promise<ApiKeyRow[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at').all() as Row[]).map((r) =>
      this.#toKey(r),
    );
  }

  async listCreatedBy(apiKey: string): Promise<ApiKeyRow[]> {
    return (
      this.db
        .prepare('SELECT * FROM api_keys WHERE created_by = ? ORDER BY created_at, rowid')
        .all(apiKey) as Row[]
    ).map((r) => this.#toKey(r));
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n;
  }

  async revoke(apiKey: string): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE api_key = ? AND revoked_at IS NULL')
        .run(now(), apiKey).changes === 1
    );
  }

  #toKey(r: Row): ApiKeyRow {
    const secret = openIfSealed(this.secretKey, r.api_key, r.secret, '');
    return {
      apiKey: r.api_key,
      secret,
      name: r.name,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
      sandbox: r.sandbox === 1,
      createdBy: r.created_by ?? null,
    };
  }
}
