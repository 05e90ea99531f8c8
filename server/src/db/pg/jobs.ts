import type { Download, JobStatus, Rendition } from '@vodkit/api';
import type pg from 'pg';
import { type FinalStatus, type JobRequest, type JobRow, likePattern, type NewJob } from '../jobs.ts';
import type { JobsRepository, Page, VideoFilter } from '../repositories.ts';
import { PgListener } from './listen.ts';
import { inTransaction, iso, lockFor, NOW, NOW_MS, num } from './sql.ts';

/** Workers LISTEN here; a new or requeued job NOTIFYs it, so nobody polls the table in a tight loop. */
export const JOBS_CHANNEL = 'vodkit_jobs';

interface Row {
  job_id: string;
  video_id: string;
  file_id: string;
  api_key: string;
  status: JobStatus;
  progress: number;
  request: JobRequest;
  renditions: Rendition[];
  playable: boolean;
  protected: boolean;
  webhook_url: string | null;
  user_data: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  encoder_pid: number | null;
  output_duration: number | null;
  downloads: Download[] | null;
  title: string | null;
}

const toJob = (r: Row): JobRow => ({
  jobId: r.job_id,
  videoId: r.video_id,
  fileId: r.file_id,
  apiKey: r.api_key,
  status: r.status,
  progress: r.progress,
  request: r.request,
  renditions: r.renditions,
  playable: r.playable,
  protected: r.protected,
  webhookUrl: r.webhook_url,
  userData: r.user_data,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  attempts: r.attempts,
  encoderPid: r.encoder_pid,
  outputDuration: r.output_duration,
  downloads: r.downloads ?? [],
  title: r.title,
  leaseOwner: r.lease_owner,
  leaseUntil: num(r.lease_until),
  createdAt: r.created_at.toISOString(),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
});

/** The columns of `Row`, in SQLite's order; `seq` stays inside. */
const COLUMNS = `job_id, video_id, file_id, api_key, status, progress, request, renditions, playable, protected,
  webhook_url, user_data, error_code, error_message, attempts, lease_owner, lease_until, created_at, started_at,
  finished_at, encoder_pid, output_duration, downloads, title`;

/** The lease owner's own transitions: only while it still holds the job. */
const OWNED = `job_id = $1 AND lease_owner = $2 AND status = 'processing'`;

/**
 * The encoding queue in PostgreSQL, for workers on several machines (issue 8): the same rows,
 * leases and transitions as the SQLite `JobsRepo`. A claim locks its row with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers each take a different job without waiting on one
 * another; every other transition is one statement guarded by the lease owner. Lease times are the
 * database's clock (epoch ms), so nodes whose clocks drift still agree on when a lease ran out.
 * Inserting or requeueing a job NOTIFYs `JOBS_CHANNEL` (delivered at commit) to wake a `JobWaker`.
 */
export class PgJobsRepository implements JobsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(job: NewJob): Promise<JobRow> {
    return inTransaction(this.pool, (client) => this.#insertWith(client, job));
  }

