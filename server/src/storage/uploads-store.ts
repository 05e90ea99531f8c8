import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { MemoryLocker } from '@tus/server';
import { type DataStore, ERRORS, type Locker, type Upload } from '@tus/utils';
import type { Config } from '../config.ts';
import { isValidId } from '../ids.ts';
import type { SourceInput } from '../media/source.ts';
import { PgLocker } from './pg-locker.ts';
import type { S3BlobStore } from './s3-blob-store.ts';

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
  /**
   * Writes a source from a stream of unannounced length (link ingest) where a finished upload's
   * bytes are, so `source`, `remove` and the probe work unchanged. Streamed: on S3 a multipart upload
   * sized for `maxBytes`, never the whole body in memory. When the body fails, nothing is left.
   * No tus bookkeeping is written, so tus never offers the id for resuming.
   */
  putSource(id: string, body: Readable, maxBytes: number): Promise<void>;
  /** Releases the locker's connections and the S3 client. */
  close(): Promise<void>;
}

const complete = (u: UploadInfo): boolean => u.size !== null && u.offset === u.size;
export const isCompleteUpload = complete;

export function toInfo(upload: Upload, fallbackCreatedMs: number): UploadInfo {
  const created = upload.creation_date ? Date.parse(upload.creation_date) : Number.NaN;
  return {
    id: upload.id,
    size: typeof upload.size === 'number' && Number.isFinite(upload.size) ? upload.size : null,
    offset: upload.offset,
    metadata: (upload.metadata ?? {}) as Record<string, string | null>,
    createdAtMs: Number.isFinite(created) ? created : fallbackCreatedMs,
  };
}

export const isMissing = (err: unknown): boolean =>
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
export class LazyLocker {
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

  async putSource(id: string, body: Readable, _maxBytes: number): Promise<void> {
    const file = this.#path(id);
    try {
      await pipeline(body, fs.createWriteStream(file, { flags: 'wx' }));
    } catch (err) {
      await fs.promises.rm(file, { force: true });
      throw err;
    }
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
export async function createUploadsStore(
  config: Pick<Config, 'scale' | 'encodeTimeoutMs'>,
  uploadsDir: string,
  s3?: S3BlobStore,
): Promise<UploadsStore> {
  const { databaseUrl } = config.scale;
  const makeLocker = (): Locker => (databaseUrl ? new PgLocker(databaseUrl) : new MemoryLocker());
  if (!config.scale.s3) return new LocalUploadsStore(uploadsDir, makeLocker);
  // @tus/s3-store and the AWS SDK load only here: the embedded default never loads them.
  const { S3UploadsStore } = await import('./s3-uploads-store.ts');
  return new S3UploadsStore({
    s3: config.scale.s3,
    ...(s3 ? { blobs: s3 } : {}),
    makeLocker,
    encodeTimeoutMs: config.encodeTimeoutMs,
  });
}
