import { AnalyticsRepo } from './analytics.ts';
import { ChaptersRepo } from './chapters.ts';
import { ChunkTasksRepo } from './chunk-tasks.ts';
import { type Db, openDatabase } from './database.ts';
import { FilesRepo } from './files.ts';
import { JobsRepo } from './jobs.ts';
import { KeysRepo } from './keys.ts';
import { PlaybackRepo } from './playback.ts';
import type { Repositories } from './repositories.ts';
import { StudioSessionsRepo } from './studio-sessions.ts';
import { TracksRepo } from './tracks.ts';
import { OpenUploadsRepo } from './uploads.ts';
import { WebhooksRepo } from './webhooks.ts';

/** The embedded engine, plus its handle for the few places that need SQLite itself (tests, tools). */
export interface SqliteRepositories extends Repositories {
  engine: 'sqlite';
  db: Db;
}

/**
 * Opens (creating and migrating) `<dataDir>/vodkit.sqlite` behind the repository interfaces.
 * Throws SecretKeyMissingError when the database holds sealed secrets this key does not open.
 */
export function openSqliteRepositories(dataDir: string, secretKey: Buffer | null): SqliteRepositories {
  const db = openDatabase(dataDir);
  try {
    return {
      engine: 'sqlite',
      db,
      files: new FilesRepo(db),
      jobs: new JobsRepo(db),
      chunkTasks: new ChunkTasksRepo(db),
      keys: new KeysRepo(db, secretKey),
      playback: new PlaybackRepo(db),
      tracks: new TracksRepo(db),
      chapters: new ChaptersRepo(db),
      openUploads: new OpenUploadsRepo(db),
      webhooks: new WebhooksRepo(db, secretKey),
      studioSessions: new StudioSessionsRepo(db),
      analytics: new AnalyticsRepo(db),
      close: async () => {
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
