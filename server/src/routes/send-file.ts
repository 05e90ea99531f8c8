import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { BlobRangeError, type BlobStore } from '../storage/blob-store.ts';

/**
 * Bytes read from disk per chunk. @fastify/send passes `highWaterMark: null`, so Node reads 16 KiB at
 * a time; a bare `fs.createReadStream` reads 64 KiB. 128 KiB halves the reads, thread-pool round trips
 * and socket writes per segment again (server CPU per GiB served, bare node:http on the 2-core box:
 * ~3.0 s at 16 KiB, ~1.8 s at 64 KiB, ~1.5 s at 256 KiB). Not more: each open response holds up to a
 * chunk in its stream and one in the socket, and 256 KiB took the peak RSS at 500 viewers to 335 MiB.
 */
const READ_CHUNK = 128 * 1024;

export interface SendFileOptions {
  contentType: string;
  cacheControl: string;
}

/** A byte range `[start, end]` (inclusive), `'unsatisfiable'`, or null when the request gets the whole file. */
export type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * Parses a `Range` header for a file of `size` bytes. Only one `bytes=` range is honoured; anything
 * malformed, another unit, or several ranges is ignored (RFC 9110 §14.2 lets a server ignore Range),
 * so the client gets a plain 200 instead of an error.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // Suffix: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** Strong ETag from size and mtime: our files are written once under a temp name and renamed. */
export function etagOf(stat: fs.Stats): string {
  return `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
}

/** `If-None-Match` uses the weak comparison: `W/"x"` matches `"x"`. */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * `If-Range` uses the strong comparison: a weak validator never matches, so the client gets the
 * whole (possibly changed) file with 200 rather than a piece of a different one.
 */
function ifRangeHolds(header: string, etag: string, lastModified: string): boolean {
  const value = header.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === etag;
  return value === lastModified;
}

/**
 * Serves one file with what players and CDNs expect: `ETag`, `Last-Modified`, 304s, a single Range
 * with `If-Range`, HEAD without a body, and JSON errors. Replaces @fastify/static on /stream (see
 * docs/architecture.md, "Protected playback"): the path is already contained by storage.
 */
export async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: string,
  options: SendFileOptions,
): Promise<FastifyReply> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch {
    throw new ApiError('not_found', 'no such file');
  }
  if (!stat.isFile()) throw new ApiError('not_found', 'no such file');
  const etag = etagOf(stat);
  const lastModified = stat.mtime.toUTCString();
  reply.header('cache-control', options.cacheControl);
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', etag);
  reply.header('last-modified', lastModified);

  const inm = request.headers['if-none-match'];
  const ims = request.headers['if-modified-since'];
  if (
    (inm !== undefined && noneMatch(inm, etag)) ||
    (inm === undefined && ims !== undefined && Date.parse(ims) >= Math.floor(stat.mtimeMs / 1000) * 1000)
  ) {
    return reply.status(304).send();
  }
  let range = parseRange(request.headers.range, stat.size);
  const ifRange = request.headers['if-range'] as string | undefined;
  if (range && ifRange !== undefined && !ifRangeHolds(ifRange, etag, lastModified)) range = null;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${stat.size}`);
    throw new ApiError('range_not_satisfiable', `the file has ${stat.size} bytes`);
  }
  reply.header('content-type', options.contentType);

  const start = range ? range.start : 0;
  const end = range ? range.end : stat.size - 1;
  const length = stat.size === 0 ? 0 : end - start + 1;
  if (range) {
    reply.status(206);
    reply.header('content-range', `bytes ${start}-${end}/${stat.size}`);
  }
  reply.header('content-length', length);
  if (request.method === 'HEAD' || length === 0) return reply.send();
  return reply.send(fs.createReadStream(file, { start, end, highWaterMark: Math.min(READ_CHUNK, length) }));
}

/** A 302 may be reused briefly (well inside the URL's life); never shared (it may follow a token check). */
const REDIRECT_CACHE = 'private, max-age=60';

export interface SendObjectOptions extends SendFileOptions {
  /** Stream the bytes through the API (`VOD_S3_PROXY=1`) instead of a 302 to a presigned GET. */
  proxy: boolean;
}

/**
 * Serves one object of the output store (scaled out): a 302 to a presigned GET, which keeps the
 * headers already set (the stream gate's `access-control-allow-origin`), or, proxied, the bytes with
 * what `sendFile` gives for a file: ETag, 304, one Range, HEAD without a body. Objects of an attempt are
 * written once, so size and key make a strong ETag. Never for playlists: players would resolve their
 * relative URIs against the store and lose the query that signs them.
 */
export async function sendObject(
  request: FastifyRequest,
  reply: FastifyReply,
  source: { store: BlobStore; presign(key: string): Promise<string | null> },
  key: string,
  options: SendObjectOptions,
): Promise<FastifyReply> {
  const { store } = source;
  if (!options.proxy) {
    const url = await source.presign(key);
    if (url) return reply.header('cache-control', REDIRECT_CACHE).redirect(url, 302);
  }
  const etagOfObject = (size: number) =>
    `"${size.toString(16)}-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}"`;
  reply.header('cache-control', options.cacheControl);
  reply.header('accept-ranges', 'bytes');
  const h = request.headers;
  if (request.method === 'GET' && !h.range && !h['if-none-match']) {
    // The common case (a player's plain GET): one request to the store, not a HEAD and a GET.
    const whole = await store.get(key);
    if (!whole) throw new ApiError('not_found', 'no such file');
    reply.raw.once('close', () => whole.stream.destroy());
    reply.header('etag', etagOfObject(whole.totalSize));
    reply.header('content-type', options.contentType);
    reply.header('content-length', whole.length);
    return reply.send(whole.length === 0 ? '' : whole.stream);
  }
  const stat = await store.stat(key);
  if (!stat) throw new ApiError('not_found', 'no such file');
  const etag = etagOfObject(stat.size);
  reply.header('etag', etag);
  const inm = request.headers['if-none-match'];
  if (inm !== undefined && noneMatch(inm, etag)) return reply.status(304).send();
  let range = parseRange(request.headers.range, stat.size);
  const ifRange = request.headers['if-range'] as string | undefined;
  if (range && ifRange !== undefined && ifRange.trim() !== etag) range = null;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${stat.size}`);
    throw new ApiError('range_not_satisfiable', `the file has ${stat.size} bytes`);
  }
  reply.header('content-type', options.contentType);
  const length = stat.size === 0 ? 0 : range ? range.end - range.start + 1 : stat.size;
  if (range) {
    reply.status(206);
    reply.header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`);
  }
  reply.header('content-length', length);
  if (request.method === 'HEAD' || length === 0) return reply.send();
  let body: Awaited<ReturnType<BlobStore['get']>>;
  try {
    body = await store.get(key, range ?? undefined);
  } catch (err) {
    if (err instanceof BlobRangeError) throw new ApiError('range_not_satisfiable', 'range not satisfiable');
    throw err;
  }
  if (!body) throw new ApiError('not_found', 'no such file');
  // A client gone mid-body must free the store's connection too.
  reply.raw.once('close', () => body.stream.destroy());
  return reply.send(body.stream);
}
