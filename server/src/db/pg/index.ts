import pg from 'pg';
import type { Repositories } from '../repositories.ts';
import { PgAnalyticsRepository } from './analytics.ts';
import { PgChaptersRepository } from './chapters.ts';
import { PgChunkTasksRepository } from './chunk-tasks.ts';
import { PgFilesRepository } from './files.ts';
import { PgJobsRepository } from './jobs.ts';
import { PgKeysRepository, sealApiSecrets } from './keys.ts';
import { MIGRATION_LOCK, migratePg } from './migrations.ts';
import { PgPlaybackRepository } from './playback.ts';
import { inTransaction } from './sql.ts';
import { PgStudioSessionsRepository } from './studio-sessions.ts';
import { PgTracksRepository } from './tracks.ts';
import { PgOpenUploadsRepository } from './uploads.ts';
import { PgWebhooksRepository, sealWebhookSecrets } from './webhooks.ts';

/**
 * Every repository on one PostgreSQL pool: migrates, then does what the SQLite `KeysRepo` and
 * `WebhooksRepo` constructors do at boot (refuse sealed secrets that `secretKey` does not open, seal
 * plain ones), under the migration lock so nodes starting together take turns.
 */
export async function openPgRepositories(opts: {
  connectionString: string;
  secretKey: Buffer | null;
  poolMax?: number;
}): Promise<Repositories> {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolMax ?? 10,
    application_name: 'vodkit',
    // Bounded waits: a request fails when no connection comes within 10 s (database down, pool
    // exhausted) instead of hanging, and a node stalled inside a transaction loses it (and its
    // advisory locks) after a minute instead of blocking the other nodes.
    connectionTimeoutMillis: 10_000,
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
  });
  // An idle connection dropped by the server must not crash the process: the pool replaces it.
  pool.on('error', () => {});
  try {
    await migratePg(pool);
    await inTransaction(pool, async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [MIGRATION_LOCK]);
      await sealApiSecrets(client, opts.secretKey);
      await sealWebhookSecrets(client, opts.secretKey);
    });
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  return {
    engine: 'postgres',
    files: new PgFilesRepository(pool),
    jobs: new PgJobsRepository(pool),
    chunkTasks: new PgChunkTasksRepository(pool),
    keys: new PgKeysRepository(pool, opts.secretKey),
    playback: new PgPlaybackRepository(pool),
    tracks: new PgTracksRepository(pool),
    chapters: new PgChaptersRepository(pool),
    openUploads: new PgOpenUploadsRepository(pool),
    webhooks: new PgWebhooksRepository(pool, opts.secretKey),
    studioSessions: new PgStudioSessionsRepository(pool),
    analytics: new PgAnalyticsRepository(pool),
    close: () => pool.end(),
  };
}
