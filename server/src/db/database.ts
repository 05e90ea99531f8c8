import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Migrations run in order, once each; `PRAGMA user_version` remembers how many ran.
 * Append new ones; never edit one that has shipped.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE api_keys (
    api_key    TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    name       TEXT,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE TABLE files (
    file_id        TEXT PRIMARY KEY,
    api_key        TEXT NOT NULL,
    filename       TEXT,
    filetype       TEXT,
    title          TEXT,
    size           INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('probing', 'ready', 'rejected')),
    metadata       TEXT,
    reason_code    TEXT,
    reason_message TEXT,
    probe_ms       REAL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
  );
  CREATE INDEX files_by_key ON files (api_key, created_at);
  CREATE TABLE jobs (
    job_id        TEXT PRIMARY KEY,
    video_id      TEXT NOT NULL UNIQUE,
    file_id       TEXT NOT NULL,
    api_key       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress      REAL NOT NULL DEFAULT 0,
    request       TEXT NOT NULL,
    renditions    TEXT NOT NULL DEFAULT '[]',
    playable      INTEGER NOT NULL DEFAULT 0,
    protected     INTEGER NOT NULL DEFAULT 0,
    webhook_url   TEXT,
    user_data     TEXT,
    error_code    TEXT,
    error_message TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT
  );
  CREATE INDEX jobs_by_key ON jobs (api_key, created_at);
  CREATE INDEX jobs_by_status ON jobs (status, created_at);
  CREATE INDEX jobs_by_file ON jobs (file_id);
  `,
  `
  -- Webhook endpoints, the key-level secret for jobs' webhookUrl, and the delivery outbox.
  CREATE TABLE webhook_endpoints (
    endpoint_id TEXT PRIMARY KEY,
    api_key     TEXT NOT NULL,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );
  CREATE INDEX webhook_endpoints_by_key ON webhook_endpoints (api_key, created_at);
  CREATE TABLE webhook_secrets (
    api_key    TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE webhook_events (
    event_id   TEXT PRIMARY KEY,
    api_key    TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    delivery_id     TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES webhook_events (event_id) ON DELETE CASCADE,
    api_key         TEXT NOT NULL,
    endpoint_id     TEXT REFERENCES webhook_endpoints (endpoint_id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    step            INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER,
    lease_until     INTEGER,
    last_attempt_at TEXT,
    response_status INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
  CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
  CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);
  `,
  `
  -- Text tracks of a video. A trigger, not a foreign key, removes them with the video's job:
  -- a later migration that rebuilds jobs (drop + rename) would cascade-delete every track through an FK.
  CREATE TABLE tracks (
    track_id   TEXT PRIMARY KEY,
    video_id   TEXT NOT NULL,
    api_key    TEXT NOT NULL,
    language   TEXT NOT NULL,
    label      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('subtitles', 'captions')),
    is_default INTEGER NOT NULL DEFAULT 0,
    cue_count  INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX tracks_by_video ON tracks (video_id, created_at);
  CREATE TRIGGER tracks_follow_jobs AFTER DELETE ON jobs BEGIN
    DELETE FROM tracks WHERE video_id = OLD.video_id;
  END;
  `,
  `
  -- The demo's sandbox key; per-key active-job counts (quotas, fair claiming)
  ALTER TABLE api_keys ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX jobs_by_key_status ON jobs (api_key, status, created_at);
  CREATE TABLE open_uploads (
    file_id    TEXT PRIMARY KEY,
    api_key    TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX open_uploads_by_key ON open_uploads (api_key);
  `,
  `
  -- Allowed origins (JSON arrays) of protected playback, per key and per video; NULL = unset
  ALTER TABLE api_keys ADD COLUMN allowed_origins TEXT;
  ALTER TABLE jobs ADD COLUMN allowed_origins TEXT;
  `,
  `
  -- The running encoder's pid (killed at boot when its lease's process is dead) and the duration
  -- the encode really produced (a header may lie), and its MP4 downloads.
  ALTER TABLE jobs ADD COLUMN encoder_pid INTEGER;
  ALTER TABLE jobs ADD COLUMN output_duration REAL;
  ALTER TABLE jobs ADD COLUMN downloads TEXT NOT NULL DEFAULT '[]';
  `,
  `
  -- Link ingest: a file may be 'downloading', with its progress and the lease its downloader renews
  -- (epoch ms; a lease run out means the node died). SQLite cannot change a CHECK in place: rebuild.
  -- No foreign key or trigger refers to files.
  CREATE TABLE files_new (
    file_id        TEXT PRIMARY KEY,
    api_key        TEXT NOT NULL,
    filename       TEXT,
    filetype       TEXT,
    title          TEXT,
    size           INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('downloading', 'probing', 'ready', 'rejected')),
    metadata       TEXT,
    reason_code    TEXT,
    reason_message TEXT,
    probe_ms       REAL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    progress_bytes INTEGER,
    progress_total INTEGER,
    lease_until    INTEGER
  );
  INSERT INTO files_new (file_id, api_key, filename, filetype, title, size, status, metadata, reason_code,
    reason_message, probe_ms, created_at, updated_at)
    SELECT file_id, api_key, filename, filetype, title, size, status, metadata, reason_code,
      reason_message, probe_ms, created_at, updated_at FROM files;
  DROP TABLE files;
  ALTER TABLE files_new RENAME TO files;
  CREATE INDEX files_by_key ON files (api_key, created_at);
  CREATE INDEX files_downloading ON files (lease_until) WHERE status = 'downloading';
  `,
  `
  -- Viewer analytics (issue 16): live sessions (the raw level, rolled up once idle), hourly sums per
  -- video, the visitor hashes per video and hour (unique viewers), and the daily salt of those hashes.
  -- Times are epoch milliseconds; no address is stored anywhere.
  CREATE TABLE analytics_sessions (
    video_id       TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    api_key        TEXT NOT NULL,
    visitor        TEXT NOT NULL,
    hour           INTEGER NOT NULL,
    first_ms       INTEGER NOT NULL,
    last_ms        INTEGER NOT NULL,
    viewed         INTEGER NOT NULL DEFAULT 0,
    watch_s        REAL NOT NULL DEFAULT 0,
    startup_ms     REAL,
    rebuffer_count INTEGER NOT NULL DEFAULT 0,
    rebuffer_s     REAL NOT NULL DEFAULT 0,
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
    hour           INTEGER NOT NULL,
    api_key        TEXT NOT NULL,
    views          INTEGER NOT NULL DEFAULT 0,
    watch_s        REAL NOT NULL DEFAULT 0,
    rebuffer_count INTEGER NOT NULL DEFAULT 0,
    rebuffer_s     REAL NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    s0 INTEGER NOT NULL DEFAULT 0, s1 INTEGER NOT NULL DEFAULT 0, s2 INTEGER NOT NULL DEFAULT 0, s3 INTEGER NOT NULL DEFAULT 0, s4 INTEGER NOT NULL DEFAULT 0, s5 INTEGER NOT NULL DEFAULT 0, s6 INTEGER NOT NULL DEFAULT 0, s7 INTEGER NOT NULL DEFAULT 0, s8 INTEGER NOT NULL DEFAULT 0, s9 INTEGER NOT NULL DEFAULT 0, s10 INTEGER NOT NULL DEFAULT 0, s11 INTEGER NOT NULL DEFAULT 0, s12 INTEGER NOT NULL DEFAULT 0, s13 INTEGER NOT NULL DEFAULT 0, s14 INTEGER NOT NULL DEFAULT 0, s15 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, hour)
  );
  CREATE INDEX analytics_hourly_by_key ON analytics_hourly (api_key, hour);
  CREATE INDEX analytics_hourly_by_hour ON analytics_hourly (hour);
  CREATE TABLE analytics_visitors (
    video_id TEXT NOT NULL,
    hour     INTEGER NOT NULL,
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
  -- The Studio (issue 16): a video's own title (PATCH /v1/videos/:id; NULL = its file's), which key
  -- made a key through /v1/keys, and Studio sessions and one-time sign-in links, stored only as the
  -- SHA-256 of their token so a copy of the database signs no one in.
  ALTER TABLE jobs ADD COLUMN title TEXT;
  ALTER TABLE api_keys ADD COLUMN created_by TEXT;
  CREATE TABLE studio_sessions (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('session', 'login')),
    api_key    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX studio_sessions_by_expiry ON studio_sessions (expires_at);
  `,
  `
  -- Chapters of a video (a JSON list of {start, title}); a trigger removes them with the job, as tracks.
  CREATE TABLE chapters (
    video_id   TEXT PRIMARY KEY,
    chapters   TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TRIGGER chapters_follow_jobs AFTER DELETE ON jobs BEGIN
    DELETE FROM chapters WHERE video_id = OLD.video_id;
  END;
  `,
  `
  -- Chunked encoding (issue 17 #2): one row per chunk of one attempt of a job, claimed by any worker
  -- with a lease of its own (db/chunk-tasks.ts); removed with the job by a trigger, as chapters.
  CREATE TABLE chunk_tasks (
    job_id      TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    video_id    TEXT NOT NULL,
    spec        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'done', 'failed')),
    tries       INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    done_by     TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (job_id, attempt, idx)
  );
  CREATE INDEX chunk_tasks_queue ON chunk_tasks (status, created_at);
  CREATE TRIGGER chunk_tasks_follow_jobs AFTER DELETE ON jobs BEGIN
    DELETE FROM chunk_tasks WHERE job_id = OLD.job_id;
  END;
  `,
];

/** Opens (creating when missing) `<dataDir>/vodkit.sqlite` in WAL mode and brings its schema up to date. */
export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'vodkit.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}

/** ISO-8601 timestamps everywhere: sortable as text and readable in the API. */
export function now(): string {
  return new Date().toISOString();
}
