import type { ErrorCode } from '@vodkit/api';

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
  | 'upload_failed';

/**
 * The `detail` of every event `<vod-uploader>` fires, by event name. The one place these events are
 * declared: the element's `#fire()` and `HTMLElementEventMap` are both typed from it.
 */
export interface VodUploadEventDetails {
  /** A file passed the size and type checks and its upload begins (also when it resumes a previous one). */
  'vod-upload-start': { filename: string; size: number };
  /** Bytes the server has acknowledged so far; several per second while bytes flow. */
  'vod-upload-progress': { bytesUploaded: number; bytesTotal: number; percent: number };
  /** Every byte is on the server. `fileId` is the tus upload id, which is the Vodkit file id. */
  'vod-upload-complete': { fileId: string; uploadUrl: string; filename: string; size: number };
  /** The upload stopped (or a file was refused before it began); `message` is meant for people. */
  'vod-upload-error': { code: UploadErrorCode; message: string; status?: number };
  /** The user (or `cancel()`) abandoned the upload; the partial upload was deleted on the server. */
  'vod-upload-cancel': { filename: string };
}

export type VodUploadEventName = keyof VodUploadEventDetails;
export type VodUploadEventMap = { [K in VodUploadEventName]: CustomEvent<VodUploadEventDetails[K]> };

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
