import type { VodUploadEventDetails } from './events.ts';
import { TokenError } from './token-source.ts';

type ErrorDetail = VodUploadEventDetails['vod-upload-error'];

/** Rejection of `upload()`: the same `code` and `message` as the `vod-upload-error` event. */
export class VodUploadError extends Error {
  override readonly name = 'VodUploadError';
  constructor(
    readonly code: ErrorDetail['code'],
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The parts of tus-js-client's `DetailedError` we read; Uppy may wrap it (NetworkError's `cause`). */
interface TusLikeError {
  message?: string;
  cause?: unknown;
  causingError?: unknown;
  isNetworkError?: boolean;
  originalResponse?: { getStatus(): number; getBody(): string } | null;
}

/** Messages for answers that carry no Vodkit error body (a proxy's 413, a gateway's 502, …). */
const BY_STATUS: Record<number, [ErrorDetail['code'], string]> = {
  401: ['auth_missing', 'The upload was not authorised: the token is missing, invalid or expired.'],
  403: ['permission_denied', 'This token may not upload files.'],
  413: ['upload_too_large', 'This file is larger than the server accepts.'],
  415: ['unsupported_media', 'The server does not accept this type of file.'],
};

/**
 * Turns whatever Uppy reports for a failed upload into `{code, message}` for people: the server's own
 * `{error: {code, message}}` when it sent one, else a sentence for the status or the network failure.
 */
export function describeUploadError(error: unknown): Omit<ErrorDetail, 'key' | 'filename'> {
  const chain: TusLikeError[] = [];
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 5; ) {
    chain.push(e as TusLikeError);
    e = (e as TusLikeError).causingError ?? (e as TusLikeError).cause;
  }
  const tokenError = chain.find((e) => e instanceof TokenError);
  if (tokenError) return { code: 'token_unavailable', message: tokenError.message ?? 'No upload token.' };

  const response = chain.find((e) => e.originalResponse)?.originalResponse;
  const status = response?.getStatus() ?? 0;
  if (response && status > 0) {
    const body = parseErrorBody(response.getBody());
    if (body) return { code: body.code, message: body.message, status };
    const [code, message] = BY_STATUS[status] ?? [
      'upload_failed',
      `The upload failed: the server answered HTTP ${status}.`,
    ];
    return { code, message, status };
  }
  return {
    code: 'network_error',
    message: 'The upload server could not be reached. Check the connection, then retry.',
  };
}

function parseErrorBody(text: string | undefined): { code: ErrorDetail['code']; message: string } | null {
  if (!text) return null;
  try {
    const json = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = json.error ?? {};
    if (typeof code === 'string' && typeof message === 'string') {
      return { code: code as ErrorDetail['code'], message };
    }
  } catch {
    // not JSON: fall back to the status
  }
  return null;
}
