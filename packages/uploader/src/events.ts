import type { ErrorCode, MediaMetadata, PlaybackUrls } from '@vodkit/api';

/**
 * Why an upload failed, as `vod-upload-error` reports it. Server answers keep the server's stable code
 * (`upload_too_large`, `auth_expired`, `permission_denied`, …); the element adds its own for what never
 * reached the server.
 */
export type UploadErrorCode =
  | ErrorCode
  /** The server could not be reached (offline, DNS, CORS, connection reset). */
  | 'network_error'
  /** `token-url` did not answer with a token. */
  | 'token_unavailable'
  /** Any other failure (an unexpected status without a Vodkit error body). */
  | 'upload_failed'
  /** A second file while one is under way and `multiple` is off, or the same file twice. */
  | 'upload_busy';

/**
 * Every event names its row: `key` is the element's own id for one picked file (stable from the moment it
 * is added, before the server has given it a `fileId`).
 */
interface Row {
  key: string;
  filename: string;
}

/** Once the file is on the server. */
interface OnServer extends Row {
  fileId: string;
}

/** Once an encoding job exists for the file. */
interface Encoding extends OnServer {
  videoId: string;
  jobId: string;
}

/**
 * The `detail` of every event `<vod-uploader>` fires, by event name. The one place these events are
 * declared: the element's `#fire()` and `HTMLElementEventMap` are both typed from it.
 */
export interface VodUploadEventDetails {
  /** A file passed the size and type checks and its upload begins (also when it resumes a previous one). */
  'vod-upload-start': Row & { size: number };
  /** Bytes the server has acknowledged so far; several per second while bytes flow. */
  'vod-upload-progress': Row & { bytesUploaded: number; bytesTotal: number; percent: number };
  /** Every byte is on the server. `fileId` is the tus upload id, which is the Vodkit file id. */
  'vod-upload-complete': OnServer & { uploadUrl: string; size: number };
  /**
   * The upload stopped, or a file was refused before it began; `message` is meant for people. `key` is
   * absent when the file never got a row (a second file while `multiple` is off).
   */
  'vod-upload-error': {
    key?: string;
    filename: string;
    code: UploadErrorCode;
    message: string;
    status?: number;
  };
  /** The user (or `cancel()`) abandoned the upload; the partial upload was deleted on the server. */
  'vod-upload-cancel': Row;
  /**
   * The server took a pasted link (`POST /v1/files {url}`) and downloads it; `fileId` is the new file.
   * The usual processing events follow (`vod-file-ready`…). A refused link is a `vod-upload-error`.
   */
  'vod-link-accepted': OnServer & { url: string };
  /** The server probed the file and accepts it: its metadata (duration, size, codecs…). */
  'vod-file-ready': OnServer & { metadata: MediaMetadata | null };
  /** The server probed the file and refused it (`code` is a `RejectCode`, `message` is for people). */
  'vod-file-rejected': OnServer & { code: string; message: string };
  /** An encoding job was created for the file (`encode`) or handed over (`trackEncoding()`). */
  'vod-encoding-start': Encoding;
  /** Encoding progress, 0–100, from the server's event stream (or polling when the stream is refused). */
  'vod-encoding-progress': Encoding & { progress: number };
  /** The video plays (every rung has its first segment), usually long before the encode ends. */
  'vod-video-playable': Encoding & { playback: PlaybackUrls; playbackToken?: string };
  /** The encode finished: every rendition is complete. */
  'vod-video-ready': Encoding & { playback: PlaybackUrls; playbackToken?: string };
  /**
   * After the upload, something in the processing stage failed: the job failed or was cancelled, or the
   * token may not read the file or create the job (`permission_denied`).
   */
  'vod-processing-error': OnServer & { videoId?: string; jobId?: string; code: string; message: string };
}

export type VodUploadEventName = keyof VodUploadEventDetails;
export type VodUploadEventMap = { [K in VodUploadEventName]: CustomEvent<VodUploadEventDetails[K]> };

/** Every event name, for pages and wrappers that listen to all of them. */
export const VOD_UPLOAD_EVENTS: readonly VodUploadEventName[] = [
  'vod-upload-start',
  'vod-upload-progress',
  'vod-upload-complete',
  'vod-upload-error',
  'vod-upload-cancel',
  'vod-link-accepted',
  'vod-file-ready',
  'vod-file-rejected',
  'vod-encoding-start',
  'vod-encoding-progress',
  'vod-video-playable',
  'vod-video-ready',
  'vod-processing-error',
];

/** Dispatches a typed uploader event; bubbling and composed, so a page sees it through shadow roots. */
export function fire<K extends VodUploadEventName>(
  target: EventTarget,
  type: K,
  detail: VodUploadEventDetails[K],
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap extends VodUploadEventMap {}
}
