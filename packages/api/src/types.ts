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

/**
 * `downloading`: a link ingest (`POST /v1/files` with `{url}`) is fetching the bytes (see
 * `FileRecord.progress`); then `probing`, `ready` or `rejected` as any upload.
 */
export type FileStatus = 'downloading' | 'probing' | 'ready' | 'rejected';
export type Projection = 'flat' | 'equirectangular' | 'cubemap';
/**
 * ffprobe's `field_order` of the video stream: `progressive`, or interlaced with `tt`/`bb` (top/bottom
 * field first) or `tb`/`bt` (coded in one order, shown in the other); `unknown` when the stream does
 * not say. Any of the four interlaced values means the source is deinterlaced.
 */
export type FieldOrder = 'progressive' | 'tt' | 'bb' | 'tb' | 'bt' | 'unknown';

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
  /** Absent on files probed before Vodkit recorded it (they are treated as progressive). */
  fieldOrder?: FieldOrder;
}

export interface AudioStreamInfo {
  codec: string;
  channels: number;
  sampleRate: number;
  bitrate: number | null;
}

/** A still image (PNG, JPEG or WebP): a watermark's logo, never encoded as a video. */
export interface ImageInfo {
  /** `png`, `mjpeg` or `webp`. */
  codec: string;
  width: number;
  height: number;
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
  /** Set (and `video`/`audio` null, `duration` 0) when the file is a still image; absent on older records. */
  image?: ImageInfo | null;
}

/** What a ready file is: a video (with or without audio), audio alone, or a still image (a watermark's logo). */
export type FileKind = 'video' | 'audio' | 'image';

export interface FileRecord {
  fileId: string;
  filename: string | null;
  filetype: string | null;
  title: string | null;
  size: number;
  status: FileStatus;
  /** From the probe: null while probing or when rejected before the probe said what it is. */
  kind: FileKind | null;
  metadata: MediaMetadata | null;
  reason: { code: string; message: string } | null;
  /** Milliseconds ffprobe took, from upload completion to metadata. */
  probeMs: number | null;
  /**
   * A link ingest's download: bytes received and the size the origin announced (null when it did
   * not say). Null for tus uploads. Always sent by the server (optional only for records older clients build).
   */
  progress?: FileProgress | null;
  createdAt: string;
  updatedAt: string;
}

export interface FileProgress {
  bytes: number;
  total: number | null;
}

/** `POST /v1/files`: download a video from a public http(s) URL (link ingest). */
export interface CreateFileFromUrlRequest {
  url: string;
  /** Default: the last segment of the URL's path. */
  title?: string;
}

export type Resolution = '240' | '360' | '480' | '720' | '1080' | '1440' | '2160';
export const RESOLUTIONS: readonly Resolution[] = ['240', '360', '480', '720', '1080', '1440', '2160'];

export interface EncodePreset {
  /** Not with `m4a`. */
  resolutions?: Resolution[];
  /**
   * `hls` (default): the adaptive ladder. `mp4`: progressive faststart MP4 downloads of those rungs,
   * beside the HLS. `m4a`: an AAC `.m4a` of the default audio track (the source must have audio).
   */
  format?: 'hls' | 'mp4' | 'm4a';
}

/** A progressive download, served with Range: a faststart MP4 of one rung, or the audio alone as `.m4a`. */
export interface Download {
  /** The rung (`mp4`), or `audio` (`m4a`). */
  name: Resolution | 'audio';
  format: 'mp4' | 'm4a';
  /** Null for `m4a`. */
  width: number | null;
  height: number | null;
  bytes: number;
  url: string;
}

export type WatermarkPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'center';
export const WATERMARK_POSITIONS: readonly WatermarkPosition[] = [
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
  'center',
];

