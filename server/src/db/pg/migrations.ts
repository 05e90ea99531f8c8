import type pg from 'pg';

/**
 * PostgreSQL schema for the scaled-out mode (issue 8), one element per migration, run in order once
 * each, as `MIGRATIONS` in ../database.ts does for SQLite. The jobs table mirrors SQLite's column for
 * column, with native types (jsonb, boolean, timestamptz) and `seq` standing in for SQLite's rowid as
 * the tie-break of the queue order. Append new migrations; never edit one that has shipped.
 */
export const PG_MIGRATIONS: string[] = [
  `
  CREATE TABLE jobs (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    job_id        TEXT PRIMARY KEY,
    video_id      TEXT NOT NULL UNIQUE,
    file_id       TEXT NOT NULL,
    api_key       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress      DOUBLE PRECISION NOT NULL DEFAULT 0,
    request       JSONB NOT NULL,
    renditions    JSONB NOT NULL DEFAULT '[]',
    playable      BOOLEAN NOT NULL DEFAULT false,
    protected     BOOLEAN NOT NULL DEFAULT false,
    webhook_url   TEXT,
    user_data     JSONB,
    error_code    TEXT,
    error_message TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   BIGINT,
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
  );
  CREATE INDEX jobs_by_key ON jobs (api_key, created_at);
  CREATE INDEX jobs_by_status ON jobs (status, created_at);
  CREATE INDEX jobs_by_file ON jobs (file_id);
  -- The claim's scan: only queued rows, in queue order.
  CREATE INDEX jobs_queue ON jobs (created_at, seq) WHERE status = 'queued';
  `,
  `
  -- The SQLite jobs table's later columns (protect, enc): allowed origins, encoder pid, real output
  -- duration, MP4 downloads.
  ALTER TABLE jobs ADD COLUMN allowed_origins JSONB;
  ALTER TABLE jobs ADD COLUMN encoder_pid INTEGER;
  ALTER TABLE jobs ADD COLUMN output_duration DOUBLE PRECISION;
  ALTER TABLE jobs ADD COLUMN downloads JSONB NOT NULL DEFAULT '[]';
  `,
];

/**
 * Brings the schema up to date. Several nodes may start at once: a transaction-scoped advisory lock
 * makes them take turns, and each migration commits with its version row.
 */
export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('vodkit_migrations', 0))`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS vodkit_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM vodkit_migrations',
    );
    for (let i = rows[0]?.v ?? 0; i < PG_MIGRATIONS.length; i++) {
      await client.query(PG_MIGRATIONS[i]!);
      await client.query('INSERT INTO vodkit_migrations (version, applied_at) VALUES ($1, now())', [i + 1]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
