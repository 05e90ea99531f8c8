import type { Chapter } from '@vodkit/api';
import type { Db } from './database.ts';
import { now } from './database.ts';
import type { ChaptersRepository } from './repositories.ts';

/** A video's chapters, one row per video (a JSON list, in order), removed with its job by a trigger. */
export class ChaptersRepo implements ChaptersRepository {
  constructor(private readonly db: Db) {}

  async get(videoId: string): Promise<Chapter[]> {
    const row = this.db.prepare('SELECT chapters FROM chapters WHERE video_id = ?').get(videoId) as
      | { chapters: string }
      | undefined;
    return row ? (JSON.parse(row.chapters) as Chapter[]) : [];
  }

  async set(videoId: string, chapters: readonly Chapter[]): Promise<void> {
    if (chapters.length === 0) {
      this.db.prepare('DELETE FROM chapters WHERE video_id = ?').run(videoId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO chapters (video_id, chapters, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (video_id) DO UPDATE SET chapters = excluded.chapters, updated_at = excluded.updated_at`,
      )
      .run(videoId, JSON.stringify(chapters), now());
  }
}
