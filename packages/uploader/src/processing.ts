import type { EncoderJob, FileRecord, MediaMetadata, PlaybackUrls } from '@vodkit/api';

/**
 * Where a file stands after its upload: `probing` (the server reads its metadata), `rejected` (refused,
 * with a reason), `ready` (accepted; nothing more without `encode`), then with a job `queued`,
 * `encoding` (with a %), `playable` (plays while the rest encodes), `completed`, or `failed`.
 * `unavailable`: the token may not follow the file (no `allow_read`/`allow_encode`).
 */
export type ProcessingStage =
  | 'probing'
  | 'rejected'
  | 'ready'
  | 'queued'
  | 'encoding'
  | 'playable'
  | 'completed'
  | 'failed'
  | 'unavailable';

export interface ProcessingSnapshot {
  stage: ProcessingStage;
  metadata: MediaMetadata | null;
  videoId: string | null;
  jobId: string | null;
  /** Encoding progress 0–100. */
  progress: number;
  playback: PlaybackUrls | null;
  /** Whether the video needs a playback token (`protected` job). */
  protected: boolean;
  /** A playback token minted for a protected video, for the row's player and the events. */
  playbackToken: string | null;
  /** Why the file was rejected or the job failed. */
  reason: { code: string; message: string } | null;
}

export const initialProcessing: ProcessingSnapshot = {
  stage: 'probing',
  metadata: null,
  videoId: null,
  jobId: null,
  progress: 0,
  playback: null,
  protected: false,
  playbackToken: null,
  reason: null,
};

/** The file record as a stage: the server answers `probing`, `ready` or `rejected`. */
export function fromFile(prev: ProcessingSnapshot, file: FileRecord): ProcessingSnapshot {
  if (file.status === 'rejected') {
    return {
      ...prev,
      stage: 'rejected',
      reason: file.reason ?? { code: 'rejected', message: 'The server did not accept this file.' },
    };
  }
  return { ...prev, stage: file.status, metadata: file.metadata };
}

/** A polled job as a stage. */
export function fromJob(prev: ProcessingSnapshot, job: EncoderJob): ProcessingSnapshot {
  const next = {
    ...prev,
    videoId: job.videoId,
    jobId: job.jobId,
    progress: job.progress,
    protected: job.protected === true,
  };
  if (job.playback) next.playback = job.playback;
  switch (job.status) {
    case 'completed':
      return { ...next, stage: 'completed', progress: 100 };
    case 'failed':
    case 'cancelled':
      return {
        ...next,
        stage: 'failed',
        reason: job.error ?? { code: job.status, message: `The job was ${job.status}.` },
      };
    default:
      if (job.playback) return { ...next, stage: 'playable' };
      return { ...next, stage: job.status === 'queued' ? 'queued' : 'encoding' };
  }
}

/** The data of one event of `GET /v1/videos/:id/events` (the first one carries the whole state). */
export interface VideoEventData {
  jobId?: string;
  status?: string;
  progress?: number;
  playback?: PlaybackUrls | null;
  error?: { code: string; message: string } | null;
}

/**
 * One server-sent event as a stage. Playable is sticky: progress events after it keep the stage
 * `playable` and only move the %.
 */
export function fromVideoEvent(
  prev: ProcessingSnapshot,
  event: string,
  data: VideoEventData,
): ProcessingSnapshot {
  const next = { ...prev };
  if (data.jobId) next.jobId = data.jobId;
  if (typeof data.progress === 'number') next.progress = Math.max(prev.progress, data.progress);
  if (data.playback) next.playback = data.playback;
  switch (event) {
    case 'progress':
      if (prev.stage === 'playable' || next.playback) return { ...next, stage: 'playable' };
      return { ...next, stage: data.status === 'queued' ? 'queued' : 'encoding' };
    case 'playable':
      return { ...next, stage: 'playable' };
    case 'completed':
      return { ...next, stage: 'completed', progress: 100 };
    case 'failed':
      return {
        ...next,
        stage: 'failed',
        reason: data.error ?? { code: data.status ?? 'failed', message: 'Encoding failed.' },
      };
    default:
      return prev;
  }
}

/** Stages after which nothing more happens to the file in this element. */
export function isSettled(stage: ProcessingStage): boolean {
  return (
    stage === 'rejected' ||
    stage === 'ready' ||
    stage === 'completed' ||
    stage === 'failed' ||
    stage === 'unavailable'
  );
}
