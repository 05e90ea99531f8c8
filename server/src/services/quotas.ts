import type { Config } from '../config.ts';
import type { FilesRepo } from '../db/files.ts';
import type { JobsRepo } from '../db/jobs.ts';
import type { OpenUploadsRepo } from '../db/uploads.ts';
import { ApiError } from '../errors.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';

export interface QuotaDeps {
  config: Config;
  jobs: JobsRepo;
  files: FilesRepo;
  openUploads: OpenUploadsRepo;
  /** Where tus keeps uploads (storage/uploads-store.ts): reconcile asks it which are still there. */
  uploads: UploadsStore;
}

/**
 * Per-key limits (issue 5, defect 7): queued + processing jobs, and unfinished uploads by count
 * and by the bytes they declared. Each check is synchronous and runs in the same tick as the
 * insert it guards, so concurrent requests cannot both squeeze under a limit.
 */
export class QuotaService {
  constructor(private readonly deps: QuotaDeps) {}

  /** Throws 429 `too_many_jobs` when the key has as many active jobs as it may. */
  checkNewJob(apiKey: string): void {
    const limit = this.deps.config.maxActiveJobsPerKey;
    if (this.deps.jobs.activeCountForKey(apiKey) >= limit) {
      throw new ApiError(
        'too_many_jobs',
        `this API key has ${limit} jobs queued or processing: wait for one to end (VOD_MAX_ACTIVE_JOBS_PER_KEY)`,
      );
    }
  }

  /**
   * Reserves an upload for the key or throws 429 `too_many_uploads`. A deferred length reserves
   * the largest upload allowed, since nothing yet bounds it.
   */
  reserveUpload(fileId: string, apiKey: string, declaredSize: number | null): void {
    const { config, openUploads } = this.deps;
    const size = declaredSize ?? config.maxUploadBytes;
    if (
      openUploads.reserve(fileId, apiKey, size, config.maxOpenUploadsPerKey, config.maxOpenUploadBytesPerKey)
    )
      return;
    const usage = openUploads.usage(apiKey);
    throw new ApiError(
      'too_many_uploads',
      usage.count >= config.maxOpenUploadsPerKey
        ? `this API key has ${usage.count} unfinished uploads: finish or terminate one first (VOD_MAX_OPEN_UPLOADS_PER_KEY)`
        : `this API key's unfinished uploads reserve ${usage.bytes} bytes; ${size} more would pass ${config.maxOpenUploadBytesPerKey} (VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY)`,
      { count: usage.count, bytes: usage.bytes },
    );
  }

  /** The upload finished, was terminated, expired, or tus never created it. */
  releaseUpload(fileId: string): void {
    this.deps.openUploads.release(fileId);
  }

  /** At boot: reservations whose upload finished (a file record) or is gone from the store. */
  async reconcile(): Promise<number> {
    let released = 0;
    for (const fileId of this.deps.openUploads.ids()) {
      if (this.deps.files.has(fileId) || !(await this.deps.uploads.info(fileId))) {
        this.deps.openUploads.release(fileId);
        released++;
      }
    }
    return released;
  }
}
