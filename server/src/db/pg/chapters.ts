import type { Chapter } from '@vodkit/api';
import type pg from 'pg';
import type { ChaptersRepository } from '../repositories.ts';
import { NOW } from './sql.ts';

/** Chapters on PostgreSQL, as the SQLite `ChaptersRepo`: one jsonb list per video. */
export class PgChaptersRepository implements ChaptersRepository {
  constructor(private readonly pool: pg.Pool) {}

  async get(videoId: string): Promise<Chapter[]> {
    const { rows } = await this.pool.query<{ chapters: Chapter[] }>(
      'SELECT chapters FROM chapters WHERE video_id = $1',
      [videoId],
    );
    return rows[0]?.chapters ?? [];
  }

  async set(videoId: string, chapters: readonly Chapter[]): Promise<void> {
    if (chapters.length === 0) {
      await this.pool.query('DELETE FROM chapters WHERE video_id = $1', [videoId]);
      return;
    }
    await this.pool.query(
      `INSERT INTO chapters (video_id, chapters, updated_at) VALUES ($1, $2, ${NOW})
       ON CONFLICT (video_id) DO UPDATE SET chapters = excluded.chapters, updated_at = excluded.updated_at`,
      [videoId, JSON.stringify(chapters)],
    );
  }
}