  async #insertWith(client: pg.PoolClient, job: NewJob): Promise<JobRow> {
    const { rows } = await client.query<Row>(
      `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, request, protected, webhook_url, user_data,
         created_at)
       VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, ${NOW}) RETURNING ${COLUMNS}`,
      [
        job.jobId,
        job.videoId,
        job.fileId,
        job.apiKey,
        JSON.stringify(job.request),
        job.request.protected === true,
        job.request.webhookUrl ?? null,
        job.request.userData ? JSON.stringify(job.request.userData) : null,
      ],
    );
    // Delivered at COMMIT, so a woken worker always finds the row.
    await client.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, job.jobId]);
    return toJob(rows[0]!);
  }

  async insertWithin(job: NewJob, maxActive: number): Promise<JobRow | null> {
    return inTransaction(this.pool, async (client) => {
      // Row locks cannot guard rows that do not exist yet: one advisory lock per key serialises the
      // count and the insert across API nodes, as uploads' reserve does.
      await lockFor(client, `jobs:${job.apiKey}`);
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM jobs WHERE api_key = $1 AND status IN ('queued', 'processing')`,
        [job.apiKey],
      );
      if (rows[0]!.n >= maxActive) return null;
      return this.#insertWith(client, job);
    });
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM jobs WHERE job_id = $1`, [jobId]);
    return rows[0] && toJob(rows[0]);
  }

  async getByVideo(videoId: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM jobs WHERE video_id = $1`, [videoId]);
    return rows[0] && toJob(rows[0]);
  }

  async list(apiKey: string, page: number, perPage: number): Promise<Page<JobRow>> {
    const [count, list] = await Promise.all([
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM jobs WHERE api_key = $1', [apiKey]),
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM jobs WHERE api_key = $1 ORDER BY created_at DESC, seq DESC LIMIT $2 OFFSET $3`,
        [apiKey, perPage, (page - 1) * perPage],
      ),
    ]);
    return { rows: list.rows.map(toJob), total: Number(count.rows[0]!.n) };
  }

  async listVideos(
    apiKey: string,
    filter: VideoFilter,
    page: number,
    perPage: number,
  ): Promise<Page<JobRow>> {
    // As SQLite's: the title shown is the video's own, else its file's title, else the uploaded name.
    const where = `j.api_key = $1 AND ($2::text IS NULL OR j.status = $2)
      AND ($3::text IS NULL OR coalesce(j.title, j.request->>'title', f.title, f.filename, '') ILIKE $3 ESCAPE '\\')`;
    const from = 'FROM jobs j LEFT JOIN files f ON f.file_id = j.file_id';
    const params = [apiKey, filter.status, likePattern(filter.q)];
    const columns = COLUMNS.split(',')
      .map((c) => `j.${c.trim()}`)
      .join(', ');
    const [count, list] = await Promise.all([
      this.pool.query<{ n: string }>(`SELECT count(*) AS n ${from} WHERE ${where}`, params),
      this.pool.query<Row>(
        `SELECT ${columns} ${from} WHERE ${where} ORDER BY j.created_at DESC, j.seq DESC LIMIT $4 OFFSET $5`,
        [...params, perPage, (page - 1) * perPage],
      ),
    ]);
    return { rows: list.rows.map(toJob), total: Number(count.rows[0]!.n) };
  }

  async setTitle(videoId: string, title: string | null): Promise<boolean> {
    const res = await this.pool.query('UPDATE jobs SET title = $2 WHERE video_id = $1', [videoId, title]);
    return res.rowCount === 1;
  }

  /**
   * SQLite's fair order (fewest processing first, then the key whose last job started longest ago,
   * a key that never ran first, then the oldest job), written so that SKIP LOCKED works with it:
   * SQLite ranks only each key's oldest queued job, but here a concurrent claimer that finds that
   * head locked must fall through to the key's next job, or it would see an empty queue while one
   * key still has hundreds. Ranking every queued job by its key's figures, then by age, puts the
   * same job first: within the winning key the oldest is its head. The key figures are a
   * MATERIALIZED CTE: inlined, they were computed again for every queued row (25 ms a claim with
   * 200 queued, against 1 ms).
   */
  async claimNext(owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `WITH keys AS MATERIALIZED (
         SELECT a.api_key,
           (SELECT count(*) FROM jobs p WHERE p.api_key = a.api_key AND p.status = 'processing') AS busy,
           (SELECT max(s.started_at) FROM jobs s WHERE s.api_key = a.api_key) AS last_start
         FROM (SELECT DISTINCT api_key FROM jobs WHERE status = 'queued') a)
       UPDATE jobs SET status = 'processing', lease_owner = $1, lease_until = ${NOW_MS} + $2,
         attempts = attempts + 1, started_at = ${NOW}, progress = 0, playable = false, renditions = '[]',
         error_code = NULL, error_message = NULL
       WHERE job_id = (
         SELECT q.job_id FROM jobs q JOIN keys k ON k.api_key = q.api_key
         WHERE q.status = 'queued'
         ORDER BY k.busy, k.last_start NULLS FIRST, q.created_at, q.seq
         LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
         AND status = 'queued'
       RETURNING ${COLUMNS}`,
      [owner, Math.round(leaseMs)],
    );
    return rows[0] && toJob(rows[0]);
  }

  async renewLease(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const res = await this.pool.query(`UPDATE jobs SET lease_until = ${NOW_MS} + $3 WHERE ${OWNED}`, [
      jobId,
      owner,
      Math.round(leaseMs),
    ]);
    return res.rowCount === 1;
  }

  /** Puts `processing` jobs whose lease ran out (their worker died) back in the queue, and wakes workers. */
  async requeueExpired(atMs?: number): Promise<JobRow[]> {
    const { rows } = await this.pool.query<Row>(
      `WITH requeued AS (
         UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = 0, playable = false
         WHERE status = 'processing' AND (lease_until IS NULL OR lease_until < coalesce($1, ${NOW_MS}))
         RETURNING seq, ${COLUMNS})
       SELECT ${COLUMNS}, pg_notify($2, job_id) AS woken FROM requeued ORDER BY seq`,
      [atMs ?? null, JOBS_CHANNEL],
    );
    return rows.map(toJob);
  }

  async listProcessing(): Promise<JobRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM jobs WHERE status = 'processing' ORDER BY seq`,
    );
    return rows.map(toJob);
  }

  /** Gives the job back to the queue and wakes a worker to take it. */
  async release(jobId: string, owner: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `WITH released AS (
         UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = 0, playable = false
         WHERE ${OWNED} RETURNING job_id)
       SELECT pg_notify($3, job_id) FROM released`,
      [jobId, owner, JOBS_CHANNEL],
    );
    return rows.length === 1;
  }

  async setEncoderPid(jobId: string, owner: string, pid: number | null): Promise<void> {
    await this.pool.query(`UPDATE jobs SET encoder_pid = $3 WHERE ${OWNED}`, [jobId, owner, pid]);
  }

  async setOutputDuration(jobId: string, owner: string, seconds: number): Promise<void> {
    await this.pool.query(`UPDATE jobs SET output_duration = $3 WHERE ${OWNED}`, [jobId, owner, seconds]);
  }

  async setDownloads(jobId: string, owner: string, downloads: Download[]): Promise<void> {
    await this.pool.query(`UPDATE jobs SET downloads = $3 WHERE ${OWNED}`, [
      jobId,
      owner,
      JSON.stringify(downloads),
    ]);
  }

  async updateProgress(jobId: string, owner: string, progress: number): Promise<void> {
    await this.pool.query(`UPDATE jobs SET progress = $3 WHERE ${OWNED}`, [jobId, owner, progress]);
  }

  async markPlayable(jobId: string, owner: string, renditions: Rendition[]): Promise<boolean> {
    const res = await this.pool.query(`UPDATE jobs SET playable = true, renditions = $3 WHERE ${OWNED}`, [
      jobId,
      owner,
      JSON.stringify(renditions),
    ]);
    return res.rowCount === 1;
  }

  async finish(
    jobId: string,
    owner: string,
    status: FinalStatus,
    error: { code: string; message: string } | null = null,
  ): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET status = $3, error_code = $4, error_message = $5, finished_at = ${NOW},
         progress = CASE WHEN $3 = 'completed' THEN 100 ELSE progress END, lease_owner = NULL, lease_until = NULL
       WHERE ${OWNED}`,
      [jobId, owner, status, error?.code ?? null, error?.message ?? null],
    );
    return res.rowCount === 1;
  }

  /** Its worker learns of it when its next lease renewal fails. */
  async cancel(jobId: string, message: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET status = 'cancelled', error_code = 'cancelled', error_message = $2, finished_at = ${NOW},
         lease_owner = NULL, lease_until = NULL
       WHERE job_id = $1 AND status IN ('queued', 'processing')`,
      [jobId, message],
    );
    return res.rowCount === 1;
  }

  async videoIdsForFile(fileId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ video_id: string }>(
      'SELECT video_id FROM jobs WHERE file_id = $1 ORDER BY seq',
      [fileId],
    );
    return rows.map((r) => r.video_id);
  }

  async activeCountForFile(fileId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM jobs WHERE file_id = $1 AND status IN ('queued', 'processing')",
      [fileId],
    );
    return Number(rows[0]!.n);
  }

  async activeIdsForKey(apiKey: string, beforeIso: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ job_id: string }>(
      `SELECT job_id FROM jobs WHERE api_key = $1 AND status IN ('queued', 'processing') AND created_at < $2
       ORDER BY seq`,
      [apiKey, beforeIso],
    );
    return rows.map((r) => r.job_id);
  }

  async countByStatus(): Promise<Partial<Record<JobStatus, number>>> {
    const { rows } = await this.pool.query<{ status: JobStatus; n: string }>(
      'SELECT status, count(*) AS n FROM jobs GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async activeCountForKey(apiKey: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM jobs WHERE api_key = $1 AND status IN ('queued', 'processing')",
      [apiKey],
    );
    return Number(rows[0]!.n);
  }

  async deleteForFile(fileId: string): Promise<void> {
    await this.pool.query('DELETE FROM jobs WHERE file_id = $1', [fileId]);
  }
}

/**
 * What a worker idles on: one LISTEN connection. `next()` resolves at the next NOTIFY of a job, or
 * after `timeoutMs` (a worker still claims on a timer, so a NOTIFY lost while reconnecting only
 * delays a job, never strands it).
 */
export class JobWaker {
  readonly #listener: PgListener;
  #waiters: (() => void)[] = [];

  constructor(connectionString: string, onError: (err: Error) => void = () => {}) {
    // After a reconnect, jobs queued meanwhile were announced to nobody: wake everyone to claim.
    this.#listener = new PgListener(connectionString, [JOBS_CHANNEL], () => this.#wakeAll(), {
      onError,
      onReconnect: () => this.#wakeAll(),
      applicationName: 'vodkit-worker-wake',
    });
  }

  #wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  ready(): Promise<void> {
    return this.#listener.ready();
  }

  next(timeoutMs: number): Promise<'notified' | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve('timeout');
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve('notified');
      };
      this.#waiters.push(wake);
    });
  }

  close(): Promise<void> {
    return this.#listener.close();
  }
}
