import type pg from 'pg';
import type { OpenUploadsRepository } from '../repositories.ts';
import { inTransaction, lockFor, NOW } from './sql.ts';

/** Unfinished uploads per key (the upload quotas) on PostgreSQL, as the SQLite `OpenUploadsRepo`. */
export class PgOpenUploadsRepository implements OpenUploadsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * The usage check and the insert hold one advisory lock per key: two API nodes reserving for the
   * same key at once would otherwise both see room for one more.
   */
  async reserve(
    fileId: string,
    apiKey: string,
    size: number,
    maxCount: number,
    maxBytes: number,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await lockFor(client, `uploads:${apiKey}`);
      const { count, bytes } = await usage(client, apiKey);
      if (count + 1 > maxCount || bytes + size > maxBytes) return false;
      await client.query(
        `INSERT INTO open_uploads (file_id, api_key, size, created_at) VALUES ($1, $2, $3, ${NOW})`,
        [fileId, apiKey, size],
      );
      return true;
    });
  }

  usage(apiKey: string): Promise<{ count: number; bytes: number }> {
    return usage(this.pool, apiKey);
  }

  async release(fileId: string): Promise<void> {
    await this.pool.query('DELETE FROM open_uploads WHERE file_id = $1', [fileId]);
  }

  async ids(): Promise<string[]> {
    const { rows } = await this.pool.query<{ file_id: string }>(
      'SELECT file_id FROM open_uploads ORDER BY seq',
    );
    return rows.map((r) => r.file_id);
  }
}

async function usage(db: pg.Pool | pg.PoolClient, apiKey: string): Promise<{ count: number; bytes: number }> {
  const { rows } = await db.query<{ n: string; bytes: string }>(
    'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM open_uploads WHERE api_key = $1',
    [apiKey],
  );
  return { count: Number(rows[0]!.n), bytes: Number(rows[0]!.bytes) };
}
