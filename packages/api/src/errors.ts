/**
 * Every error Vodkit returns is `{ error: { code, message } }` with one of these stable codes.
 * Clients switch on `code`; `message` is for people and may change.
 */
export const ERROR_CODES = {
  // 401: who are you?
  auth_missing: 401,
  auth_malformed: 401,
  auth_bad_signature: 401,
  auth_expired: 401,
  auth_unknown_key: 401,
  auth_revoked_key: 401,
  auth_bad_algorithm: 401,
  // 403: you may not
  permission_denied: 403,
  // 4xx: what you asked for
  validation_failed: 400,
  not_found: 404,
  conflict: 409,
  file_not_ready: 409,
  file_rejected: 422,
  upload_too_large: 413,
  unsupported_media: 415,
  // webhooks
  /** The webhook URL points at a loopback, private, link-local or metadata address. */
  webhook_url_forbidden: 400,
  /** A job's `webhookUrl` needs the key's signing secret first: `POST /v1/webhooks/signing-secret`. */
  webhook_secret_missing: 409,
  /** The key already has `VOD_WEBHOOK_MAX_ENDPOINTS` endpoints. */
  webhook_limit_reached: 429,
  // 5xx: our side
  internal: 500,
  unavailable: 503,
  /** Too many on-demand thumbnails are rendering; retry after `Retry-After`. */
  render_busy: 503,
  /** An on-demand thumbnail took longer than the render timeout. */
  render_timeout: 503,
  // Text tracks (POST /v1/videos/:videoId/tracks)
  captions_malformed: 422,
  captions_too_large: 413,
  too_many_tracks: 409,
  // Hardening (issue 5)
  /** tus upload URLs take no query string: the id acted on is the one in the path, nothing else. */
  query_not_allowed: 400,
  /** A token whose `exp` is further away than the server's maximum token lifetime. */
  auth_token_lifetime: 401,
  /** The demo token route answers only pages of this server's own origin. */
  cross_origin_refused: 403,
  /** A request body sent nothing for longer than the idle timeout. */
  request_timeout: 408,
  /** Request headers larger than the server accepts. */
  headers_too_large: 431,
  /** Too many open event streams (per key, or for the whole server). */
  too_many_streams: 429,
  /** The key has as many queued + processing jobs as it may. */
  too_many_jobs: 429,
  /** The key has as many unfinished uploads (count or reserved bytes) as it may. */
  too_many_uploads: 429,
  /** This client address started as many on-demand thumbnail renders as it may for now (Retry-After). */
  too_many_renders: 429,
  // protected playback (/stream, /embed): 401 = bring a (new) playback token, 403 = this one never works here
  playback_token_missing: 401,
  playback_token_invalid: 401,
  playback_token_expired: 401,
  playback_token_wrong_video: 403,
  origin_not_allowed: 403,
  range_not_satisfiable: 416,
  // The Studio (issue 16)
  /** The API key and secret (or the sign-in link) do not sign anyone in; which of them is wrong is not said. */
  sign_in_failed: 401,
  /** This client address failed to sign in too often; retry after `Retry-After`. */
  too_many_sign_ins: 429,
  // clips, watermarks (issue 15)
  /** The job's `fileId` is a still image: it can be a watermark, not a video's source. */
  not_a_video: 400,
  /** A watermark's `fileId` is missing, another key's, not ready, or not an image. */
  watermark_invalid: 400,
  // link ingest (POST /v1/files with {url})
  /** Not an http(s) URL, or its host is a loopback, private, link-local or metadata address. */
  url_not_allowed: 400,
  // viewer analytics (issue 16)
  /** A beacon body over 16 KB. */
  beacon_too_large: 413,
  /** This client address sent more beacons than the server takes per second (Retry-After). */
  too_many_beacons: 429,
  /** `GET /metrics` without the right `Authorization: Bearer $VOD_METRICS_TOKEN`. */
  metrics_token_invalid: 401,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Reasons a file is rejected after upload: stable, shown in `FileRecord.reason.code`. */
export type RejectCode =
  | 'probe_failed'
  | 'probe_timeout'
  | 'unsupported_container'
  | 'no_media_streams'
  | 'too_many_streams'
  | 'too_many_pixels'
  | 'too_long'
  | 'unsupported_codec'
  // Link ingest: why a download from a URL ended without a file to probe.
  /** A redirect led to a refused address or scheme (loopback, private, link-local, metadata; not http(s)). */
  | 'url_not_allowed'
  /** The origin sent (or announced in `Content-Length`) more than the server's upload cap. */
  | 'upload_too_large'
  /** The origin answered with an error status, or the connection failed and could not be resumed. */
  | 'download_failed'
  /** The origin sent nothing for the idle timeout (60 s by default). */
  | 'download_stalled'
  /** The download took longer than the server's total download time limit. */
  | 'download_timeout'
  /** The server stopped (crash or restart) while downloading; send the URL again. */
  | 'download_interrupted';

/** Why a job ended without completing: stable, shown in `EncoderJob.error.code`. */
export type JobErrorCode =
  /** ffmpeg failed; the message ends with its last error line. */
  | 'encode_failed'
  /** ffmpeg ran longer than the server's encode timeout and was killed. */
  | 'encode_timeout'
  /** The source file vanished or is no longer ready when the job started. */
  | 'source_missing'
  /** The source's media end far earlier than its header said (a cut file): the output would be a stub. */
  | 'source_truncated'
  /** A frame past the first is larger than `VOD_MAX_PIXELS` (the probe reads only the first): nothing is kept. */
  | 'too_many_pixels'
  /** The source holds more than `VOD_MAX_DURATION_S` of media, whatever its header said: nothing is kept. */
  | 'too_long'
  /** `DELETE /v1/encoder/jobs/:jobId`. */
  | 'cancelled'
  /** A bug on our side; details are in the server log. */
  | 'internal';

/** The error the typed client throws for any non-2xx answer. */
export class VodkitError extends Error {
  override readonly name = 'VodkitError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'network_error',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
