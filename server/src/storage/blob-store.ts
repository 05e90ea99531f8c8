import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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

export function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  if (!prefix.endsWith('/')) throw new Error(`blob prefix "${prefix}" must end with "/"`);
  assertKey(prefix.slice(0, -1));
}

export function assertDeletablePrefix(prefix: string): void {
  if (prefix === '') throw new Error('refusing to delete every object of the store');
  assertPrefix(prefix);
}

export function checkRange(
  key: string,
  range: ByteRange | undefined,
  size: number,
): { start: number; end: number } {
  if (!range) return { start: 0, end: size - 1 };
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isInteger(range.start) || range.start < 0 || range.start >= size || end < range.start) {
    throw new BlobRangeError(key, size);
  }
  return { start: range.start, end };
}

/**
 * Passes exactly `size` bytes: fails as soon as the body runs past `size`, and at its end when it is
 * short (an error instead of an end, so whatever reads it, a file or a multipart upload, never
 * completes with the wrong bytes).
 */
export function exactLength(key: string, size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) done(new Error(`body for "${key}" is longer than ${size} bytes`));
      else done(null, chunk);
    },
    flush(done) {
      done(seen === size ? null : new Error(`body for "${key}" ended at ${seen} of ${size}`));
    },
  });
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
      await pipeline(body, exactLength(key, size), fs.createWriteStream(tmp));
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
