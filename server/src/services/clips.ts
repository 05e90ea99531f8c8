import type { CreateClipRequest, CreatedClip, CreateJobRequest } from '@vodkit/api';
import type { JobRequest } from '../db/jobs.ts';
import type { FilesRepository, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { Principal } from './auth.ts';

export interface ClipServiceDeps {
  files: FilesRepository;
  jobs: JobsRepository;
  /** The queue: a clip is a job like any other, on the same source file. */
  encoding: {
    create(
      principal: Principal,
      body: CreateJobRequest,
      clip: Pick<JobRequest, 'sourceRange' | 'title'>,
    ): Promise<{ videoId: string; jobId: string }>;
  };
}

/** Shorter than this holds a frame or two: refused rather than made into a stub. */
export const MIN_CLIP_S = 0.1;
/** `end` may pass the duration by this much (a duration rounded to the millisecond). */
const END_SLACK_S = 0.001;
const MAX_TITLE = 500;

function invalid(message: string): never {
  throw new ApiError('validation_failed', message);
}

/**
 * Clips (issue 15): `POST /v1/videos/:videoId/clips` makes a new video of `[start, end)` of a video, cut
 * from its SOURCE file (not a rendition: no second generation loss) by a job like any other. The job
 * stores the span as `sourceRange` in source seconds, so a clip of a clip is cut from the source too.
 * It keeps the video's presets, protection and watermark; thumbnails, webhook and userData are the
 * first job's own.
 */
export class ClipService {
  constructor(readonly deps: ClipServiceDeps) {}

  async create(principal: Principal, videoId: string, body: CreateClipRequest): Promise<CreatedClip> {
    const { start, end } = body;
    if (
      typeof start !== 'number' ||
      !Number.isFinite(start) ||
      typeof end !== 'number' ||
      !Number.isFinite(end)
    ) {
      invalid('"start" and "end" must be numbers of seconds');
    }
    if (body.title !== undefined && (typeof body.title !== 'string' || !body.title.trim())) {
      invalid('"title" must be a non-empty string');
    }
    const parent = await this.deps.jobs.getByVideo(videoId);
    if (!parent || parent.apiKey !== principal.apiKey) throw new ApiError('not_found', `no video ${videoId}`);
    if (parent.status === 'failed' || parent.status === 'cancelled') {
      throw new ApiError('conflict', `video ${videoId} ${parent.status}: there is nothing to clip`);
    }
    const file = await this.deps.files.get(parent.fileId);
    if (file?.status !== 'ready' || !file.metadata) {
      throw new ApiError('conflict', `the source of video ${videoId} is gone`);
    }
    const base = parent.request.sourceRange?.start ?? 0;
    const duration =
      parent.outputDuration ??
      (parent.request.sourceRange ? parent.request.sourceRange.end - base : file.metadata.duration);
    if (start < 0 || start >= duration)
      invalid(`"start" must be from 0 to under the duration (${duration.toFixed(3)} s)`);
    if (end > duration + END_SLACK_S)
      invalid(`"end" must be at most the duration (${duration.toFixed(3)} s)`);
    if (end <= start) invalid('"end" must be after "start"');
    if (end - start < MIN_CLIP_S) invalid(`a clip lasts at least ${MIN_CLIP_S} s`);
    const r = parent.request;
    const job = await this.deps.encoding.create(
      principal,
      {
        fileId: parent.fileId,
        ...(r.presets ? { presets: r.presets } : {}),
        ...(r.protected !== undefined ? { protected: r.protected } : {}),
        ...(r.watermark ? { watermark: r.watermark } : {}),
      },
      {
        sourceRange: { start: round6(base + start), end: round6(base + Math.min(end, duration)) },
        ...(body.title || r.title ? { title: (body.title ?? r.title)!.trim().slice(0, MAX_TITLE) } : {}),
      },
    );
    return { videoId: job.videoId, jobId: job.jobId };
  }
}

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;
