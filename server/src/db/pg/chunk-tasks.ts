import type pg from 'pg';
import {
  type ChunkKey,
  type ChunkTaskColumns,
  type ChunkTaskRow,
  JOB_LIVE,
  type NewChunkTask,
  toChunkTask,
} from '../chunk-tasks.ts';
import type { ChunkTasksRepository } from '../repositories.ts';
import { JOBS_CHANNEL } from './jobs.ts';
import { inTransaction, NOW, NOW_MS, num } from './sql.ts';

/** PostgreSQL returns the lease (bigint) as a string; the spec is jsonb. */
type Row = Omit<ChunkTaskColumns, 'lease_until'> & { lease_until: string | null };

const toTask = (r: Row): ChunkTaskRow => toChunkTask({ ...r, lease_until: num(r.lease_until) });

const COLUMNS =
  'job_id, attempt, idx, video_id, spec, status, tries, lease_owner, lease_until, done_by, error';
const KEY = 'job_id = $1 AND attempt = $2 AND idx = $3';

/**
 * Chunk tasks on PostgreSQL, as the SQLite `ChunkTasksRepo`, for workers on several machines: a claim
 * locks its row `FOR UPDATE SKIP LOCKED`; new and requeued tasks NOTIFY the jobs channel, so idle
 * workers (`JobWaker`) claim them at once. Lease times are the database's clock.
 */
export class PgChunkTasksRepository implements ChunkTasksRepository {
  constructor(private readonly pool: pg.Pool) {}

  async plan(
    jobId: string,
    attempt: number,
    owner: string,
    videoId: string,
    tasks: readonly NewChunkTask[],
    leaseMs: number,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const held = await client.query(
        `SELECT 1 FROM jobs WHERE job_id = $1 AND lease_owner = $2 AND status = 'processing' AND attempts = $3
         FOR UPDATE`,
        [jobId, owner, attempt],
      );
      if (held.rowCount !== 1) return false;
      await client.query('DELETE FROM chunk_tasks WHERE job_id = $1', [jobId]);
      for (const t of tasks) {
        await client.query(
          `INSERT INTO chunk_tasks (job_id, attempt, idx, video_id, spec, status, tries, lease_owner, lease_until,
             created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8::text IS NULL THEN NULL ELSE ${NOW_MS} + $9 END,
             ${NOW})`,
          [
            jobId,
            attempt,
            t.index,
            videoId,
            JSON.stringify(t.spec),
            t.ownerRuns ? 'processing' : 'queued',
            t.ownerRuns ? 1 : 0,
            t.ownerRuns ? owner : null,
            leaseMs,
          ],
        );
      }
      // Delivered at COMMIT: idle workers on every node come for the chunks.
      await client.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, jobId]);
      return true;
    });
  }

  async claim(
    worker: string,
    leaseMs: number,
    jobId: string | null = null,
  ): Promise<ChunkTaskRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE chunk_tasks SET status = 'processing', lease_owner = $1, lease_until = ${NOW_MS} + $2,
         tries = tries + 1
       WHERE seq = (
         SELECT seq FROM chunk_tasks
         WHERE status = 'queued' AND ($3::text IS NULL OR job_id = $3) AND ${JOB_LIVE}
         ORDER BY created_at, seq LIMIT 1
         FOR UPDATE SKIP LOCKED)
       AND status = 'queued'
       RETURNING ${COLUMNS}`,
      [worker, leaseMs, jobId],
    );
    return rows[0] && toTask(rows[0]);
  }

  async renew(key: ChunkKey, worker: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE chunk_tasks SET lease_until = ${NOW_MS} + $5
       WHERE ${KEY} AND lease_owner = $4 AND status = 'processing' AND ${JOB_LIVE}`,
      [key.jobId, key.attempt, key.index, worker, leaseMs],
    );
    return rowCount === 1;
  }

  async complete(key: ChunkKey, worker: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE chunk_tasks SET status = 'done', done_by = lease_owner, lease_owner = NULL, lease_until = NULL
       WHERE ${KEY} AND lease_owner = $4 AND status = 'processing'`,
      [key.jobId, key.attempt, key.index, worker],
    );
    return rowCount === 1;
  }

  async giveBack(key: ChunkKey, worker: string, error: string | null, maxTries: number): Promise<void> {
    await this.pool.query(
      `WITH back AS (
         UPDATE chunk_tasks SET
           status = CASE WHEN $5::text IS NOT NULL AND tries >= $6 THEN 'failed' ELSE 'queued' END,
           tries = CASE WHEN $5::text IS NULL THEN greatest(tries - 1, 0) ELSE tries END,
           error = coalesce($5, error), lease_owner = NULL, lease_until = NULL
         WHERE ${KEY} AND lease_owner = $4 AND status = 'processing'
         RETURNING job_id, status)
       SELECT pg_notify($7, job_id) FROM back WHERE status = 'queued'`,
      [key.jobId, key.attempt, key.index, worker, error, maxTries, JOBS_CHANNEL],
    );
  }

  async requeueExpired(maxTries: number, atMs?: number): Promise<ChunkTaskRow[]> {
    const { rows } = await this.pool.query<Row>(
      `WITH back AS (
         UPDATE chunk_tasks SET
           status = CASE WHEN tries >= $1 THEN 'failed' ELSE 'queued' END,
           error = CASE WHEN tries >= $1 THEN 'its worker stopped answering ' || tries || ' times' ELSE error END,
           lease_owner = NULL, lease_until = NULL
         WHERE status = 'processing' AND lease_until < coalesce($2, ${NOW_MS})
         RETURNING ${COLUMNS})
       SELECT ${COLUMNS}, pg_notify($3, job_id) AS woken FROM back ORDER BY job_id, idx`,
      [maxTries, atMs ?? null, JOBS_CHANNEL],
    );
    return rows.map(toTask);
  }

  async list(jobId: string, attempt: number): Promise<ChunkTaskRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM chunk_tasks WHERE job_id = $1 AND attempt = $2 ORDER BY idx`,
      [jobId, attempt],
    );
    return rows.map(toTask);
  }
}
