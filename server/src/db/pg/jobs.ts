import type { CreateJobRequest, JobStatus, Rendition } from '@vodkit/api';
import type pg from 'pg';
import type { FinalStatus, JobRow, NewJob } from '../jobs.ts';
import { PgListener } from './listen.ts';

/** Workers LISTEN here; a new or requeued job NOTIFYs it, so nobody polls the table in a tight loop. */
export const JOBS_CHANNEL = 'vodkit_jobs';

interface Row {
  job_id: string;
  video_id: string;
  file_id: string;
  api_key: string;
  status: JobStatus;
  progress: number;
  request: CreateJobRequest;
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
  downloads: JobRow['downloads'];
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
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until === null ? null : Number(r.lease_until),
  createdAt: r.created_at.toISOString(),
  startedAt: r.started_at?.toISOString() ?? null,
  finishedAt: r.finished_at?.toISOString() ?? null,
  encoderPid: r.encoder_pid,
  outputDuration: r.output_duration,
  downloads: r.downloads ?? [],
});

/**
 * The encoding queue in PostgreSQL, for workers on several machines (issue 8): the same rows,
 * leases and transitions as the SQLite `JobsRepo`, async. A claim locks the oldest queued row with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers each take a different job without waiting on one
 * another; every other transition is one statement guarded by the lease owner.
 */
export class PgJobsQueue {
  constructor(private readonly pool: pg.Pool) {}

  async insert(job: NewJob): Promise<JobRow> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(
        `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, request, protected, webhook_url, user_data,
           created_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, now()) RETURNING *`,
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
      await client.query('COMMIT');
      return toJob(rows[0]!);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM jobs WHERE job_id = $1', [jobId]);
    return rows[0] && toJob(rows[0]);
  }

  /** Takes the oldest queued job for `owner` until `leaseMs` from now; it starts from scratch. */
  async claimNext(owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE jobs SET status = 'processing', lease_owner = $1, lease_until = $2, attempts = attempts + 1,
         started_at = now(), progress = 0, playable = false, renditions = '[]', error_code = NULL,
         error_message = NULL
       WHERE job_id = (SELECT job_id FROM jobs WHERE status = 'queued' ORDER BY created_at, seq
                       LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [owner, Date.now() + leaseMs],
    );
    return rows[0] && toJob(rows[0]);
  }

  /** Extends the lease; false when the job is no longer ours (cancelled, or requeued after we stalled). */
  async renewLease(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET lease_until = $1 WHERE job_id = $2 AND lease_owner = $3 AND status = 'processing'`,
      [Date.now() + leaseMs, jobId, owner],
    );
    return res.rowCount === 1;
  }

  /** Puts `processing` jobs whose lease ran out (their worker died) back in the queue, and wakes workers. */
  async requeueExpired(atMs: number = Date.now()): Promise<JobRow[]> {
    const { rows } = await this.pool.query<Row>(
      `WITH requeued AS (
         UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = 0, playable = false
         WHERE status = 'processing' AND (lease_until IS NULL OR lease_until < $1)
         RETURNING *)
       SELECT requeued.*, pg_notify($2, requeued.job_id) FROM requeued`,
      [atMs, JOBS_CHANNEL],
    );
    return rows.map(toJob);
  }

  async updateProgress(jobId: string, owner: string, progress: number): Promise<void> {
    await this.pool.query(
      `UPDATE jobs SET progress = $1 WHERE job_id = $2 AND lease_owner = $3 AND status = 'processing'`,
      [progress, jobId, owner],
    );
  }

  /** Ends a job we are running; false when it had already left `processing` under us. */
  async finish(
    jobId: string,
    owner: string,
    status: FinalStatus,
    error: { code: string; message: string } | null = null,
  ): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET status = $1, error_code = $2, error_message = $3, finished_at = now(),
         progress = CASE WHEN $1 = 'completed' THEN 100 ELSE progress END, lease_owner = NULL, lease_until = NULL
       WHERE job_id = $4 AND lease_owner = $5 AND status = 'processing'`,
      [status, error?.code ?? null, error?.message ?? null, jobId, owner],
    );
    return res.rowCount === 1;
  }

  /** Cancels a job that has not ended, whoever runs it; its worker learns it when its lease renewal fails. */
  async cancel(jobId: string, message: string): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE jobs SET status = 'cancelled', error_code = 'cancelled', error_message = $1, finished_at = now(),
         lease_owner = NULL, lease_until = NULL
       WHERE job_id = $2 AND status IN ('queued', 'processing')`,
      [message, jobId],
    );
    return res.rowCount === 1;
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
