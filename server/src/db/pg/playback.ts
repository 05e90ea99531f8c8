import type pg from 'pg';
import type { PlaybackAccessRow } from '../playback.ts';
import type { PlaybackRepository } from '../repositories.ts';

/** Protection settings of videos (the `jobs` row) and keys on PostgreSQL, as the SQLite `PlaybackRepo`. */
export class PgPlaybackRepository implements PlaybackRepository {
  constructor(private readonly pool: pg.Pool) {}

  async access(videoId: string): Promise<PlaybackAccessRow | undefined> {
    const { rows } = await this.pool.query<{
      video_id: string;
      api_key: string;
      protected: boolean;
      video_origins: string[] | null;
      key_origins: string[] | null;
    }>(
      `SELECT j.video_id, j.api_key, j.protected, j.allowed_origins AS video_origins,
         k.allowed_origins AS key_origins
       FROM jobs j LEFT JOIN api_keys k ON k.api_key = j.api_key WHERE j.video_id = $1`,
      [videoId],
    );
    const row = rows[0];
    return (
      row && {
        videoId: row.video_id,
        apiKey: row.api_key,
        protected: row.protected,
        videoOrigins: row.video_origins,
        keyOrigins: row.key_origins,
      }
    );
  }

  async setProtected(videoId: string, value: boolean): Promise<void> {
    await this.pool.query('UPDATE jobs SET protected = $2 WHERE video_id = $1', [videoId, value]);
  }

  async setVideoOrigins(videoId: string, origins: string[] | null): Promise<void> {
    await this.pool.query('UPDATE jobs SET allowed_origins = $2 WHERE video_id = $1', [
      videoId,
      origins === null ? null : JSON.stringify(origins),
    ]);
  }

  async keyOrigins(apiKey: string): Promise<string[] | null> {
    const { rows } = await this.pool.query<{ allowed_origins: string[] | null }>(
      'SELECT allowed_origins FROM api_keys WHERE api_key = $1',
      [apiKey],
    );
    return rows[0]?.allowed_origins ?? null;
  }

  async setKeyOrigins(apiKey: string, origins: string[] | null): Promise<void> {
    await this.pool.query('UPDATE api_keys SET allowed_origins = $2 WHERE api_key = $1', [
      apiKey,
      origins === null ? null : JSON.stringify(origins),
    ]);
  }
}
