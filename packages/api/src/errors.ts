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
  // 5xx: our side
  internal: 500,
  unavailable: 503,
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
  | 'unsupported_codec';

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
