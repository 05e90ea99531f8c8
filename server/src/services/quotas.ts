import type { Config } from '../config.ts';
import type { FilesRepository, JobsRepository, OpenUploadsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';

export interface QuotaDeps {
  config: Config;
  jobs: JobsRepository;
  files: FilesRepository;
  openUploads: OpenUploadsRepository;
  /** Where tus keeps uploads (storage/uploads-store.ts): reconcile asks it which are still there. */
  uploads: UploadsStore;
}

/**
 * Per-key limits (issue 5, defect 7): queued + processing jobs, and unfinished uploads by count
 * and by the bytes they declared. The upload reservation is one transaction (check and insert), so
 * concurrent uploads cannot both squeeze under a limit. The job count is read before the insert: on
 * SQLite only microtasks separate them (no other request runs in between); on PostgreSQL requests
 * racing each other (or other API nodes) may pass the job limit by as many as race.
 */
/** 429 for a key at its active-job limit (the early check here, the atomic one at the insert). */
export function tooManyJobs(limit: number): ApiError {
  return new ApiError(
    'too_many_jobs',
    `this API key has ${limit} jobs queued or processing: wait for one to end (VOD_MAX_ACTIVE_JOBS_PER_KEY)`,
  );
}

export class QuotaService {
  constructor(private readonly deps: QuotaDeps) {}

  /** Throws 429 `too_many_jobs` when the key has as many active jobs as it may. */
  async checkNewJob(apiKey: string): Promise<void> {
    const limit = this.deps.config.maxActiveJobsPerKey;
    if ((await this.deps.jobs.activeCountForKey(apiKey)) >= limit) throw tooManyJobs(limit);
  }

  /**
   * Reserves an upload for the key or throws 429 `too_many_uploads`. A deferred length reserves
   * the largest upload allowed, since nothing yet bounds it.
   */
  async reserveUpload(fileId: string, apiKey: string, declaredSize: number | null): Promise<void> {
    const { config, openUploads } = this.deps;
    const size = declaredSize ?? config.maxUploadBytes;
    if (
      await openUploads.reserve(
        fileId,
        apiKey,
        size,
        config.maxOpenUploadsPerKey,
        config.maxOpenUploadBytesPerKey,
      )
    )
      return;
    const usage = await openUploads.usage(apiKey);
    throw new ApiError(
      'too_many_uploads',
      usage.count >= config.maxOpenUploadsPerKey
        ? `this API key has ${usage.count} unfinished uploads: finish or terminate one first (VOD_MAX_OPEN_UPLOADS_PER_KEY)`
        : `this API key's unfinished uploads reserve ${usage.bytes} bytes; ${size} more would pass ${config.maxOpenUploadBytesPerKey} (VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY)`,
      { count: usage.count, bytes: usage.bytes },
    );
  }

  /** The upload finished, was terminated, expired, or tus never created it. */
  async releaseUpload(fileId: string): Promise<void> {
    await this.deps.openUploads.release(fileId);
  }

  /**
   * At boot: reservations whose upload finished (a file record) or is gone from the store; a link
   * ingest's stays while its file is `downloading`.
   */
  async reconcile(): Promise<number> {
    let released = 0;
    for (const fileId of await this.deps.openUploads.ids()) {
      const file = await this.deps.files.get(fileId);
      // A link ingest holds its reservation while it downloads (on this node or another).
      if (file?.status === 'downloading') continue;
      if (file || !(await this.deps.uploads.info(fileId))) {
        await this.deps.openUploads.release(fileId);
        released++;
      }
    }
    return released;
  }
}
