// STUB — to be replaced by the encoding work. The three methods below are what FileService.delete
// needs; the real repository keeps these names and signatures.
import type { Db } from './database.ts';

export class JobsRepo {
  constructor(readonly db: Db) {}

  /** Every video made from this file (any status): their output folders go when the file goes. */
  videoIdsForFile(fileId: string): string[] {
    return (
      this.db.prepare('SELECT video_id FROM jobs WHERE file_id = ?').all(fileId) as { video_id: string }[]
    ).map((r) => r.video_id);
  }

  /** Jobs still queued or running on this file: deleting it now would pull the source from under ffmpeg. */
  activeCountForFile(fileId: string): number {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM jobs WHERE file_id = ? AND status IN ('queued', 'processing')")
        .get(fileId) as { n: number }
    ).n;
  }

  deleteForFile(fileId: string): void {
    this.db.prepare('DELETE FROM jobs WHERE file_id = ?').run(fileId);
  }
}
