import type { Db } from './database.ts';
import { now } from './database.ts';
import type { OpenUploadsRepository } from './repositories.ts';

/**
 * Unfinished uploads and the bytes they reserve, by key: the per-key upload quota. A row is
 * made before tus creates the upload (so the check and the reservation are one statement) and
 * goes when the upload finishes, is terminated or expires, or when tus did not create it.
 */
export class OpenUploadsRepo implements OpenUploadsRepository {
  constructor(private readonly db: Db) {}

  /** Reserves one upload of `size` bytes for the key unless that would pass either limit; true when reserved. */
  async reserve(
    fileId: string,
    apiKey: string,
    size: number,
    maxCount: number,
    maxBytes: number,
  ): Promise<boolean> {
    return this.db.transaction(() => {
      const { n, bytes } = this.db
        .prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM open_uploads WHERE api_key = ?')
        .get(apiKey) as { n: number; bytes: number };
      if (n + 1 > maxCount || bytes + size > maxBytes) return false;
      this.db
        .prepare('INSERT INTO open_uploads (file_id, api_key, size, created_at) VALUES (?, ?, ?, ?)')
        .run(fileId, apiKey, size, now());
      return true;
    })();
  }

  async usage(apiKey: string): Promise<{ count: number; bytes: number }> {
    const { n, bytes } = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM open_uploads WHERE api_key = ?')
      .get(apiKey) as { n: number; bytes: number };
    return { count: n, bytes };
  }

  async release(fileId: string): Promise<void> {
    this.db.prepare('DELETE FROM open_uploads WHERE file_id = ?').run(fileId);
  }

  async ids(): Promise<string[]> {
    return (this.db.prepare('SELECT file_id FROM open_uploads').all() as { file_id: string }[]).map(
      (r) => r.file_id,
    );
  }
}
