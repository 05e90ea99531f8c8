import type pg from 'pg';
import type { StudioSessionsRepository } from '../repositories.ts';
import { type StudioSessionRow, toStudioSession } from '../studio-sessions.ts';
import { NOW } from './sql.ts';

const COLUMNS = 'token_hash, kind, api_key, created_at, expires_at';

/** Studio sessions and sign-in links on PostgreSQL, as the SQLite `StudioSessionsRepo`. */
export class PgStudioSessionsRepository implements StudioSessionsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(row: Omit<StudioSessionRow, 'createdAt'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO studio_sessions (token_hash, kind, api_key, created_at, expires_at) VALUES ($1, $2, $3, ${NOW}, $4)`,
      [row.tokenHash, row.kind, row.apiKey, row.expiresAt],
    );
  }

  async get(
    tokenHash: string,
    kind: StudioSessionRow['kind'],
    atMs: number,
  ): Promise<StudioSessionRow | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${COLUMNS} FROM studio_sessions WHERE token_hash = $1 AND kind = $2 AND expires_at > $3`,
      [tokenHash, kind, atMs],
    );
    return rows[0] && toStudioSession(rows[0]);
  }

  async take(
    tokenHash: string,
    kind: StudioSessionRow['kind'],
    atMs: number,
  ): Promise<StudioSessionRow | undefined> {
    const { rows } = await this.pool.query(
      `DELETE FROM studio_sessions WHERE token_hash = $1 AND kind = $2 AND expires_at > $3 RETURNING ${COLUMNS}`,
      [tokenHash, kind, atMs],
    );
    return rows[0] && toStudioSession(rows[0]);
  }

  async delete(tokenHash: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM studio_sessions WHERE token_hash = $1', [tokenHash]);
    return res.rowCount === 1;
  }

  async sweep(atMs: number): Promise<number> {
    const res = await this.pool.query('DELETE FROM studio_sessions WHERE expires_at <= $1', [atMs]);
    return res.rowCount ?? 0;
  }
}
