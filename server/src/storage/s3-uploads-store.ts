import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import type { KvStore, Locker } from '@tus/utils';
import { isValidId } from '../ids.ts';
import { SignedSourceUrl, type SourceInput } from '../media/source.ts';
import { S3BlobStore, type S3BlobStoreOptions, s3ClientConfig } from './s3-blob-store.ts';
import {
  isMissing,
  LazyLocker,
  toInfo,
  UPLOAD_EXPIRY_MS,
  type UploadInfo,
  type UploadsStore,
} from './uploads-store.ts';

/**
 * Nothing cached: every node reads tus's `<id>.info` from S3. With S3Store's default in-memory cache
 * a node would keep an upload that another node terminated, and report it complete (its multipart
 * upload is gone, which S3Store reads as "finished").
 */
class NoCache<T> implements KvStore<T> {
  async get(): Promise<T | undefined> {
    return undefined;
  }
  async set(): Promise<void> {}
  async delete(): Promise<void> {}
}

/** Presigned source URLs outlive the encode timeout by this (the probes that come before it). */
const SOURCE_URL_MARGIN_S = 15 * 60;
/** SigV4 presigned URLs live 7 days at most. */
const MAX_PRESIGN_S = 7 * 24 * 3600;

export interface S3UploadsOptions {
  s3: S3BlobStoreOptions;
  /** A BlobStore on the same bucket to share its client (presigning, deletes); made when absent. */
  blobs?: S3BlobStore;
  makeLocker: () => Locker;
  /** The encode timeout, ms: source URLs live at least this long. */
  encodeTimeoutMs: number;
}

/**
 * Uploads in S3 through @tus/s3-store: the source is the object `<id>` at the bucket's root, tus keeps
 * `<id>.info` (its JSON) and `<id>.part` (a tail under the 5 MiB minimum part) beside it, and the
 * multipart upload carries the parts until the last byte. S3Store has no key prefix option.
 */
export class S3UploadsStore implements UploadsStore {
  readonly kind = 's3' as const;
  readonly datastore: S3Store;
  readonly #lockers: LazyLocker;
  readonly #s3: S3BlobStore;
  readonly #urlSeconds: number;

  constructor(options: S3UploadsOptions) {
    this.#s3 = options.blobs ?? new S3BlobStore(options.s3);
    this.#lockers = new LazyLocker(options.makeLocker);
    this.#urlSeconds = Math.min(
      MAX_PRESIGN_S,
      Math.ceil(options.encodeTimeoutMs / 1000) + SOURCE_URL_MARGIN_S,
    );
    const o = options.s3;
    this.datastore = new S3Store({
      partSize: 8 * 1024 * 1024,
      expirationPeriodInMilliseconds: UPLOAD_EXPIRY_MS,
      // Expiry is our own sweep (FileService), not a bucket lifecycle rule reading tags.
      useTags: false,
      cache: new NoCache(),
      // The blob store's settings (radosgw needs its checksum choice for streamed bodies too).
      s3ClientConfig: { bucket: o.bucket, ...s3ClientConfig(o) },
    });
  }

  get locker(): Locker {
    return this.#lockers.get();
  }

  /** How long a source URL lives, seconds (≥ the encode timeout, ≤ SigV4's 7 days). */
  get sourceUrlSeconds(): number {
    return this.#urlSeconds;
  }

  async info(id: string): Promise<UploadInfo | null> {
    if (!isValidId(id)) return null;
    try {
      return toInfo(await this.datastore.getUpload(id), Date.now());
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async list(): Promise<UploadInfo[]> {
    const out: UploadInfo[] = [];
    const listed = new Set<string>();
    for (const key of await this.#rootKeys()) {
      const id = key.endsWith('.info') ? key.slice(0, -'.info'.length) : null;
      if (!id || !isValidId(id)) continue;
      listed.add(id);
      const info = await this.info(id).catch(() => null);
      if (info) out.push(info);
    }
    // A multipart upload without its `.info` (we died inside tus's creation): half created.
    for (const { id, initiatedMs } of await this.#multipartUploads()) {
      if (listed.has(id)) continue;
      listed.add(id);
      out.push({ id, size: null, offset: 0, metadata: {}, createdAtMs: initiatedMs });
    }
    return out;
  }

  /** Multipart uploads in progress whose key is an upload id (`prefix` narrows to one). */
  async #multipartUploads(prefix?: string): Promise<{ id: string; uploadId: string; initiatedMs: number }[]> {
    const out: { id: string; uploadId: string; initiatedMs: number }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const res = await this.#s3.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.#s3.bucket,
          Delimiter: '/',
          ...(prefix ? { Prefix: prefix } : {}),
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const u of res.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !isValidId(u.Key)) continue;
        out.push({ id: u.Key, uploadId: u.UploadId, initiatedMs: u.Initiated?.getTime() ?? Date.now() });
      }
      if (!res.IsTruncated) return out;
      keyMarker = res.NextKeyMarker;
      uploadIdMarker = res.NextUploadIdMarker;
    }
  }

  /** Keys at the bucket's root only (tus's), not the outputs under `videos/` and the like. */
  async #rootKeys(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.#s3.client.send(
        new ListObjectsV2Command({ Bucket: this.#s3.bucket, Delimiter: '/', ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async remove(id: string): Promise<void> {
    if (!isValidId(id)) throw new Error(`invalid upload id "${id}"`);
    // Aborts an unfinished multipart upload; throws for a finished one (nothing to abort) or a gone one.
    await this.datastore.remove(id).catch(() => {});
    await this.#s3.client.send(
      new DeleteObjectsCommand({
        Bucket: this.#s3.bucket,
        Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }, { Key: `${id}.part` }], Quiet: true },
      }),
    );
    // One tus never recorded in `.info` (half created) is aborted by key.
    for (const u of await this.#multipartUploads(id)) {
      if (u.id !== id) continue;
      await this.#s3.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#s3.bucket, Key: id, UploadId: u.uploadId }),
      );
    }
  }

  async source(id: string): Promise<SourceInput> {
    if (!isValidId(id)) throw new Error(`invalid upload id "${id}"`);
    return SignedSourceUrl.presigned(await this.#s3.presignGet(id, this.#urlSeconds));
  }

  /** The object `<id>` at the bucket's root, as a finished tus upload's, through lib-storage's multipart. */
  async putSource(id: string, body: Readable, maxBytes: number): Promise<void> {
    if (!isValidId(id)) throw new Error(`invalid upload id "${id}"`);
    await this.#s3.putStreamUpTo(id, body, maxBytes);
  }

  async close(): Promise<void> {
    await this.#lockers.close();
  }
}
