import type { EncoderJob, FileRecord, MediaMetadata, PlaybackUrls } from '@vodkit/api';

/**
 * Where a file stands after its upload: `downloading` (a link the server fetches, with `download`
 * progress), `probing` (the server reads its metadata), `rejected` (refused, with a reason), `ready`
 * (accepted; nothing more without `encode`), then with a job `queued`, `encoding` (with a %),
 * `playable` (plays while the rest encodes), `completed`, or `failed` (the job failed).
 * `interrupted`: the element lost track of the file (the network, a server error, a check that never
 * ended); the file is safe on the server and `retry()` picks up where it stopped.
 * `unavailable`: the token may not follow the file (no `allow_read`/`allow_encode`).
 */
export type ProcessingStage =
  | 'downloading'
  | 'probing'
  | 'rejected'
  | 'ready'
  | 'queued'
  | 'encoding'
  | 'playable'
  | 'completed'
  | 'failed'
  | 'interrupted'
  | 'unavailable';

/** A link ingest's download as the server reports it (`FileRecord.progress`). */
export interface DownloadProgress {
  bytes: number;
  /** What the origin announced; null when it did not say. */
  total: number | null;
}

export interface ProcessingSnapshot {
  stage: ProcessingStage;
  /**
   * The server could not be reached (offline, a dropped connection, a 5xx): the element tries again
   * by itself, and the row says "Reconnecting…" over whatever stage it was in.
   */
  reconnecting: boolean;
  /** `retry()` can do something: the stage is `interrupted`, or the job this element created failed. */
  retryable: boolean;
  /** While `downloading`: what the server has fetched of the link so far. */
  download: DownloadProgress | null;
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
  reconnecting: false,
  retryable: false,
  download: null,
  metadata: null,
  videoId: null,
  jobId: null,
  progress: 0,
  playback: null,
  protected: false,
  playbackToken: null,
  reason: null,
};

/**
 * The file record as the server sends it: `status` may also be `downloading` (a link ingest), with
 * `progress` (see issue 15's `POST /v1/files {url}`).
 */
export type FileState = Omit<FileRecord, 'status'> & {
  status: FileRecord['status'] | 'downloading';
  progress?: DownloadProgress | null;
};

/** The file record as a stage: the server answers `downloading`, `probing`, `ready` or `rejected`. */
export function fromFile(prev: ProcessingSnapshot, file: FileState): ProcessingSnapshot {
  if (file.status === 'rejected') {
    return {
      ...prev,
      stage: 'rejected',
      reason: file.reason ?? { code: 'rejected', message: 'The server did not accept this file.' },
    };
  }
  if (file.status === 'downloading') {
    return { ...prev, stage: 'downloading', download: file.progress ?? prev.download ?? null };
  }
  return { ...prev, stage: file.status, metadata: file.metadata };
}

/** Percent of a download, or null while its size is unknown. */
export function downloadPercent(download: DownloadProgress | null): number | null {
  if (!download?.total || download.total <= 0) return null;
  return Math.min(100, Math.floor((download.bytes / download.total) * 1000) / 10);
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
    stage === 'interrupted' ||
    stage === 'unavailable'
  );
}