/** A logo burned into every video rung and MP4 download of a job, the same relative size on each. */
export interface Watermark {
  /** A ready file of kind `image` (PNG, JPEG or WebP) of the same key. */
  fileId: string;
  position: WatermarkPosition;
  /** The logo's width as a share of the video's width, 1–50; default 10. */
  widthPercent?: number;
  /** Distance from the edges as a share of the video's width (left/right) and height (top/bottom), 0–25; default 3. */
  marginPercent?: number;
  /** 0 (invisible) to 1 (opaque); default 1. Multiplies the image's own alpha. */
  opacity?: number;
}

/** A span of the source, seconds from its start: what a clip is cut from. */
export interface SourceRange {
  start: number;
  end: number;
}

/** `POST /v1/videos/:videoId/clips`: a new video of `[start, end)` of that video, cut from its source. */
export interface CreateClipRequest {
  /** Seconds from the video's start. */
  start: number;
  /** Seconds from the video's start; more than `start`, at most the duration. */
  end: number;
  /** The clip's title; default the video's. */
  title?: string;
}

/** The answer to `POST /v1/videos/:videoId/clips` (201). */
export interface CreatedClip {
  videoId: string;
  jobId: string;
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
  watermark?: Watermark;
}

/** Every status of a job (and so of its video), in the order a job goes through them. */
export const VIDEO_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof VIDEO_STATUSES)[number];

export interface Rendition {
  /** Ladder name by the short side: `240`, `360`, … */
  name: Resolution;
  width: number;
  height: number;
  /** Peak video bitrate the rung is capped at, bits per second. */
  maxBitrate: number;
  playlist: string;
}

/** A still picture the job made (`thumbnails` of the request), listed once it is on disk. */
export interface Thumbnail {
  /** As requested: `HH:MM:SS(.mmm)`. */
  timestamp: string;
  /** The requested resolution (short side), or null for the source's own size (none requested). */
  resolution: Resolution | null;
  format: 'jpg' | 'webp';
  /** Real size: never above the source. */
  width: number;
  height: number;
  url: string;
}

/** The pictures of a video, beside its playback URLs. */
export interface VideoPictures {
  /** WebVTT storyboard (`storyboard.jpg#xywh=…` cues) once generated; null before, and without picture. */
  storyboard: string | null;
  thumbnails: Thumbnail[];
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
  /** The requested thumbnails done so far (they may land shortly after `playable`). */
  thumbnails: Thumbnail[];
  storyboard: string | null;
  userData: Record<string, unknown> | null;
  webhookUrl: string | null;
  protected: boolean;
  /** As requested, with its defaults filled in; null without one. */
  watermark: Watermark | null;
  /** A clip's span of the source (`POST /v1/videos/:videoId/clips`); null for a whole video. */
  sourceRange: SourceRange | null;
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
  thumbnails: Thumbnail[];
  storyboard: string | null;
  downloads: Download[];
  /** A clip's span of its source file; null for a whole video. */
  sourceRange: SourceRange | null;
  /** Chapters set with `PUT /v1/videos/:videoId/chapters`, by start time; empty when none. */
  chapters: Chapter[];
  /** The chapters as WebVTT (`kind="chapters"`) at `/stream/:videoId/chapters.vtt`; null when none. */
  chaptersUrl: string | null;
  createdAt: string;
  /** The video's own allowed origins (null: its key's list), on `GET` and `PATCH /v1/videos/:videoId`. */
  allowedOrigins?: string[] | null;
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
  /** ffmpeg was found at boot (its exact build is in the server log, not here: no free CVE lookup). */
  ffmpeg: boolean;
  database: boolean;
}

/** Names of the server-sent events on `/v1/videos/:videoId/events` (and webhooks later). */
export const VIDEO_EVENTS = [
  'probed',
  'progress',
  'playable',
  'completed',
  'failed',
  'started',
  'deleted',
] as const;
export type VideoEventName = (typeof VIDEO_EVENTS)[number];

