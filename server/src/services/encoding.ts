import type { CreateJobRequest, EncoderJob, Page, VideoPictures } from '@vodkit/api';
import type { JobRequest } from '../db/jobs.ts';
import type { JobRow } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId, newId } from '../ids.ts';
import { LocalOutputs, type VideoOutputs } from '../storage/outputs.ts';
import type { Principal } from './auth.ts';
import { DEFAULT_TIMINGS, EncodingWorker, type QueueTimings } from './encoding-worker.ts';
import { checkJobMedia } from './job-media.ts';
import { parseTimestamp, validateRequest } from './job-request.ts';
import type { RunDeps } from './job-run.ts';
import { tooManyJobs } from './quotas.ts';
import { downloadUrls, playbackUrls } from './videos.ts';

export type { QueueTimings } from './encoding-worker.ts';

export interface EncodingServiceDeps extends Omit<RunDeps, 'outputs' | 'timings'> {
  /** Queue timings; the defaults suit production, tests shorten them. */
  timings?: Partial<QueueTimings>;
  /** Where outputs go (storage/outputs.ts); default the video folders of `storage`. */
  outputs?: VideoOutputs;
  /**
   * Wakes idle workers when another process queued a job (PostgreSQL LISTEN/NOTIFY: `JobWaker`);
   * jobs queued by this process wake them in-process. Without one, an idle worker looks every `pollMs`.
   */
  waker?: { next(timeoutMs: number): Promise<unknown> };
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * The encoding jobs as the API sees them: create (validated, within the key's quota), read, list,
 * cancel. The queue's other side, which claims and runs jobs, is `EncodingWorker`
 * (services/encoding-worker.ts): this process's workers, started and stopped from here. Knows
 * nothing of HTTP.
 */
export class EncodingService {
  readonly #outputs: VideoOutputs;
  readonly #worker: EncodingWorker;

  constructor(readonly deps: EncodingServiceDeps) {
    this.#outputs = deps.outputs ?? new LocalOutputs(deps.storage);
    this.#worker = new EncodingWorker({
      ...deps,
      outputs: this.#outputs,
      timings: { ...DEFAULT_TIMINGS, ...deps.timings },
    });
  }

  /** `clip`: what a clip adds to the request (services/clips.ts), checked by its caller. */
  async create(
    principal: Principal,
    body: CreateJobRequest,
    clip?: Pick<JobRequest, 'sourceRange' | 'title'>,
  ): Promise<EncoderJob> {
    const request: JobRequest = { ...validateRequest(body), ...clip };
    const file = isValidId(request.fileId) ? await this.deps.files.get(request.fileId) : undefined;
    if (!file || file.apiKey !== principal.apiKey) {
      throw new ApiError('not_found', `no file ${request.fileId}`);
    }
    if (file.status === 'probing') {
      throw new ApiError('file_not_ready', 'the file is still being probed: retry in a moment');
    }
    if (file.status === 'rejected' || !file.metadata) {
      const reason = file.reason ?? { code: 'probe_failed', message: 'the file was rejected' };
      throw new ApiError('file_rejected', `the file was rejected: ${reason.message}`, reason);
    }
    await checkJobMedia(this.deps.files, principal.apiKey, request, file.metadata);
    if (request.presets?.some((p) => p.format === 'mp4') && !file.metadata.video) {
      throw new ApiError('validation_failed', 'MP4 downloads need a video: this file has only audio');
    }
    const duration = file.metadata.duration;
    if (request.thumbnails?.length && !file.metadata.video) {
      throw new ApiError('validation_failed', '"thumbnails" needs a video stream: this file has only audio');
    }
    for (const t of request.thumbnails ?? []) {
      if (duration > 0 && parseTimestamp(t.timestamp) > duration) {
        throw new ApiError(
          'validation_failed',
          `thumbnail timestamp ${t.timestamp} is past the end of the video (${duration.toFixed(3)} s)`,
        );
      }
    }
    // Count and insert in one step: concurrent creates, on any API node, cannot pass the key's limit.
    const limit = this.deps.config.maxActiveJobsPerKey;
    const row = await this.deps.jobs.insertWithin(
      { jobId: newId(), videoId: newId(), fileId: file.fileId, apiKey: principal.apiKey, request },
      limit,
    );
    if (!row) throw tooManyJobs(limit);
    this.#worker.wake();
    return this.#toJob(row);
  }

  async get(principal: Principal, jobId: string): Promise<EncoderJob> {
    return this.#toJob(await this.#owned(principal, jobId));
  }

  async list(principal: Principal, page: number, perPage: number): Promise<Page<EncoderJob>> {
    const { rows, total } = await this.deps.jobs.list(principal.apiKey, page, perPage);
    return {
      data: await Promise.all(rows.map((r) => this.#toJob(r))),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /**
   * Cancels a queued or running job; a running ffmpeg is killed and gone before this resolves,
   * and the partial output is removed. A job that already ended is a 409.
   */
  async cancel(principal: Principal, jobId: string): Promise<EncoderJob> {
    const job = await this.#owned(principal, jobId);
    if (FINAL.has(job.status) || !(await this.deps.jobs.cancel(jobId, 'cancelled by request'))) {
      const now = (await this.deps.jobs.get(jobId)) ?? job;
      throw new ApiError('conflict', `job ${jobId} already ended (${now.status}): nothing to cancel`);
    }
    await this.#worker.halt(jobId, 'cancel');
    // A cancelled video is gone for good: every feature's output goes with it.
    await this.#outputs.removeVideo(job.videoId);
    const cancelled = (await this.deps.jobs.get(jobId))!;
    this.deps.events.emit({
      type: 'failed',
      videoId: job.videoId,
      data: { jobId, status: 'cancelled', error: cancelled.error },
    });
    return this.#toJob(cancelled);
  }

  /** Starts this process's workers (services/encoding-worker.ts). */
  start(): void {
    this.#worker.start();
  }

  /** Hands running jobs back to the queue; resolves once every ffmpeg is gone and every worker returned. */
  stop(): Promise<void> {
    return this.#worker.stop();
  }

  /** Running jobs of this process and their ffmpeg pids (for health and tests). */
  runningPids(): Map<string, number | null> {
    return this.#worker.runningPids();
  }

  async #owned(principal: Principal, jobId: string): Promise<JobRow> {
    const job = isValidId(jobId) ? await this.deps.jobs.get(jobId) : undefined;
    if (!job || job.apiKey !== principal.apiKey) throw new ApiError('not_found', `no job ${jobId}`);
    return job;
  }

  async #toJob(row: JobRow): Promise<EncoderJob> {
    return toEncoderJob(row, this.deps.config.publicUrl, await this.deps.pictures?.describe(row.videoId));
  }
}

export function toEncoderJob(
  row: JobRow,
  publicUrl: string,
  pictures: VideoPictures = { storyboard: null, thumbnails: [] },
): EncoderJob {
  return {
    jobId: row.jobId,
    videoId: row.videoId,
    fileId: row.fileId,
    status: row.status,
    progress: row.progress,
    renditions: row.renditions,
    playback: row.playable ? playbackUrls(publicUrl, row.videoId) : null,
    downloads: downloadUrls(publicUrl, row.videoId, row.downloads),
    error: row.error,
    thumbnails: pictures.thumbnails,
    storyboard: pictures.storyboard,
    userData: row.userData,
    webhookUrl: row.webhookUrl,
    protected: row.protected,
    watermark: row.request.watermark ?? null,
    sourceRange: row.request.sourceRange ?? null,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
