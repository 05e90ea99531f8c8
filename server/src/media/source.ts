import { DEMUXER_ALLOWLIST, SAFE_INPUT_OPTIONS } from './ffmpeg.ts';

/*
 * Where ffprobe and ffmpeg read an (untrusted) source: a local path in the embedded mode, a presigned
 * GET URL when sources live in S3 (issue 8). Only the second widens ffmpeg's protocol whitelist, and
 * only for a `SignedSourceUrl`, which storage/ makes from a URL it presigned itself: any string,
 * even one that looks like `https://…` or `file:…`, is a local path and is opened as `file:<string>`
 * with `-protocol_whitelist file`.
 */

/** `#url` makes the class nominal: no object literal or other class passes for one. */
export class SignedSourceUrl {
  readonly #url: string;
  readonly #protocols: string;

  private constructor(url: URL) {
    this.#url = url.href;
    // TLS needs tls and tcp under https; a plain-http endpoint (a store on a private network) needs http.
    this.#protocols = url.protocol === 'https:' ? 'https,tls,tcp' : 'http,tcp';
  }

  /**
   * For storage/ only, with a URL it presigned itself. Anything but http(s) is a bug and throws:
   * nothing a client sends ever reaches here.
   */
  static presigned(url: string): SignedSourceUrl {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new Error(`a signed source URL must be http(s), got ${parsed.protocol}`);
    }
    return new SignedSourceUrl(parsed);
  }

  static is(value: unknown): value is SignedSourceUrl {
    return typeof value === 'object' && value !== null && #url in value;
  }

  get href(): string {
    return this.#url;
  }

  get protocolWhitelist(): string {
    return this.#protocols;
  }

  /** The signature is a credential for hours: a URL that ends up in a message or a log says only this. */
  toString(): string {
    return '<signed source URL>';
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A local file path, or a URL storage/ presigned. */
export type SourceInput = string | SignedSourceUrl;

/**
 * Network reads of a signed source: an idle socket fails after this (µs), and the HTTP protocol
 * then reconnects at the same offset. Without it, ffmpeg 5.1 waits on a stalled response forever
 * (checked: a server that stops sending mid-body hangs ffmpeg until it is killed; with 3 s here it
 * logs "Will reconnect at <offset> … Connection timed out" and finishes the file).
 */
const RW_TIMEOUT_US = 30_000_000;

/**
 * The input options for one source, to go before its `-i` (or before ffprobe's input): the demuxer
 * allowlist always; `-protocol_whitelist file` for a path; for a signed URL only the protocols an
 * HTTP(S) GET needs, and reconnection. ffmpeg 5.1's http protocol: `-reconnect 1` reconnects after a
 * disconnect before EOF (a seekable S3 object resumes with a Range at the offset reached),
 * `-reconnect_streamed 1` does the same where the server offered no ranges, and
 * `-reconnect_delay_max 5` gives up once the next wait would pass 5 s (it waits 0, 1, then 3 s).
 */
export function sourceInputOptions(source: SourceInput): string[] {
  if (!SignedSourceUrl.is(source)) return [...SAFE_INPUT_OPTIONS];
  return [
    '-protocol_whitelist',
    source.protocolWhitelist,
    '-format_whitelist',
    DEMUXER_ALLOWLIST.join(','),
    '-reconnect',
    '1',
    '-reconnect_streamed',
    '1',
    '-reconnect_delay_max',
    '5',
    '-rw_timeout',
    String(RW_TIMEOUT_US),
  ];
}

/**
 * What goes after `-i`: `file:<path>` (so that a name with a colon is never read as another
 * protocol, and a path that looks like a URL stays a path) or the signed URL itself.
 */
export function sourceTarget(source: SourceInput): string {
  return SignedSourceUrl.is(source) ? source.href : `file:${source}`;
}

/** The strings to scrub from ffmpeg's messages before a client sees them: paths and signatures. */
export function sourceRedactions(source: SourceInput): [string, string][] {
  if (SignedSourceUrl.is(source)) {
    // ffmpeg prints the URL whole or cut at the query: never the signature, never our bucket layout.
    return [
      [source.href, 'source'],
      [source.href.split('?')[0]!, 'source'],
    ];
  }
  return [
    [`file:${source}`, 'source'],
    [source, 'source'],
  ];
}
