/** Permissions a JWT may carry (VideoSDK-compatible names). */
export type Permission = 'allow_upload' | 'allow_encode' | 'allow_read' | 'allow_delete' | 'allow_admin';
export const PERMISSIONS: readonly Permission[] = [
  'allow_upload',
  'allow_encode',
  'allow_read',
  'allow_delete',
  'allow_admin',
];

/** The claims of an API JWT, signed HS256 with the key's secret. */
export interface ApiTokenClaims {
  apikey: string;
  permissions: Permission[];
  iat?: number;
  exp: number;
}

/** The claims of a playback token: one token covers every request of one video. */
export interface PlaybackTokenClaims {
  apikey: string;
  sub: string;
  aud: 'playback';
  exp: number;
}

export type FileStatus = 'probing' | 'ready' | 'rejected';
export type Projection = 'flat' | 'equirectangular' | 'cubemap';

export interface VideoStreamInfo {
  codec: string;
  profile: string | null;
  /** Display width: rotation already applied. */
  width: number;
  /** Display height: rotation already applied. */
  height: number;
  /** Stored (coded) size, before rotation. */
  codedWidth: number;
  codedHeight: number;
  fps: number | null;
  pixFmt: string | null;
  bitDepth: number;
  hdr: boolean;
  /** Clockwise degrees the player must turn the stored picture: 0, 90, 180 or 270. */
  rotation: number;
  projection: Projection;
  bitrate: number | null;
}

export interface AudioStreamInfo {
  codec: string;
  channels: number;
  sampleRate: number;
  bitrate: number | null;
}

export interface MediaMetadata {
  /** ffprobe's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  container: string;
  /** Seconds. */
  duration: number;
  /** Bytes. */
  size: number;
  /** Bits per second, whole file. */
  bitrate: number | null;
  video: VideoStreamInfo | null;
  audio: AudioStreamInfo | null;
}

export interface FileRecord {
  fileId: string;
  filename: string | null;
  filetype: string | null;
  title: string | null;
  size: number;
  status: FileStatus;
  metadata: MediaMetadata | null;
  reason: { code: string; message: string } | null;
  /** Milliseconds ffprobe took, from upload completion to metadata. */
  probeMs: number | null;
  createdAt: string;
  updatedAt: string;
}

export type Resolution = '240' | '360' | '480' | '720' | '1080' | '1440' | '2160';
export const RESOLUTIONS: readonly Resolution[] = ['240', '360', '480', '720', '1080', '1440', '2160'];

export interface EncodePreset {
  resolutions?: Resolution[];
  /** `hls` (default): the adaptive ladder. `mp4`: progressive faststart MP4 downloads of those rungs, beside the HLS. */
  format?: 'hls' | 'mp4';
}

/** A progressive MP4 (faststart) of one rung, served with Range. */
export interface Download {
  name: Resolution;
  width: number;
  height: number;
  bytes: number;
  url: string;
}

export interface ThumbnailRequest {
  /** `HH:MM:SS` (fractions allowed: `00:00:01.5`). */
  timestamp: string;
  resolutions?: Resolution[];
  formats?: ('jpg' | 'webp')[];
}

export interface CreateJobRequest {
  fileId: string;
  presets?: EncodePreset[];
  thumbnails?: ThumbnailRequest[];
  webhookUrl?: string;
  userData?: Record<string, unknown>;
  protected?: boolean;
}

export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';

export interface Rendition {
  /** Ladder name by the short side: `240`, `360`, … */
  name: Resolution;
  width: number;
  height: number;
  /** Peak video bitrate the rung is capped at, bits per second. */
  maxBitrate: number;
  playlist: string;
}

export interface PlaybackUrls {
  hls: string;
  embed: string;
  poster: string;
}

export interface EncoderJob {
  jobId: string;
  videoId: string;
  fileId: string;
  status: JobStatus;
  /** 0–100. */
  progress: number;
  renditions: Rendition[];
  /** Present once the master playlist plays (often long before `completed`). */
  playback: PlaybackUrls | null;
  /** MP4 downloads asked for with `presets: [{format: 'mp4'}]`, once the job completed. */
  downloads: Download[];
  error: { code: string; message: string } | null;
  userData: Record<string, unknown> | null;
  webhookUrl: string | null;
  protected: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Video {
  videoId: string;
  fileId: string;
  jobId: string;
  status: JobStatus;
  title: string | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  projection: Projection;
  protected: boolean;
  renditions: Rendition[];
  playback: PlaybackUrls | null;
  downloads: Download[];
  createdAt: string;
}

export interface PageInfo {
  page: number;
  perPage: number;
  total: number;
  lastPage: number;
}

export interface Page<T> {
  data: T[];
  pageInfo: PageInfo;
}

export interface HealthStatus {
  ok: boolean;
  version: string;
  ffmpeg: string | null;
  database: boolean;
}

/** Names of the server-sent events on `/v1/videos/:videoId/events` (and webhooks later). */
export const VIDEO_EVENTS = ['probed', 'progress', 'playable', 'completed', 'failed'] as const;
export type VideoEventName = (typeof VIDEO_EVENTS)[number];