/** Webhook event types (Standard Webhooks `type`): what `POST /v1/webhooks` may subscribe to. */
export const WEBHOOK_EVENTS = [
  'file.ready',
  'file.rejected',
  'encoding.started',
  'encoding.playable',
  'encoding.completed',
  'encoding.failed',
  'video.deleted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** The JSON body of every webhook request (Standard Webhooks payload shape). */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When the event happened (ISO-8601); the `webhook-timestamp` header is when it was sent. */
  timestamp: string;
  data: Record<string, unknown>;
}

export interface CreateWebhookRequest {
  url: string;
  /** Omitted: every event type. */
  events?: WebhookEventType[];
}

export interface WebhookEndpoint {
  endpointId: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
}

/** The answer to `POST /v1/webhooks`: the only time the endpoint's signing secret is shown. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_<base64>`: hand it to a Standard Webhooks verifier. */
  secret: string;
}

/** The key-level secret that signs deliveries to jobs' `webhookUrl`; shown once, by `POST /v1/webhooks/signing-secret`. */
export interface WebhookSigningSecret {
  secret: string;
  createdAt: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

/** One event sent (or to be sent) to one endpoint, with how its attempts went. */
export interface WebhookDelivery {
  deliveryId: string;
  /** The `webhook-id` header: the same on every retry and replay, for de-duplication. */
  webhookId: string;
  endpointId: string | null;
  eventType: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  payload: WebhookPayload;
}

/** `subtitles` translate the dialogue; `captions` transcribe it with sounds, for deaf and hard-of-hearing viewers. */
export type CaptionKind = 'subtitles' | 'captions';

/** A text track of a video (`/v1/videos/:videoId/tracks`), packaged into its HLS master playlist. */
export interface CaptionTrack {
  trackId: string;
  videoId: string;
  /** BCP 47, canonicalized (`en-us` → `en-US`). */
  language: string;
  label: string;
  kind: CaptionKind;
  /** Shown when playback starts; at most one track of a video is the default. */
  default: boolean;
  cueCount: number;
  /** Bytes of the cleaned WebVTT file. */
  bytes: number;
  /** The cleaned WebVTT file. */
  url: string;
  /** Its one-segment HLS media playlist. */
  playlist: string;
  createdAt: string;
}

/**
 * The JSON body of `POST /v1/videos/:videoId/tracks`. The same fields (but `content`) may instead
 * come as query parameters with the file itself as a `text/vtt` or `application/x-subrip` body.
 */
export interface CreateCaptionTrackRequest {
  language: string;
  /** Defaults to the language's own name (`English`, `français`). */
  label?: string;
  kind?: CaptionKind;
  default?: boolean;
  /** Guessed from the `WEBVTT` signature when absent. */
  format?: 'vtt' | 'srt';
  /** The WebVTT or SRT text, at most 1 MiB. */
  content: string;
}

/** An API key as `/v1/keys` shows it: never its secret, but once, when it is made. */
export interface ApiKey {
  apiKey: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** True for the key the request was signed with (it is listed, and cannot revoke itself here). */
  current: boolean;
}

/** `POST /v1/keys`: the only answer that shows the secret. */
export interface CreatedApiKey extends ApiKey {
  secret: string;
}

/** `GET /v1/videos` query: a key's videos newest first, searched by title, filtered by status. */
export interface VideoListQuery {
  q?: string;
  status?: JobStatus;
  page?: number;
  perPage?: number;
}

/** The signed-in Studio session (`GET /studio/api/session`); the cookie itself is `httpOnly`. */
export interface StudioSession {
  apiKey: string;
  name: string | null;
  expiresAt: string;
}

/**
 * One event of a playback session, as a player reports it in `POST /v1/beacons` (issue 16).
 * Unknown `type`s are ignored, so a newer player can talk to an older server.
 */
export type BeaconEvent =
  /** The viewer meant to play: the session counts as a view. */
  | { type: 'view' }
  /** Time from the intent to play to the first frame shown, in ms (0 to 600000). */
  | { type: 'startup'; ms: number }
  /** Seconds actually playing since the last `playing` report (0 to 3600). */
  | { type: 'playing'; s: number }
  /** One stall, with how long it lasted in ms (0 to 3600000). */
  | { type: 'rebuffer'; ms: number }
  /** A switch to a rendition of this height (1 to 8640): counted, and the highest height kept. */
  | { type: 'rendition'; height: number }
  /** A fatal error, with its code (at most 64 of `A-Za-z0-9_.:-`). */
  | { type: 'error'; code: string };

/** The body of `POST /v1/beacons`: JSON, sent as `text/plain` (what `navigator.sendBeacon` sends) or `application/json`. */
export interface BeaconRequest {
  videoId: string;
  /** A random id the player makes per playback (8 to 64 of `A-Za-z0-9_-`); no cookie is involved. */
  sessionId: string;
  /** At most 64 per beacon; the whole body at most 16 KB. */
  events: BeaconEvent[];
}

/** Viewer figures over a range (or one bucket of it). */
export interface StatsSummary {
  /** Sessions with a `view` event. */
  views: number;
  /** Distinct (IP, user agent) hashes with a salt that changes daily, as Plausible counts them. */
  uniqueViewers: number;
  watchTimeS: number;
  /** Startup time to the first frame; null without any report. From a fixed histogram: within its bin's width. */
  startupMs: { p50: number | null; p95: number | null };
  /** Stalled time over stalled + playing time, 0 to 1. */
  rebufferRatio: number;
  /** Views with a fatal error over views, 0 to 1. */
  errorRate: number;
}

export interface StatsBucket extends StatsSummary {
  /** The bucket's start (UTC hour or day), ISO 8601. */
  start: string;
}

export type StatsGranularity = 'hour' | 'day';

/** `GET /v1/videos/:videoId/stats` and (with `topVideos`) `GET /v1/stats`. */
export interface StatsRange extends StatsSummary {
  /** The range, aligned to the granularity: [from, to). */
  from: string;
  to: string;
  granularity: StatsGranularity;
  /** Startup times per bin: `upToMs` is the bin's exclusive upper edge, null for the last (open) bin. */
  startupHistogram: { upToMs: number | null; count: number }[];
  /** One entry per bucket of the range, empty buckets included. */
  series: StatsBucket[];
}

export interface VideoStats extends StatsRange {
  videoId: string;
}

export interface KeyStats extends StatsRange {
  /** The key's ten most viewed videos in the range. */
  topVideos: { videoId: string; title: string | null; views: number; watchTimeS: number }[];
}
/** Chapter limits: more chapters, or a longer title, is a 400. */
export const MAX_CHAPTERS = 200;
export const MAX_CHAPTER_TITLE_CHARS = 100;

/** One chapter: it runs from `start` (seconds) to the next chapter's start, the last to the end. */
export interface Chapter {
  start: number;
  /** Plain text, shown as is (markup and control characters are removed on the way in). */
  title: string;
}

/** `PUT /v1/videos/:videoId/chapters`: replaces the video's chapters; `[]` removes them. */
export interface SetChaptersRequest {
  /** Starts strictly increasing, each within the video (0 ≤ start < duration). */
  chapters: Chapter[];
}

/** `GET`/`PUT /v1/videos/:videoId/chapters`. */
export interface VideoChapters {
  videoId: string;
  chapters: Chapter[];
  /** The WebVTT chapters file; null when the video has none. */
  url: string | null;
}

/** Animated previews (`/stream/:videoId/animated.webp|gif`): defaults and limits. */
export const ANIMATED_PREVIEW = {
  defaultDurationS: 3,
  maxDurationS: 10,
  defaultWidth: 320,
  maxWidth: 640,
  defaultFps: 12,
  maxFps: 24,
} as const;
