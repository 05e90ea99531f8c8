import fs from 'node:fs';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import { MemoryLocker } from '@tus/server';
import { type DataStore, ERRORS, type KvStore, type Locker, type Upload } from '@tus/utils';
import type { Config } from '../config.ts';
import { isValidId } from '../ids.ts';
import { SignedSourceUrl, type SourceInput } from '../media/source.ts';
import { S3BlobStore, type S3BlobStoreOptions, s3ClientConfig } from './blob-store.ts';
import { PgLocker } from './pg-locker.ts';

/** Unfinished uploads older than this answer 410 and are swept (tus `expiration`). */
export const UPLOAD_EXPIRY_MS = 24 * 3600_000;

/** What the server knows of one upload, whichever store holds it. */
export interface UploadInfo {
  id: string;
  /** Declared length; null while deferred, or when tus never finished creating the upload. */
  size: number | null;
  /** Bytes received so far. */
  offset: number;
  /** tus `Upload-Metadata` (our owner key included); empty when the upload is half created. */
  metadata: Record<string, string | null>;
  /** When tus created it (ms since the epoch); a half-created upload's bytes' mtime. */
  createdAtMs: number;
}

/**
 * The one owner of tus storage (issue 8): the tus datastore and locker for routes/uploads.ts, and
 * everything else the server asks of uploads (their info, removal, the sweep's list, where the
 * encoder reads a source). Local disk (@tus/file-store + an in-process lock) by default; S3
 * (@tus/s3-store) with a PostgreSQL lock when API nodes are several.
 */
export interface UploadsStore {
  readonly kind: 'local' | 's3';
  readonly datastore: DataStore;
  readonly locker: Locker;
  /** Null when there is no such upload. */
  info(id: string): Promise<UploadInfo | null>;
  /** Every upload the store holds, finished or not, half-created ones included. */
  list(): Promise<UploadInfo[]>;
  /** Removes the upload's bytes and tus's bookkeeping; no error when it is already gone. */
  remove(id: string): Promise<void>;
  /**
   * Where ffprobe and ffmpeg read the upload: its path, or a presigned GET URL that lives at least
   * the encode timeout (a worker may read it for that long).
   */
  source(id: string): Promise<SourceInput>;
  /** Releases the locker's connections and the S3 client. */
  close(): Promise<void>;
}

const complete = (u: UploadInfo): boolean => u.size !== null && u.offset === u.size;
export const isCompleteUpload = complete;

function toInfo(upload: Upload, fallbackCreatedMs: number): UploadInfo {
  const created = upload.creation_date ? Date.parse(upload.creation_date) : Number.NaN;
  return {
    id: upload.id,
    size: typeof upload.size === 'number' && Number.isFinite(upload.size) ? upload.size : null,
    offset: upload.offset,
    metadata: (upload.metadata ?? {}) as Record<string, string | null>,
    createdAtMs: Number.isFinite(created) ? created : fallbackCreatedMs,
  };
}

const isMissing = (err: unknown): boolean =>
  err === ERRORS.FILE_NOT_FOUND ||
  err === ERRORS.FILE_NO_LONGER_EXISTS ||
  (typeof err === 'object' &&
    err !== null &&
    'status_code' in err &&
    ((err as { status_code: number }).status_code === 404 ||
      (err as { status_code: number }).status_code === 410));

/**
 * The locker, made when tus first needs it: a worker reads sources but serves no tus, so it never
 * opens PgLocker's pool and LISTEN connection.
 */
class LazyLocker {
  #locker: Locker | null = null;
  constructor(readonly make: () => Locker) {}
  get(): Locker {
    this.#locker ??= this.make();
    return this.#locker;
  }
  async close(): Promise<void> {
    if (this.#locker instanceof PgLocker) await this.#locker.close();
  }
}

/**
 * `<uploadsDir>/<id>` and tus's `<id>.json`. FileStore never updates the `offset` in its info file;
 * its `getUpload` stats the bytes, which is what this reads.
 */
export class LocalUploadsStore implements UploadsStore {
  readonly kind = 'local' as const;
  #datastore: FileStore | null = null;

  readonly #lockers: LazyLocker;

  constructor(
    readonly directory: string,
    makeLocker: () => Locker = () => new MemoryLocker(),
  ) {
    fs.mkdirSync(directory, { recursive: true });
    this.#lockers = new LazyLocker(makeLocker);
  }

  get locker(): Locker {
    return this.#lockers.get();
  }

  /** Made on first use: FileStore's constructor starts an un-awaited mkdir whose failure would crash. */
  get datastore(): FileStore {
    this.#datastore ??= new FileStore({
      directory: this.directory,
      expirationPeriodInMilliseconds: UPLOAD_EXPIRY_MS,
    });
    return this.#datastore;
  }

  #path(id: string): string {
    if (!isValidId(id)) throw new Error(`invalid upload id "${id}"`);
    return path.join(this.directory, id);
  }

  async info(id: string): Promise<UploadInfo | null> {
    if (!isValidId(id)) return null;
    try {
      const upload = await this.datastore.getUpload(id);
      return toInfo(upload, (await fs.promises.stat(this.#path(id))).mtimeMs);
    } catch (err) {
      // A torn info file (we died while tus created it) reads like a missing one.
      if (isMissing(err) || err instanceof SyntaxError || (err as NodeJS.ErrnoException).code === 'ENOENT')
        return null;
      throw err;
    }
  }

  async list(): Promise<UploadInfo[]> {
    const names = await fs.promises.readdir(this.directory).catch(() => [] as string[]);
    const out: UploadInfo[] = [];
    for (const name of names) {
      if (!isValidId(name)) continue; // skips `<id>.json` and anything that is not ours
      try {
        const stat = await fs.promises.stat(this.#path(name));
        if (!stat.isFile()) continue;
        const info = await this.info(name);
        // No or torn info file: an upload that never finished being created.
        out.push(
          info ?? { id: name, size: null, offset: stat.size, metadata: {}, createdAtMs: stat.mtimeMs },
        );
      } catch {
        // removed while we looked
      }
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    const file = this.#path(id);
    await fs.promises.rm(file, { force: true });
    await fs.promises.rm(`${file}.json`, { force: true });
  }

  async source(id: string): Promise<SourceInput> {
    return this.#path(id);
  }

  async close(): Promise<void> {
    await this.#lockers.close();
  }
}

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

  async close(): Promise<void> {
    await this.#lockers.close();
  }
}

/**
 * Builds the uploads store from the configuration: S3 when `VOD_S3_*` is set (sharing `s3` when the
 * caller has one), local disk under `uploadsDir` otherwise; the PostgreSQL lock when
 * `VOD_DATABASE_URL` is set (API nodes are several), tus's in-process lock otherwise.
 */
export function createUploadsStore(
  config: Pick<Config, 'scale' | 'encodeTimeoutMs'>,
  uploadsDir: string,
  s3?: S3BlobStore,
): UploadsStore {
  const { databaseUrl } = config.scale;
  const makeLocker = (): Locker => (databaseUrl ? new PgLocker(databaseUrl) : new MemoryLocker());
  if (!config.scale.s3) return new LocalUploadsStore(uploadsDir, makeLocker);
  return new S3UploadsStore({
    s3: config.scale.s3,
    ...(s3 ? { blobs: s3 } : {}),
    makeLocker,
    encodeTimeoutMs: config.encodeTimeoutMs,
  });
}
