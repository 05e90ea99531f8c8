import type { CreateJobRequest, Download, JobStatus, Rendition, SourceRange } from '@vodkit/api';
import type { Db } from './database.ts';
import { now } from './database.ts';
import type { JobsRepository, VideoFilter } from './repositories.ts';

/** `%q%` for LIKE with `\` escaping the pattern characters the user typed; null stays null. */
export function likePattern(q: string | null): string | null {
  return q === null ? null : `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A job's request as stored: what `POST /v1/encoder/jobs` took, and what a clip adds (the span of the
 * source it is cut from, its own title). Stored as JSON: new fields need no migration.
 */
export interface JobRequest extends CreateJobRequest {
  sourceRange?: SourceRange;
  title?: string;
}

/** A job as stored, with what the API never shows (owner, lease, attempts). */
export interface JobRow {
  jobId: string;
  videoId: string;
  fileId: string;
  apiKey: string;
  status: JobStatus;
  progress: number;
  request: JobRequest;
  renditions: Rendition[];
  playable: boolean;
  protected: boolean;
  webhookUrl: string | null;
  userData: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  attempts: number;
  /** The ffmpeg of the current attempt, while it runs. */
  encoderPid: number | null;
  /** Seconds really in the output, once completed. */
  outputDuration: number | null;
  /** MP4 downloads, once completed (`url` relative to the video folder). */
  downloads: Download[];
  /** The video's own title (edited, or a clip's); null: its file's. */
  title: string | null;
  leaseOwner: string | null;
  /** Epoch milliseconds. */
  leaseUntil: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Row {
  job_id: string;
  video_id: string;
  file_id: string;
  api_key: string;
  status: JobStatus;
  progress: number;
  request: string;
  renditions: string;
  playable: number;
  protected: number;
  webhook_url: string | null;
  user_data: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  encoder_pid: number | null;
  output_duration: number | null;
  downloads?: string;
  title?: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const toJob = (r: Row): JobRow => ({
  jobId: r.job_id,
  videoId: r.video_id,
  fileId: r.file_id,
  apiKey: r.api_key,
  status: r.status,
  progress: r.progress,
  request: JSON.parse(r.request) as JobRequest,
  renditions: JSON.parse(r.renditions) as Rendition[],
  playable: r.playable === 1,
  protected: r.protected === 1,
  webhookUrl: r.webhook_url,
  userData: r.user_data ? (JSON.parse(r.user_data) as Record<string, unknown>) : null,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  attempts: r.attempts,
  encoderPid: r.encoder_pid ?? null,
  outputDuration: r.output_duration ?? null,
  downloads: r.downloads ? (JSON.parse(r.downloads) as Download[]) : [],
  title: r.title ?? null,
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export interface NewJob {
  jobId: string;
  videoId: string;
  fileId: string;
  apiKey: string;
  request: JobRequest;
}

/** The values of a new job's row, in the column order both inserts use. */
const insertValues = (job: NewJob) => [
  job.jobId,
  job.videoId,
  job.fileId,
  job.apiKey,
  JSON.stringify(job.request),
  job.request.protected ? 1 : 0,
  job.request.webhookUrl ?? null,
  job.request.userData ? JSON.stringify(job.request.userData) : null,
  now(),
];

export type FinalStatus = 'completed' | 'failed' | 'cancelled';

/**
 * The encoding queue lives here: a job is claimed with a lease (owner + expiry) that its worker
 * renews while ffmpeg runs; a lease that runs out means the worker died, and the job goes back
 * to the queue. Every transition is one statement, so two workers can never claim the same job.
 */
export class JobsRepo implements JobsRepository {
  constructor(private readonly db: Db) {}

  async insert(job: NewJob): Promise<JobRow> {
    const row = this.db
      .prepare(
        `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, request, protected, webhook_url, user_data,
           created_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(...insertValues(job)) as Row;
    return toJob(row);
  }

  async insertWithin(job: NewJob, maxActive: number): Promise<JobRow | null> {
    // One statement: SQLite runs it alone, so no other insert lands between the count and the row.
    const row = this.db
      .prepare(
        `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, request, protected, webhook_url, user_data,
           created_at)
         SELECT ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?
         WHERE (SELECT count(*) FROM jobs WHERE api_key = ? AND status IN ('queued', 'processing')) < ?
         RETURNING *`,
      )
      .get(...insertValues(job), job.apiKey, maxActive) as Row | undefined;
    return row ? toJob(row) : null;
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as Row | undefined;
    return row && toJob(row);
  }

  async getByVideo(videoId: string): Promise<JobRow | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE video_id = ?').get(videoId) as Row | undefined;
    return row && toJob(row);
  }

  /** Newest first. */
  async list(apiKey: string, page: number, perPage: number): Promise<{ rows: JobRow[]; total: number }> {
    const total = (
      this.db.prepare('SELECT count(*) AS n FROM jobs WHERE api_key = ?').get(apiKey) as { n: number }
    ).n;
    const rows = (
      this.db
        .prepare('SELECT * FROM jobs WHERE api_key = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?')
        .all(apiKey, perPage, (page - 1) * perPage) as Row[]
    ).map(toJob);
    return { rows, total };
  }

  async listVideos(
    apiKey: string,
    filter: VideoFilter,
    page: number,
    perPage: number,
  ): Promise<{ rows: JobRow[]; total: number }> {
    // The title shown is the video's own, else its file's title, else the uploaded name.
    const where = `j.api_key = @apiKey
      AND (@status IS NULL OR j.status = @status)
      AND (@q IS NULL OR coalesce(j.title, json_extract(j.request, '$.title'), f.title, f.filename, '') LIKE @q ESCAPE '\\')`;
    const from = 'FROM jobs j LEFT JOIN files f ON f.file_id = j.file_id';
    const params = { apiKey, status: filter.status, q: likePattern(filter.q) };
    const total = (
      this.db.prepare(`SELECT count(*) AS n ${from} WHERE ${where}`).get(params) as { n: number }
    ).n;
    const rows = (
      this.db
        .prepare(
          `SELECT j.* ${from} WHERE ${where} ORDER BY j.created_at DESC, j.rowid DESC LIMIT @limit OFFSET @offset`,
        )
        .all({ ...params, limit: perPage, offset: (page - 1) * perPage }) as Row[]
    ).map(toJob);
    return { rows, total };
  }

  async setTitle(videoId: string, title: string | null): Promise<boolean> {
    return this.db.prepare('UPDATE jobs SET title = ? WHERE video_id = ?').run(title, videoId).changes === 1;
  }

  /**
   * Takes the next queued job for `owner` until `leaseMs` from now, in one statement. The job
   * starts from scratch: progress, renditions and `playable` are reset.
   *
   * Fair across API keys: only each key's oldest queued job is a candidate, and keys take turns —
   * fewest jobs processing first, then the key whose last job started longest ago (a key that
   * never ran comes first), then the oldest job. 300 jobs queued by one key do not hold back
   * another key's one job for more than one turn.
   */
  async claimNext(owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const row = this.db
      .prepare(
        `UPDATE jobs SET status = 'processing', lease_owner = ?, lease_until = ?, attempts = attempts + 1,
           started_at = ?, progress = 0, playable = 0, renditions = '[]', error_code = NULL, error_message = NULL
         WHERE job_id = (
           SELECT q.job_id FROM jobs q
           WHERE q.status = 'queued'
             AND NOT EXISTS (
               SELECT 1 FROM jobs e WHERE e.api_key = q.api_key AND e.status = 'queued'
                 AND (e.created_at < q.created_at OR (e.created_at = q.created_at AND e.rowid < q.rowid)))
           ORDER BY
             (SELECT count(*) FROM jobs p WHERE p.api_key = q.api_key AND p.status = 'processing'),
             (SELECT max(s.started_at) FROM jobs s WHERE s.api_key = q.api_key),
             q.created_at, q.rowid
           LIMIT 1)
           AND status = 'queued'
         RETURNING *`,
      )
      .get(owner, Date.now() + leaseMs, now()) as Row | undefined;
    return row && toJob(row);
  }

  /** Extends the lease; false when the job is no longer ours (cancelled, or requeued after we stalled). */
  async renewLease(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET lease_until = ? WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
        )
        .run(Date.now() + leaseMs, jobId, owner).changes === 1
    );
  }

  /** Puts `processing` jobs whose lease ran out (their worker died) back in the queue; returns them. */
  async requeueExpired(atMs: number = Date.now()): Promise<JobRow[]> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = 0, playable = 0
           WHERE status = 'processing' AND (lease_until IS NULL OR lease_until < ?)
           RETURNING *`,
        )
        .all(atMs) as Row[]
    ).map(toJob);
  }

  /** Jobs some worker holds right now, with their lease owners. */
  async listProcessing(): Promise<JobRow[]> {
    return (this.db.prepare("SELECT * FROM jobs WHERE status = 'processing'").all() as Row[]).map(toJob);
  }

  /** Gives a job held by `owner` back to the queue (shutting down, or that owner's process is gone). */
  async release(jobId: string, owner: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, progress = 0, playable = 0
           WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
        )
        .run(jobId, owner).changes === 1
    );
  }

  /** Records the encoder's pid with the lease, so a restarted server can kill an orphan before requeueing. */
  async setEncoderPid(jobId: string, owner: string, pid: number | null): Promise<void> {
    this.db
      .prepare(
        `UPDATE jobs SET encoder_pid = ? WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
      )
      .run(pid, jobId, owner);
  }

  /** The duration the encode really produced (reported instead of the probed one). */
  async setOutputDuration(jobId: string, owner: string, seconds: number): Promise<void> {
    this.db
      .prepare(
        `UPDATE jobs SET output_duration = ? WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
      )
      .run(seconds, jobId, owner);
  }

  async setDownloads(jobId: string, owner: string, downloads: Download[]): Promise<void> {
    this.db
      .prepare(`UPDATE jobs SET downloads = ? WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`)
      .run(JSON.stringify(downloads), jobId, owner);
  }

  async updateProgress(jobId: string, owner: string, progress: number): Promise<void> {
    this.db
      .prepare(`UPDATE jobs SET progress = ? WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`)
      .run(progress, jobId, owner);
  }

  /** The master playlist and a first segment of every rendition are on disk. */
  async markPlayable(jobId: string, owner: string, renditions: Rendition[]): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET playable = 1, renditions = ?
           WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
        )
        .run(JSON.stringify(renditions), jobId, owner).changes === 1
    );
  }

  /**
   * Ends a job we are running. False when it had already left `processing` under us (cancelled),
   * in which case nothing changes.
   */
  async finish(
    jobId: string,
    owner: string,
    status: FinalStatus,
    error: { code: string; message: string } | null = null,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = ?, error_code = ?, error_message = ?, finished_at = ?,
             progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END, lease_owner = NULL, lease_until = NULL
           WHERE job_id = ? AND lease_owner = ? AND status = 'processing'`,
        )
        .run(status, error?.code ?? null, error?.message ?? null, now(), status, jobId, owner).changes === 1
    );
  }

  /** Cancels a job that has not ended, whoever runs it; false when it already ended. */
  async cancel(jobId: string, message: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE jobs SET status = 'cancelled', error_code = 'cancelled', error_message = ?, finished_at = ?,
             lease_owner = NULL, lease_until = NULL
           WHERE job_id = ? AND status IN ('queued', 'processing')`,
        )
        .run(message, now(), jobId).changes === 1
    );
  }

  /** Every video made from this file (any status): their output folders go when the file goes. */
  async videoIdsForFile(fileId: string): Promise<string[]> {
    return (
      this.db.prepare('SELECT video_id FROM jobs WHERE file_id = ?').all(fileId) as { video_id: string }[]
    ).map((r) => r.video_id);
  }

  /** Jobs still queued or running on this file: deleting it now would pull the source from under ffmpeg. */
  async activeCountForFile(fileId: string): Promise<number> {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM jobs WHERE file_id = ? AND status IN ('queued', 'processing')")
        .get(fileId) as { n: number }
    ).n;
  }

  /** A key's queued and processing jobs created before `beforeIso` (the demo sandbox sweep). */
  async activeIdsForKey(apiKey: string, beforeIso: string): Promise<string[]> {
    return (
      this.db
        .prepare(
          "SELECT job_id FROM jobs WHERE api_key = ? AND status IN ('queued', 'processing') AND created_at < ?",
        )
        .all(apiKey, beforeIso) as { job_id: string }[]
    ).map((r) => r.job_id);
  }

  /** Queued + processing jobs of one key (the per-key job quota). */
  async activeCountForKey(apiKey: string): Promise<number> {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM jobs WHERE api_key = ? AND status IN ('queued', 'processing')")
        .get(apiKey) as { n: number }
    ).n;
  }

  async deleteForFile(fileId: string): Promise<void> {
    this.db.prepare('DELETE FROM jobs WHERE file_id = ?').run(fileId);
  }

  async countByStatus(): Promise<Partial<Record<JobStatus, number>>> {
    const rows = this.db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status').all() as {
      status: JobStatus;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
