import type { Db } from './database.ts';
import { now } from './database.ts';

export interface ApiKeyRow {
  apiKey: string;
  secret: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface Row {
  api_key: string;
  secret: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

const toKey = (r: Row): ApiKeyRow => ({
  apiKey: r.api_key,
  secret: r.secret,
  name: r.name,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export class KeysRepo {
  constructor(private readonly db: Db) {}

  insert(apiKey: string, secret: string, name: string | null): ApiKeyRow {
    const createdAt = now();
    this.db
      .prepare('INSERT INTO api_keys (api_key, secret, name, created_at) VALUES (?, ?, ?, ?)')
      .run(apiKey, secret, name, createdAt);
    return { apiKey, secret, name, createdAt, revokedAt: null };
  }

  get(apiKey: string): ApiKeyRow | undefined {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE api_key = ?').get(apiKey) as Row | undefined;
    return row && toKey(row);
  }

  list(): ApiKeyRow[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at').all() as Row[]).map(toKey);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM api_keys').get() as { n: number }).n;
  }

  revoke(apiKey: string): boolean {
    return (
      this.db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE api_key = ? AND revoked_at IS NULL')
        .run(now(), apiKey).changes === 1
    );
  }
}
