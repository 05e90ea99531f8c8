import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * Where encoder outputs (and, later, sources) live, seen as objects under `/`-separated keys:
 * local disk for the zero-config default, any S3-compatible store when API nodes and workers run
 * on separate machines (issue 8). Both implementations pass server/test/blob-store-contract.ts.
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /** Stores a local file under `key`. Readers see the previous object or the whole new one, never part. */
  putFile(key: string, filePath: string, contentType?: string): Promise<void>;
  /**
   * Stores exactly `size` bytes read from `body`, as atomically as `putFile`. A body that ends short
   * or runs long is refused and leaves nothing behind: S3 needs the length up front anyway.
   */
  putStream(key: string, body: Readable, size: number, contentType?: string): Promise<void>;
  /** The object's bytes, or the inclusive byte range asked for; null when there is no such object. */
  get(key: string, range?: ByteRange): Promise<BlobBody | null>;
  stat(key: string): Promise<BlobStat | null>;
  /** Every key under a folder-like prefix (`''` or ending with `/`), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes every object under a folder-like prefix (never `''`: the whole store); returns how many went. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * A URL anyone can GET the object from for `expiresInSeconds`, or null where the store has no such
   * thing (local disk: the API streams the bytes itself).
   */
  presignGet(key: string, expiresInSeconds: number): Promise<string | null>;
}

/** Inclusive, as in an HTTP `Range` header; `end` omitted means to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobStat {
  size: number;
  contentType: string | null;
}

export interface BlobBody {
  stream: Readable;
  /** Bytes in `stream`. */
  length: number;
  /** Size of the whole object. */
  totalSize: number;
  /** The inclusive range served (the whole object when none was asked). */
  start: number;
  end: number;
  contentType: string | null;
}

/** The range asked for starts past the end of the object (HTTP 416). */
export class BlobRangeError extends Error {
  constructor(
    readonly key: string,
    readonly totalSize: number | null,
  ) {
    super(`range not satisfiable for "${key}"`);
  }
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Keys are ours (ids and rendition names), so anything outside a narrow alphabet is a bug: refuse it. */
export function assertKey(key: string): void {
  const parts = key.split('/');
  if (key.length > 512 || parts.some((p) => !SEGMENT.test(p) || p.endsWith('.tmp'))) {
    throw new Error(`invalid blob key "${key}"`);
  }
}

function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new Error(`blob prefix "${prefix}" must end with "/"`);
  assertKey(prefix.slice(0, -1));
}

function assertDeletablePrefix(prefix: string): void {
  if (prefix === '') throw new Error('refusing to delete every object of the store');
  assertPrefix(prefix);
}

function checkRange(key: string, range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (!range) return { start: 0, end: size - 1 };
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isInteger(range.start) || range.start < 0 || range.start >= size || end < range.start) {
    throw new BlobRangeError(key, size);
  }
  return { start: range.start, end };
}

/** Counts bytes through, failing the pipeline as soon as the body runs past `size`. */
function exactLength(key: string, size: number): Transform & { seen: () => number } {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(new Error(`body for "${key}" is longer than ${size} bytes`));
      else done(null, chunk);
    },
  });
  return Object.assign(t, { seen: () => seen });
}

