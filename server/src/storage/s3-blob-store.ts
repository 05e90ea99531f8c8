import fs from 'node:fs';
import type { Readable } from 'node:stream';
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
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertDeletablePrefix,
  assertKey,
  assertPrefix,
  type BlobBody,
  BlobRangeError,
  type BlobStat,
  type BlobStore,
  type ByteRange,
  exactLength,
} from './blob-store.ts';

/*
 * The S3 side of the BlobStore seam. Its own module, loaded (with the AWS SDK) only when S3 is
 * configured: outputs-factory.ts and uploads-store.ts import() it on that path alone, so the
 * embedded default never loads the SDK.
 */

export interface S3BlobStoreOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Buckets as the first path segment (needed by radosgw, MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
  /**
   * Tries per request, the first included: the only retry layer (the output sink does not retry on
   * top). Default 4. Every body sent is a buffer the SDK can send again.
   */
  maxAttempts?: number;
  /** Objects above this many bytes go up as a multipart upload (default 16 MiB). */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads, at least S3's 5 MiB minimum (default 8 MiB; more for huge objects). */
  partSizeBytes?: number;
}

/** S3's floor for every part but the last, and its cap on parts per upload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
/**
 * A single PUT holds the whole object in memory (so that a retry can send it again), a multipart
 * upload `PART_QUEUE` parts and the one being read: with the sink's 4 uploads at once, a worker
 * buffers at most ~64 MiB of single PUTs or ~100 MiB of parts.
 * One PutObject also stops at 5 GiB, and a 4 h MP4 download reaches ~9 GB.
 */
const DEFAULT_MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
const PART_QUEUE = 2;
const DEFAULT_ATTEMPTS = 4;

/** The client settings for a bucket, shared by `S3BlobStore` and tus' S3Store (s3-uploads-store.ts). */
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
    // Retries live here, once: exponential back-off with jitter on 5xx, throttling and resets.
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? DEFAULT_ATTEMPTS,
  };
}

/** Objects in one S3 bucket. S3 PUTs are atomic per object, so no temp keys are needed. */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly #threshold: number;
  readonly #partBytes: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client(s3ClientConfig(options));
    this.#partBytes = options.partSizeBytes ?? DEFAULT_PART_BYTES;
    this.#threshold = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD;
    if (this.#partBytes < MIN_PART_BYTES) {
      throw new Error(`S3 parts must be at least ${MIN_PART_BYTES} bytes, got ${this.#partBytes}`);
    }
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

  /**
   * Up to the threshold: read whole into memory, then one PutObject whose body the SDK's retries can
   * send again (a stream, once read, cannot be). Above it: a multipart upload of buffered parts, each
   * retried alone; a failed one is aborted, so no parts are left behind.
   */
  async putStream(key: string, body: Readable, size: number, contentType?: string): Promise<void> {
    assertKey(key);
    const type = contentType ? { ContentType: contentType } : {};
    if (size <= this.#threshold) {
      const chunks: Buffer[] = [];
      await pipeline(body, exactLength(key, size), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk);
      });
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: Buffer.concat(chunks, size),
          ContentLength: size,
          ...type,
        }),
      );
      return;
    }
    const counted = exactLength(key, size);
    const piped = pipeline(body, counted);
    piped.catch(() => {}); // its error reaches the upload through `counted`
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted, ...type },
      // Huge objects get larger parts: S3 takes 10,000 parts at most.
      partSize: Math.max(this.#partBytes, Math.ceil(size / (MAX_PARTS - 1))),
      queueSize: PART_QUEUE,
      leavePartsOnError: false,
    });
    await upload.done();
    await piped;
  }

  /**
   * A stream whose length nobody announced (a link ingest's download), up to `maxBytes`: lib-storage's
   * `Upload` buffers one part at a time (`PART_QUEUE` in flight), sends a body shorter than one part
   * as a single PutObject, and aborts the multipart upload when the body fails. Parts are sized so
   * that `maxBytes` fits S3's 10,000 parts. The caller bounds the body to `maxBytes`.
   */
  async putStreamUpTo(key: string, body: Readable, maxBytes: number, contentType?: string): Promise<void> {
    assertKey(key);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ...(contentType ? { ContentType: contentType } : {}),
      },
      partSize: Math.max(this.#partBytes, Math.ceil(maxBytes / (MAX_PARTS - 1))),
      queueSize: PART_QUEUE,
      leavePartsOnError: false,
    });
    await upload.done();
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
