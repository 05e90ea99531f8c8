import type { MediaMetadata } from '@vodkit/api';
import type { Config } from '../config.ts';
import type { JobRequest } from '../db/jobs.ts';
import type { FilesRepository, JobRow } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { atEnd, clipKeyframes, countFrames } from '../media/clip.ts';
import type { SourceKeyframes } from '../media/keyframes.ts';
import type { LadderOptions } from '../media/ladder.ts';
import type { SourceInput } from '../media/source.ts';
import { watermarkImage, watermarkPlan } from './watermarks.ts';

/*
 * What a job reads beyond its source's whole video (issue 15): a clip's span of it, a watermark's image,
 * and the m4a preset's audio. Checked when the job is created (4xx), and turned into ladder options
 * and inputs when it runs.
 */

/** Create-time checks of the files a job names; throws ApiError. */
export async function checkJobMedia(
  files: FilesRepository,
  apiKey: string,
  request: JobRequest,
  metadata: MediaMetadata,
): Promise<void> {
  if (metadata.image) {
    throw new ApiError(
      'not_a_video',
      'this file is a still image: it can be a job\'s "watermark", not what the job encodes',
    );
  }
  if (request.presets?.some((p) => p.format === 'm4a') && !metadata.audio) {
    throw new ApiError('validation_failed', 'an "m4a" download needs audio: this file has none');
  }
  if (request.watermark) {
    if (!metadata.video) {
      throw new ApiError('validation_failed', 'a watermark needs a video: this file has only audio');
    }
    await watermarkImage(files, apiKey, request.watermark.fileId);
  }
}

/** A job's run cannot start: what it reads is gone (the job fails with this code). */
export class JobMediaError extends Error {
  override readonly name = 'JobMediaError';
  constructor(
    readonly code: 'source_missing',
    message: string,
  ) {
    super(message);
  }
}

export interface JobMedia {
  /** What the job adds to the ladder: its clip's span (and the frames a copy of it takes), its watermark. */
  ladder: Pick<LadderOptions, 'sourceRange' | 'copyFrames' | 'watermark'>;
  /** The watermark's image, to read like the source. */
  watermarkInput?: SourceInput;
  /** What the encode should hold, seconds: the clip's span, else the probed duration. */
  durationS: number;
}

/** Run-time: the ladder options and inputs of a job's clip and watermark. */
export async function prepareJobMedia(
  deps: { config: Config; files: FilesRepository; source(fileId: string): Promise<SourceInput> },
  job: JobRow,
  metadata: MediaMetadata,
  input: SourceInput,
  keyframes: SourceKeyframes | undefined,
): Promise<JobMedia> {
  const range = job.request.sourceRange;
  const out: JobMedia = { ladder: {}, durationS: metadata.duration };
  if (range) {
    out.ladder.sourceRange = range;
    out.durationS = range.end - range.start;
    // A copy that ends before the video does stops after its own frames: counted only when it can copy.
    if (keyframes && clipKeyframes(keyframes, range, metadata.duration) && !atEnd(range, metadata.duration)) {
      const frames = await countFrames(
        deps.config,
        input,
        keyframes,
        range,
        deps.config.probeTimeoutMs,
      ).catch(() => 0);
      if (frames > 0) out.ladder.copyFrames = frames;
    }
  }
  const w = job.request.watermark;
  if (w) {
    let image: Awaited<ReturnType<typeof watermarkImage>>;
    try {
      image = await watermarkImage(deps.files, job.apiKey, w.fileId);
    } catch {
      throw new JobMediaError('source_missing', 'the watermark image is gone or no longer ready');
    }
    out.ladder.watermark = watermarkPlan(w, image);
    out.watermarkInput = await deps.source(w.fileId);
  }
  return out;
}
