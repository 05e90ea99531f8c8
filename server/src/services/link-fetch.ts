import dns from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ForbiddenAddressError, type GuardedLookup, ingestRefuses, lookupRefusing } from './ssrf.ts';

/*
 * The network half of link ingest: one guarded GET of a URL, its redirects and its resumes, as a
 * stream of chunks. Nothing here knows files, quotas or storage (services/ingest.ts does).
 */

/** Why a download ended without its bytes: the `RejectCode` the file is rejected with. */
export type LinkErrorCode =
  | 'url_not_allowed'
  | 'upload_too_large'
  | 'download_failed'
  | 'download_stalled'
  | 'download_timeout';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Redirect hops followed at most (each one checked again on its resolved address). */
export const MAX_REDIRECTS = 5;
/** Times a download cut midway is resumed with `Range` before the file is rejected. */
export const MAX_RESUMES = 3;
/** Longest URL accepted (what browsers and CDNs commonly take). */
export const MAX_URL_LENGTH = 2048;
/** How long creation waits for DNS before accepting a name it cannot judge yet (the download checks again). */
const CREATION_DNS_TIMEOUT_MS = 2000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The URL's shape: http(s), no credentials, not too long. Throws `url_not_allowed` for a scheme
 * or credentials, and for anything that is not a URL at all.
 */
export function parseLinkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LinkError('url_not_allowed', 'the url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LinkError('url_not_allowed', `only http and https URLs can be ingested, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new LinkError('url_not_allowed', 'the url must not carry credentials');
  }
  if (url.href.length > MAX_URL_LENGTH) {
    throw new LinkError('url_not_allowed', `the url is longer than ${MAX_URL_LENGTH} characters`);
  }
  return url;
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

const refused = (what: string): LinkError =>
  new LinkError(
    'url_not_allowed',
    `${what}: link ingest may not reach loopback, private, link-local, CGNAT, unique-local, NAT64 or cloud metadata addresses`,
  );

/**
 * At creation: the address the URL names (a literal IP, `localhost`, or every address its name
 * resolves to now) passes the ingest rule. A name that does not resolve within 2 s is let through:
 * the download resolves it again and connects only to addresses that pass.
 */
export async function checkLinkAddress(url: URL, allowPrivate: boolean): Promise<void> {
  const host = hostOf(url);
  if (net.isIP(host)) {
    if (ingestRefuses(host, allowPrivate)) throw refused(`${host} is not a public address`);
    return;
  }
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw refused(`${host} is this machine`);
  }
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    dns.promises.lookup(host, { all: true }).catch(() => null),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), CREATION_DNS_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  const bad = addresses?.find((a) => ingestRefuses(a.address, allowPrivate));
  if (bad) throw refused(`${host} resolves to ${bad.address}`);
}

export interface LinkFetchOptions {
  /** The address rule every hop connects by (`ingestRefuses` with the configured flag). */
  refuses(ip: string): boolean;
  /** The origin sending nothing this long (headers or body) ends the download: `download_stalled`. */
  idleTimeoutMs: number;
  /** More bytes than this (announced or received) end it: `upload_too_large`. */
  maxBytes: number;
  /** Aborts everything (total time limit, cancel); its reason is what the generator throws. */
  signal: AbortSignal;
  /** The first answer's announced size (`Content-Length`), null when it gave none. */
  onStart?(total: number | null): void;
  /** Bytes received so far, after each chunk. */
  onBytes?(bytes: number): void;
  /** Wait before resume attempt `n` (1-based); default 250 ms × 2^(n-1). */
  resumeDelayMs?(attempt: number): number;
}

interface Opened {
  res: IncomingMessage;
  /** The URL that answered (after redirects): resumes go there, checked again. */
  url: URL;
}

/**
 * GETs `url` and yields its body: follows up to 5 redirects (each hop's address checked after its
 * own resolution; the socket connects only to the checked address), refuses an announced or actual
 * size over `maxBytes`, and resumes a body cut midway with `Range` (and `If-Range`) when the origin
 * said `Accept-Ranges: bytes`, up to `MAX_RESUMES` times. Throws a `LinkError`, or the signal's reason.
 */
