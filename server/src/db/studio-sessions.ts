import type { Db } from './database.ts';
import { now } from './database.ts';
import type { StudioSessionsRepository } from './repositories.ts';

/** A Studio session (the cookie) or a one-time sign-in link, known only by its token's SHA-256. */
export interface StudioSessionRow {
  tokenHash: string;
  kind: 'session' | 'login';
  apiKey: string;
  createdAt: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

interface Row {
  token_hash: string;
  kind: 'session' | 'login';
  api_key: string;
  created_at: string;
  expires_at: number;
}

export const toStudioSession = (
  r: Omit<Row, 'created_at' | 'expires_at'> & {
    created_at: string | Date;
    expires_at: number | string;
  },
): StudioSessionRow => ({
  tokenHash: r.token_hash,
  kind: r.kind,
  apiKey: r.api_key,
  createdAt: typeof r.created_at === 'string' ? r.created_at : r.created_at.toISOString(),
  expiresAt: Number(r.expires_at),
});

/** Studio sessions and sign-in links in SQLite; expiry is checked against the caller's clock. */
export class StudioSessionsRepo implements StudioSessionsRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Omit<StudioSessionRow, 'createdAt'>): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO studio_sessions (token_hash, kind, api_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(row.tokenHash, row.kind, row.apiKey, now(), row.expiresAt);
  }

  async get(
    tokenHash: string,
    kind: StudioSessionRow['kind'],
    atMs: number,
  ): Promise<StudioSessionRow | undefined> {
    const row = this.db
      .prepare('SELECT * FROM studio_sessions WHERE token_hash = ? AND kind = ? AND expires_at > ?')
      .get(tokenHash, kind, atMs) as Row | undefined;
    return row && toStudioSession(row);
  }

  async take(
    tokenHash: string,
    kind: StudioSessionRow['kind'],
    atMs: number,
  ): Promise<StudioSessionRow | undefined> {
    const row = this.db
      .prepare('DELETE FROM studio_sessions WHERE token_hash = ? AND kind = ? AND expires_at > ? RETURNING *')
      .get(tokenHash, kind, atMs) as Row | undefined;
    return row && toStudioSession(row);
  }

  async delete(tokenHash: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM studio_sessions WHERE token_hash = ?').run(tokenHash).changes === 1;
  }

  async sweep(atMs: number): Promise<number> {
    return this.db.prepare('DELETE FROM studio_sessions WHERE expires_at <= ?').run(atMs).changes;
  }
}