/**
 * Objects as files under `root` (`key` a/b/c → root/a/b/c). Writes go to a hidden temp file in the
 * same folder and are renamed into place, which is atomic on one filesystem.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;

  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  #path(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async #writeAtomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const dest = this.#path(key);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    const tmp = path.join(
      path.dirname(dest),
      `.${path.basename(dest)}.${crypto.randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await write(tmp);
      await fs.promises.rename(tmp, dest);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
  }

  putFile(key: string, filePath: string): Promise<void> {
    return this.#writeAtomically(key, (tmp) => fs.promises.copyFile(filePath, tmp));
  }

  putStream(key: string, body: Readable, size: number): Promise<void> {
    return this.#writeAtomically(key, async (tmp) => {
      const counter = exactLength(key, size);
      await pipeline(body, counter, fs.createWriteStream(tmp));
      if (counter.seen() !== size) throw new Error(`body for "${key}" ended at ${counter.seen()} of ${size}`);
    });
  }

  async get(key: string, range?: ByteRange): Promise<BlobBody | null> {
    const file = this.#path(key);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // Size and bytes come from the same open file, so a concurrent replace cannot mix two versions.
    try {
      const { size } = await handle.stat();
      const { start, end } = checkRange(key, range, size);
      const stream =
        size === 0 ? Readable.from([]) : handle.createReadStream({ start, end, autoClose: true });
      if (size === 0) await handle.close();
      return {
        stream,
        length: size === 0 ? 0 : end - start + 1,
        totalSize: size,
        start,
        end,
        contentType: null,
      };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const st = await fs.promises.stat(this.#path(key));
      return st.isFile() ? { size: st.size, contentType: null } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertPrefix(prefix);
    const dir = path.join(this.root, ...prefix.split('/').filter(Boolean));
    let entries: string[];
    try {
      entries = await fs.promises.readdir(dir, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const keys: string[] = [];
    for (const rel of entries) {
      const parts = rel.split(path.sep);
      if (parts.some((p) => p.startsWith('.'))) continue; // in-flight temp files
      if ((await fs.promises.stat(path.join(dir, rel))).isFile()) keys.push(prefix + parts.join('/'));
    }
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertDeletablePrefix(prefix);
    const keys = await this.list(prefix);
    await fs.promises.rm(path.join(this.root, ...prefix.split('/').filter(Boolean)), {
      recursive: true,
      force: true,
    });
    return keys.length;
  }

  async presignGet(): Promise<string | null> {
    return null;
  }
}

export interface S3BlobStoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Buckets as the first path segment (needed by radosgw, MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
}

/** The client settings for a bucket, shared by `S3BlobStore` and tus' S3Store (uploads-store.ts). */
export function s3ClientConfig(options: S3BlobStoreOptions): S3ClientConfig {
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    // The SDK's default CRC checksums turn streamed bodies into aws-chunked uploads, which
    // S3-compatible stores (radosgw) answer with 411; checksum only where the API demands one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Objects in one S3 bucket. S3 PUTs are atomic per object, so no temp keys are needed. */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client(s3ClientConfig(options));
  }

  /**
   * Creates the bucket when missing and sets its CORS rule, at start-up: players fetch segments
   * straight from presigned URLs, cross-origin, and read Content-Range for ranged requests.
   */
  async ensureBucket(corsOrigins: string[]): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const name = (err as Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
    }
    await this.client.send(
      new PutBucketCorsCommand({
        Bucket: this.bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: corsOrigins,
              AllowedMethods: ['GET', 'HEAD'],
              AllowedHeaders: ['Range'],
              ExposeHeaders: ['Content-Length', 'Content-Range', 'ETag'],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    );
  }

  async putFile(key: string, filePath: string, contentType?: string): Promise<void> {
    const { size } = await fs.promises.stat(filePath);
    await this.putStream(key, fs.createReadStream(filePath), size, contentType);
  }

  async putStream(key: string, body: Readable, size: number, contentType?: string): Promise<void> {
    assertKey(key);
    const counter = exactLength(key, size);
    body.once('error', (err) => counter.destroy(err));
    body.pipe(counter);
    // A short body would leave the store waiting for bytes that never come, and a long one would be
    // cut silently: either fails here first and aborts the request.
    const bad = new Promise<never>((_, reject) => {
      counter.once('error', reject);
      counter.once('end', () => {
        if (counter.seen() !== size)
          reject(new Error(`body for "${key}" ended at ${counter.seen()} of ${size}`));
      });
    });
    const abort = new AbortController();
    bad.catch(() => abort.abort());
    const put = this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: counter,
        ContentLength: size,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
      { abortSignal: abort.signal },
    );
    put.catch(() => {}); // once `bad` has rejected, the aborted request's rejection says nothing new
    await Promise.race([put, bad]);
  }

  async get(key: string, range?: ByteRange): Promise<BlobBody | null> {
    assertKey(key);
    if (
      range &&
      (!Number.isInteger(range.start) || range.start < 0 || (range.end ?? range.start) < range.start)
    ) {
      throw new BlobRangeError(key, null);
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
        }),
      );
      const length = res.ContentLength ?? 0;
      const m = /bytes (\d+)-(\d+)\/(\d+)/.exec(res.ContentRange ?? '');
      const [start, end, totalSize] = m
        ? [Number(m[1]), Number(m[2]), Number(m[3])]
        : [0, length - 1, length];
      return {
        stream: res.Body as Readable,
        length,
        totalSize,
        start,
        end,
        contentType: res.ContentType ?? null,
      };
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey') return null;
      if (e.name === 'InvalidRange' || e.$metadata?.httpStatusCode === 416) {
        throw new BlobRangeError(key, (await this.stat(key))?.size ?? null);
      }
      throw err;
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    assertKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, contentType: res.ContentType ?? null };
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertPrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertDeletablePrefix(prefix);
    const keys = await this.list(prefix);
    // DeleteObjects takes at most 1000 keys per request.
    for (let i = 0; i < keys.length; i += 1000) {
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (res.Errors?.length) {
        const first = res.Errors[0]!;
        throw new Error(`could not delete ${res.Errors.length} objects, e.g. "${first.Key}": ${first.Code}`);
      }
    }
    return keys.length;
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertKey(key);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
