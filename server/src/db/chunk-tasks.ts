import type { Db } from './database.ts';
import { now } from './database.ts';
import type { ChunkTasksRepository } from './repositories.ts';

/*
 * Chunked encoding's tasks (issue 17 #2): one row per chunk of one attempt of a job. The job's owner
 * (the worker that planned it) inserts them; any worker claims one with a lease of its own, renews
 * it while its ffmpeg runs, and marks it done once the chunk is in shared storage. A task whose lease
 * runs out (its worker died) goes back to the queue alone: the other chunks are not redone. Tasks
 * are claimable only while their job is `processing` on the same attempt, so a cancelled, failed or
 * restarted job's chunks are nobody's.
 */

export type ChunkTaskStatus = 'queued' | 'processing' | 'done' | 'failed';

/** Which chunk: a job's attempt and the chunk's index. */
export interface ChunkKey {
  jobId: string;
  attempt: number;
  index: number;
}

export interface ChunkTaskRow extends ChunkKey {
  videoId: string;
  /** What encodes it (services/chunk-tasks.ts `ChunkSpec`), as the owner planned it. */
  spec: unknown;
  status: ChunkTaskStatus;
  /** Claims so far (a claim that died counts; a shutdown hands its try back). */
  tries: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** The worker that encoded it, once done. */
  doneBy: string | null;
  error: string | null;
}

export interface NewChunkTask {
  index: number;
  spec: unknown;
  /** Held by the owner from the start (the first chunk: it is the start group). */
  ownerRuns: boolean;
}

/** A task's columns once each engine has decoded its own types (the spec's JSON, the lease's bigint). */
export interface ChunkTaskColumns {
  job_id: string;
  attempt: number;
  idx: number;
  video_id: string;
  spec: unknown;
  status: ChunkTaskStatus;
  tries: number;
  lease_owner: string | null;
  lease_until: number | null;
  done_by: string | null;
  error: string | null;
}

export const toChunkTask = (r: ChunkTaskColumns): ChunkTaskRow => ({
  jobId: r.job_id,
  attempt: r.attempt,
  index: r.idx,
  videoId: r.video_id,
  spec: r.spec,
  status: r.status,
  tries: r.tries,
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
  doneBy: r.done_by,
  error: r.error,
});

/** SQLite stores the spec as JSON text. */
type Row = Omit<ChunkTaskColumns, 'spec'> & { spec: string };

const toTask = (r: Row): ChunkTaskRow => toChunkTask({ ...r, spec: JSON.parse(r.spec) as unknown });

/**
 * The task's job still runs this attempt (what makes a task claimable and renewable); the same SQL on
 * SQLite and PostgreSQL.
 */
export const JOB_LIVE = `EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = chunk_tasks.job_id
  AND j.status = 'processing' AND j.attempts = chunk_tasks.attempt)`;
const KEY = 'job_id = ? AND attempt = ? AND idx = ?';

export class ChunkTasksRepo implements ChunkTasksRepository {
  constructor(private readonly db: Db) {}

  async plan(
    jobId: string,
    attempt: number,
    owner: string,
    videoId: string,
    tasks: readonly NewChunkTask[],
    leaseMs: number,
  ): Promise<boolean> {
    const insert = this.db.prepare(
      `INSERT INTO chunk_tasks (job_id, attempt, idx, video_id, spec, status, tries, lease_owner, lease_until,
         created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction(() => {
      const held = this.db
        .prepare(
          "SELECT 1 FROM jobs WHERE job_id = ? AND lease_owner = ? AND status = 'processing' AND attempts = ?",
        )
        .get(jobId, owner, attempt);
      if (!held) return false;
      // Earlier attempts' chunks were encoded for a plan that may differ: nobody's now.
      this.db.prepare('DELETE FROM chunk_tasks WHERE job_id = ?').run(jobId);
      const at = now();
      const until = Date.now() + leaseMs;
      for (const t of tasks) {
        insert.run(
          jobId,
          attempt,
          t.index,
          videoId,
          JSON.stringify(t.spec),
          t.ownerRuns ? 'processing' : 'queued',
          t.ownerRuns ? 1 : 0,
          t.ownerRuns ? owner : null,
          t.ownerRuns ? until : null,
          at,
        );
      }
      return true;
    })();
  }

  async claim(
    worker: string,
    leaseMs: number,
    jobId: string | null = null,
  ): Promise<ChunkTaskRow | undefined> {
    const row = this.db
      .prepare(
        `UPDATE chunk_tasks SET status = 'processing', lease_owner = ?, lease_until = ?, tries = tries + 1
         WHERE rowid = (
           SELECT rowid FROM chunk_tasks
           WHERE status = 'queued' AND (? IS NULL OR job_id = ?) AND ${JOB_LIVE}
           ORDER BY created_at, job_id, idx LIMIT 1)
         RETURNING *`,
      )
      .get(worker, Date.now() + leaseMs, jobId, jobId) as Row | undefined;
    return row && toTask(row);
  }

  async renew(key: ChunkKey, worker: string, leaseMs: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE chunk_tasks SET lease_until = ?
           WHERE ${KEY} AND lease_owner = ? AND status = 'processing' AND ${JOB_LIVE}`,
        )
        .run(Date.now() + leaseMs, key.jobId, key.attempt, key.index, worker).changes === 1
    );
  }

  async complete(key: ChunkKey, worker: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE chunk_tasks SET status = 'done', done_by = lease_owner, lease_owner = NULL, lease_until = NULL
           WHERE ${KEY} AND lease_owner = ? AND status = 'processing'`,
        )
        .run(key.jobId, key.attempt, key.index, worker).changes === 1
    );
  }

  async giveBack(key: ChunkKey, worker: string, error: string | null, maxTries: number): Promise<void> {
    // A shutdown is not the chunk's fault: its try is handed back. A failure counts, up to maxTries.
    this.db
      .prepare(
        `UPDATE chunk_tasks SET
           status = CASE WHEN ? IS NOT NULL AND tries >= ? THEN 'failed' ELSE 'queued' END,
           tries = CASE WHEN ? IS NULL THEN max(tries - 1, 0) ELSE tries END,
           error = coalesce(?, error), lease_owner = NULL, lease_until = NULL
         WHERE ${KEY} AND lease_owner = ? AND status = 'processing'`,
      )
      .run(error, maxTries, error, error, key.jobId, key.attempt, key.index, worker);
  }

  async requeueExpired(maxTries: number, atMs: number = Date.now()): Promise<ChunkTaskRow[]> {
    return (
      this.db
        .prepare(
          `UPDATE chunk_tasks SET
             status = CASE WHEN tries >= ? THEN 'failed' ELSE 'queued' END,
             error = CASE WHEN tries >= ? THEN 'its worker stopped answering ' || tries || ' times' ELSE error END,
             lease_owner = NULL, lease_until = NULL
           WHERE status = 'processing' AND lease_until < ?
           RETURNING *`,
        )
        .all(maxTries, maxTries, atMs) as Row[]
    ).map(toTask);
  }

  async list(jobId: string, attempt: number): Promise<ChunkTaskRow[]> {
    return (
      this.db
        .prepare('SELECT * FROM chunk_tasks WHERE job_id = ? AND attempt = ? ORDER BY idx')
        .all(jobId, attempt) as Row[]
    ).map(toTask);
  }
}