export async function* fetchLink(start: URL, o: LinkFetchOptions): AsyncGenerator<Buffer, void> {
  const lookup = lookupRefusing(o.refuses, 'link ingest');
  let opened: Opened | null = null;
  try {
    opened = await openFollowing(start, null, lookup, o);
    const first = opened.res;
    const status = first.statusCode ?? 0;
    if (status < 200 || status > 299)
      throw new LinkError('download_failed', `the origin answered HTTP ${status}`);
    const total = contentLength(first);
    if (total !== null && total > o.maxBytes) {
      throw new LinkError(
        'upload_too_large',
        `the origin announces ${total} bytes; uploads are limited to ${o.maxBytes} bytes`,
      );
    }
    o.onStart?.(total);
    const ranges = first.headers['accept-ranges']?.toLowerCase() === 'bytes';
    const validator = strongEtag(first.headers.etag) ?? first.headers['last-modified'] ?? null;
    let got = 0;
    let resumes = 0;
    for (;;) {
      try {
        for await (const chunk of idleBounded(opened.res, o.idleTimeoutMs)) {
          got += chunk.length;
          if (got > o.maxBytes) {
            throw new LinkError('upload_too_large', `the origin sent more than ${o.maxBytes} bytes`);
          }
          o.onBytes?.(got);
          yield chunk;
        }
        // Node's parser errors on a body shorter than its Content-Length; this is the belt.
        if (total !== null && got < total) throw new Error(`the body ended at ${got} of ${total} bytes`);
        return;
      } catch (err) {
        opened.res.destroy();
        if (o.signal.aborted) throw o.signal.reason;
        if (err instanceof LinkError) throw err;
        const why = err instanceof Error ? err.message : String(err);
        if (!ranges || resumes >= MAX_RESUMES) {
          throw new LinkError(
            'download_failed',
            `the connection failed after ${got} bytes (${why})${ranges ? `; ${resumes} resumes tried` : ' and the origin does not take Range requests'}`,
          );
        }
        resumes++;
        await delay(o.resumeDelayMs?.(resumes) ?? 250 * 2 ** (resumes - 1), o.signal);
        opened = await openFollowing(opened.url, { from: got, validator }, lookup, o);
        const resumedAt = contentRangeStart(opened.res);
        if (opened.res.statusCode !== 206 || resumedAt !== got) {
          throw new LinkError(
            'download_failed',
            `the connection failed after ${got} bytes and the origin did not resume there (HTTP ${opened.res.statusCode})`,
          );
        }
      }
    }
  } catch (err) {
    if (o.signal.aborted) throw o.signal.reason;
    throw err;
  } finally {
    opened?.res.destroy();
  }
}

/** Follows redirects from `url`, checking each hop; the answer that is not a redirect. */
async function openFollowing(
  url: URL,
  range: { from: number; validator: string | null } | null,
  lookup: GuardedLookup,
  o: LinkFetchOptions,
): Promise<Opened> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await openOnce(current, range, lookup, o);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return { res, url: current };
    res.destroy();
    if (hop >= MAX_REDIRECTS) {
      throw new LinkError('download_failed', `more than ${MAX_REDIRECTS} redirects`);
    }
    let next: URL;
    try {
      next = parseLinkUrl(new URL(location, current).href);
    } catch (err) {
      throw err instanceof LinkError ? new LinkError('url_not_allowed', `a redirect: ${err.message}`) : err;
    }
    current = next;
  }
}

/** One GET: literal IPs checked here, names through the guarded lookup; bounded by the idle timeout. */
function openOnce(
  url: URL,
  range: { from: number; validator: string | null } | null,
  lookup: GuardedLookup,
  o: LinkFetchOptions,
): Promise<IncomingMessage> {
  const host = hostOf(url);
  // Node connects to a literal IP without calling `lookup`: check it here.
  if (net.isIP(host) && o.refuses(host)) return Promise.reject(refused(`${host} is not a public address`));
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      'user-agent': 'Vodkit-Ingest/1',
      accept: '*/*',
      // Bytes as stored: a gzipped body would be probed as junk, and sizes would not add up.
      'accept-encoding': 'identity',
    };
    if (range) {
      headers.range = `bytes=${range.from}-`;
      if (range.validator) headers['if-range'] = range.validator;
    }
    const req = client.request({
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // A fresh connection each time: a pooled socket would skip the address check.
      agent: false,
      lookup,
      headers,
      signal: o.signal,
    });
    const timer = setTimeout(() => {
      req.destroy(new LinkError('download_stalled', `the origin sent nothing for ${o.idleTimeoutMs} ms`));
    }, o.idleTimeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (o.signal.aborted) reject(o.signal.reason);
      else if (err instanceof LinkError) reject(err);
      else if (err instanceof ForbiddenAddressError) reject(refused(err.message));
      else
        reject(new LinkError('download_failed', `could not fetch ${url.host}: ${err.code ?? err.message}`));
    });
    req.end();
  });
}

/** The body's chunks, failing with `download_stalled` when none comes for `idleMs`. */
async function* idleBounded(res: IncomingMessage, idleMs: number): AsyncGenerator<Buffer, void> {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LinkError('download_stalled', `the origin sent nothing for ${idleMs} ms`)),
        idleMs,
      );
    });
    let next: IteratorResult<Buffer>;
    try {
      next = await Promise.race([chunks.next(), stalled]);
    } finally {
      clearTimeout(timer);
    }
    if (next.done) return;
    yield next.value;
  }
}

function contentLength(res: IncomingMessage): number | null {
  const raw = res.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

function contentRangeStart(res: IncomingMessage): number | null {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
  return m ? Number(m[1]) : null;
}

/** If-Range takes only a strong validator: a weak ETag would make every resume a full 200. */
function strongEtag(etag: string | undefined): string | null {
  return etag && !etag.startsWith('W/') ? etag : null;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
