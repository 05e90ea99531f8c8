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
  `
  -- Every other table of SQLite's MIGRATIONS (db/database.ts), so all repositories run on PostgreSQL.
  -- JSON columns are json, not jsonb: jsonb reorders object keys, and a job's request, user data or
  -- a file's metadata must read back as written, as they do from SQLite's TEXT. Every table has a
  -- seq for SQLite's rowid order.
  ALTER TABLE jobs ALTER COLUMN request TYPE json USING request::text::json;
  ALTER TABLE jobs ALTER COLUMN renditions TYPE json USING renditions::text::json;
  ALTER TABLE jobs ALTER COLUMN renditions SET DEFAULT '[]';
  ALTER TABLE jobs ALTER COLUMN user_data TYPE json USING user_data::text::json;
  ALTER TABLE jobs ALTER COLUMN allowed_origins TYPE json USING allowed_origins::text::json;
  ALTER TABLE jobs ALTER COLUMN downloads TYPE json USING downloads::text::json;
  ALTER TABLE jobs ALTER COLUMN downloads SET DEFAULT '[]';
  -- Fair claiming and quotas: per-key processing counts and the key's latest start.
  CREATE INDEX jobs_by_key_status ON jobs (api_key, status, created_at);
  CREATE INDEX jobs_by_key_started ON jobs (api_key, started_at);
  CREATE INDEX jobs_processing ON jobs (seq) WHERE status = 'processing';

  CREATE TABLE api_keys (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    api_key         TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    name            TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    sandbox         BOOLEAN NOT NULL DEFAULT false,
    allowed_origins JSON
  );
  CREATE INDEX api_keys_by_created ON api_keys (created_at, seq);

  CREATE TABLE files (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    file_id        TEXT PRIMARY KEY,
    api_key        TEXT NOT NULL,
    filename       TEXT,
    filetype       TEXT,
    title          TEXT,
    size           BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('probing', 'ready', 'rejected')),
    metadata       JSON,
    reason_code    TEXT,
    reason_message TEXT,
    probe_ms       DOUBLE PRECISION,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX files_by_key ON files (api_key, created_at);
  CREATE INDEX files_probing ON files (seq) WHERE status = 'probing';

  CREATE TABLE webhook_endpoints (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    endpoint_id TEXT PRIMARY KEY,
    api_key     TEXT NOT NULL,
    url         TEXT NOT NULL,
    events      JSON NOT NULL,
    secret      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX webhook_endpoints_by_key ON webhook_endpoints (api_key, created_at, seq);
  CREATE TABLE webhook_secrets (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    api_key    TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  );
  -- payload stays TEXT: it is the exact body the signature covers.
  CREATE TABLE webhook_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    event_id   TEXT PRIMARY KEY,
    api_key    TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX webhook_events_by_created ON webhook_events (created_at);
  CREATE TABLE webhook_deliveries (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,
    delivery_id     TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES webhook_events (event_id) ON DELETE CASCADE,
    api_key         TEXT NOT NULL,
    endpoint_id     TEXT REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    step            INTEGER NOT NULL DEFAULT 0,
    next_at         BIGINT,
    lease_until     BIGINT,
    last_attempt_at TIMESTAMPTZ,
    response_status INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
  CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, seq);
  CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
  CREATE INDEX webhook_deliveries_of_jobs ON webhook_deliveries (api_key, created_at, seq)
    WHERE endpoint_id IS NULL;

  CREATE TABLE tracks (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    track_id   TEXT PRIMARY KEY,
    video_id   TEXT NOT NULL,
    api_key    TEXT NOT NULL,
    language   TEXT NOT NULL,
    label      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('subtitles', 'captions')),
    is_default BOOLEAN NOT NULL DEFAULT false,
    cue_count  INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX tracks_by_video ON tracks (video_id, created_at);
  -- Backstop of the insert's advisory lock: a video never has two defaults.
  CREATE UNIQUE INDEX tracks_one_default ON tracks (video_id) WHERE is_default;
  -- A trigger, as in SQLite, removes a video's tracks with its job.
  CREATE FUNCTION vodkit_tracks_follow_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM tracks WHERE video_id = OLD.video_id;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER tracks_follow_jobs AFTER DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION vodkit_tracks_follow_jobs();

  CREATE TABLE open_uploads (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    file_id    TEXT PRIMARY KEY,
    api_key    TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  );
  CREATE INDEX open_uploads_by_key ON open_uploads (api_key);
  `,
  `
  -- Link ingest: a file may be 'downloading', with its progress and the lease its downloader renews
  -- (epoch ms; a lease run out means the node died).
  ALTER TABLE files DROP CONSTRAINT files_status_check;
  ALTER TABLE files ADD CONSTRAINT files_status_check
    CHECK (status IN ('downloading', 'probing', 'ready', 'rejected'));
  ALTER TABLE files ADD COLUMN progress_bytes BIGINT;
  ALTER TABLE files ADD COLUMN progress_total BIGINT;
  ALTER TABLE files ADD COLUMN lease_until BIGINT;
  CREATE INDEX files_downloading ON files (lease_until) WHERE status = 'downloading';
  `,
  `
  -- Viewer analytics (issue 16): live sessions (the raw level, rolled up once idle), hourly sums per
  -- video, the visitor hashes per video and hour (unique viewers), and the daily salt of those hashes.
  -- The same tables as SQLite's. Times are epoch milliseconds (BIGINT); no address is stored anywhere.
  CREATE TABLE analytics_sessions (
    video_id       TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    api_key        TEXT NOT NULL,
    visitor        TEXT NOT NULL,
    hour           BIGINT NOT NULL,
    first_ms       BIGINT NOT NULL,
    last_ms        BIGINT NOT NULL,
    viewed         INTEGER NOT NULL DEFAULT 0,
    watch_s        DOUBLE PRECISION NOT NULL DEFAULT 0,
    startup_ms     DOUBLE PRECISION,
    rebuffer_count INTEGER NOT NULL DEFAULT 0,
    rebuffer_s     DOUBLE PRECISION NOT NULL DEFAULT 0,
    errored        INTEGER NOT NULL DEFAULT 0,
    error_code     TEXT,
    switches       INTEGER NOT NULL DEFAULT 0,
    max_height     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, session_id)
  );
  CREATE INDEX analytics_sessions_idle ON analytics_sessions (last_ms);
  CREATE INDEX analytics_sessions_by_video ON analytics_sessions (video_id, hour);
  CREATE INDEX analytics_sessions_by_key ON analytics_sessions (api_key, hour);
  CREATE TABLE analytics_hourly (
    video_id       TEXT NOT NULL,
    hour           BIGINT NOT NULL,
    api_key        TEXT NOT NULL,
    views          INTEGER NOT NULL DEFAULT 0,
    watch_s        DOUBLE PRECISION NOT NULL DEFAULT 0,
    rebuffer_count INTEGER NOT NULL DEFAULT 0,
    rebuffer_s     DOUBLE PRECISION NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    s0 INTEGER NOT NULL DEFAULT 0, s1 INTEGER NOT NULL DEFAULT 0, s2 INTEGER NOT NULL DEFAULT 0, s3 INTEGER NOT NULL DEFAULT 0, s4 INTEGER NOT NULL DEFAULT 0, s5 INTEGER NOT NULL DEFAULT 0, s6 INTEGER NOT NULL DEFAULT 0, s7 INTEGER NOT NULL DEFAULT 0, s8 INTEGER NOT NULL DEFAULT 0, s9 INTEGER NOT NULL DEFAULT 0, s10 INTEGER NOT NULL DEFAULT 0, s11 INTEGER NOT NULL DEFAULT 0, s12 INTEGER NOT NULL DEFAULT 0, s13 INTEGER NOT NULL DEFAULT 0, s14 INTEGER NOT NULL DEFAULT 0, s15 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, hour)
  );
  CREATE INDEX analytics_hourly_by_key ON analytics_hourly (api_key, hour);
  CREATE INDEX analytics_hourly_by_hour ON analytics_hourly (hour);
  CREATE TABLE analytics_visitors (
    video_id TEXT NOT NULL,
    hour     BIGINT NOT NULL,
    visitor  TEXT NOT NULL,
    api_key  TEXT NOT NULL,
    PRIMARY KEY (video_id, hour, visitor)
  );
  CREATE INDEX analytics_visitors_by_key ON analytics_visitors (api_key, hour);
  CREATE INDEX analytics_visitors_by_hour ON analytics_visitors (hour);
  CREATE TABLE analytics_salts (
    day  TEXT PRIMARY KEY,
    salt TEXT NOT NULL
  );
  `,
  `
  -- The Studio (issue 16), as SQLite's: a video's own title, the key that made a key, and Studio
  -- sessions and one-time sign-in links (SHA-256 of their token only).
  ALTER TABLE jobs ADD COLUMN title TEXT;
  ALTER TABLE api_keys ADD COLUMN created_by TEXT;
  CREATE TABLE studio_sessions (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('session', 'login')),
    api_key    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX studio_sessions_by_expiry ON studio_sessions (expires_at);
  `,
  `
  -- Chapters of a video, removed with its job as tracks are.
  CREATE TABLE chapters (
    video_id   TEXT PRIMARY KEY,
    chapters   JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  );
  CREATE FUNCTION vodkit_chapters_follow_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM chapters WHERE video_id = OLD.video_id;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER chapters_follow_jobs AFTER DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION vodkit_chapters_follow_jobs();
  `,
  `
  -- Chunked encoding (issue 17 #2), as SQLite's chunk_tasks: claimed FOR UPDATE SKIP LOCKED.
  CREATE TABLE chunk_tasks (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    job_id      TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    video_id    TEXT NOT NULL,
    spec        JSONB NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
    tries       INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    done_by     TEXT,
    error       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, attempt, idx)
  );
  CREATE INDEX chunk_tasks_queue ON chunk_tasks (created_at, seq) WHERE status = 'queued';
  CREATE INDEX chunk_tasks_processing ON chunk_tasks (lease_until) WHERE status = 'processing';
  CREATE FUNCTION vodkit_chunk_tasks_follow_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    DELETE FROM chunk_tasks WHERE job_id = OLD.job_id;
    RETURN NULL;
  END
  $$;
  CREATE TRIGGER chunk_tasks_follow_jobs AFTER DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION vodkit_chunk_tasks_follow_jobs();
  `,
];

/**
 * Brings the schema up to date. Several nodes may start at once: a transaction-scoped advisory lock
 * makes them take turns, and each migration commits with its version row.
 */
/** The advisory lock nodes take turns on while they migrate (and seal secrets, db/pg/index.ts). */
export const MIGRATION_LOCK = 'vodkit_migrations';

export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
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
