import type { Db } from './database.ts';
import type { PlaybackRepository } from './repositories.ts';

/** What the stream gate needs to know of a video: one row, one statement. */
export interface PlaybackAccessRow {
  videoId: string;
  apiKey: string;
  protected: boolean;
  /** The video's own list; null means "the key's list". */
  videoOrigins: string[] | null;
  /** The key's list; null means "any origin". */
  keyOrigins: string[] | null;
}

interface Row {
  video_id: string;
  api_key: string;
  protected: number;
  video_origins: string | null;
  key_origins: string | null;
}

const list = (raw: string | null): string[] | null => (raw === null ? null : (JSON.parse(raw) as string[]));

/** Protection settings of videos (the `jobs` row) and keys: the only SQL of protected playback. */
export class PlaybackRepo implements PlaybackRepository {
  constructor(private readonly db: Db) {}

  async access(videoId: string): Promise<PlaybackAccessRow | undefined> {
    const row = this.db
      .prepare(
        `SELECT j.video_id, j.api_key, j.protected, j.allowed_origins AS video_origins,
           k.allowed_origins AS key_origins
         FROM jobs j LEFT JOIN api_keys k ON k.api_key = j.api_key WHERE j.video_id = ?`,
      )
      .get(videoId) as Row | undefined;
    return (
      row && {
        videoId: row.video_id,
        apiKey: row.api_key,
        protected: row.protected === 1,
        videoOrigins: list(row.video_origins),
        keyOrigins: list(row.key_origins),
      }
    );
  }

  async setProtected(videoId: string, value: boolean): Promise<void> {
    this.db.prepare('UPDATE jobs SET protected = ? WHERE video_id = ?').run(value ? 1 : 0, videoId);
  }

  async setVideoOrigins(videoId: string, origins: string[] | null): Promise<void> {
    this.db
      .prepare('UPDATE jobs SET allowed_origins = ? WHERE video_id = ?')
      .run(origins === null ? null : JSON.stringify(origins), videoId);
  }

  async keyOrigins(apiKey: string): Promise<string[] | null> {
    const row = this.db.prepare('SELECT allowed_origins FROM api_keys WHERE api_key = ?').get(apiKey) as
      | { allowed_origins: string | null }
      | undefined;
    return list(row?.allowed_origins ?? null);
  }

  async setKeyOrigins(apiKey: string, origins: string[] | null): Promise<void> {
    this.db
      .prepare('UPDATE api_keys SET allowed_origins = ? WHERE api_key = ?')
      .run(origins === null ? null : JSON.stringify(origins), apiKey);
  }
}
