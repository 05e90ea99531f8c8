/**
 * Stable codes of `vod-error`. Pages switch on `code` (e.g. to tell a missing video from an expired
 * token); `message` is for people and may change.
 *
 * | code | when |
 * | --- | --- |
 * | `not_found` | the master or a media playlist answered 404/410 |
 * | `forbidden` | a playlist or segment answered 401/403: a missing, expired or foreign playback token |
 * | `network_error` | playlists or segments could not be loaded, after one retry |
 * | `manifest_invalid` | the URL did not hold an HLS playlist this player understands |
 * | `unsupported_codec` | no rendition uses codecs this browser decodes |
 * | `media_error` | decoding or buffering failed, after one recovery attempt |
 * | `unsupported` | the browser has neither Media Source Extensions nor native HLS |
 * | `unknown` | anything else hls.js or the media element reported |
 */
export const PLAYER_ERROR_CODES = [
  'not_found',
  'forbidden',
  'network_error',
  'manifest_invalid',
  'unsupported_codec',
  'media_error',
  'unsupported',
  'unknown',
] as const;

export type PlayerErrorCode = (typeof PLAYER_ERROR_CODES)[number];

/** Maps an HTTP status of a failed playlist or segment request to a code, when the status says more. */
export function codeForStatus(status: number | undefined): PlayerErrorCode | null {
  if (status === 404 || status === 410) return 'not_found';
  if (status === 401 || status === 403) return 'forbidden';
  return null;
}

/**
 * What a viewer reads for each code (English; other languages in `i18n.ts`). Codes not listed get
 * the generic "could not be played".
 */
export const ERROR_TEXT: Partial<Record<PlayerErrorCode, string>> = {
  not_found: 'This video does not exist, or is not ready yet.',
  forbidden: 'This video is private, or your access to it has expired.',
  network_error: 'The video could not be loaded. Check your connection.',
  unsupported: 'This browser cannot play HLS video.',
  unsupported_codec: 'This browser cannot decode this video.',
};

/** Whether trying again can help: a browser that cannot play the format will not learn to. */
export function isRetryable(code: PlayerErrorCode): boolean {
  return code !== 'unsupported' && code !== 'unsupported_codec';
}
