import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import { isValidId } from '../ids.ts';
import { isEncoderOutput } from '../media/layout.ts';
import { assertKey, type BlobStore } from './blob-store.ts';
import type { LocalStorage } from './local.ts';

/**
 * Where one encode attempt's outputs go (issue 8, "the output sink"). ffmpeg and the picture renders
 * always write into `dir` on local disk; the publisher then tells the sink which finished files a
 * playlist is about to name (`files`) and hands it the playlist text (`text`). Embedded, `dir` IS the
 * video folder and both calls cost nothing beyond today's atomic playlist write; scaled out, `dir` is a
 * scratch folder and each file is uploaded before the text that names it.
 */
export interface OutputSink {
  /** The local folder the encoder and picture renders write into. */
  readonly dir: string;
  /** Stores finished files (paths relative to `dir`); resolves once every one of them is stored. */
  files(relatives: readonly string[]): Promise<void>;
  /** Stores a text output (a playlist, a manifest) under `relative`, after what it names. */
  text(relative: string, body: string, contentType?: string): Promise<void>;
  /** Stores every finished file of `dir` not stored yet (poster, MP4 downloads); throws if any upload failed. */
  finish(): Promise<void>;
  /** Removes the scratch folder (never the video folder of the embedded sink). Idempotent. */
  close(): Promise<void>;
  /** This attempt lost its job (lease, cancel): its partial outputs go, best effort. */
  abandon(): Promise<void>;
}

/** A stored output, as the routes serve it: a local file (sendFile), or an object of the store. */
export type StoredOutput = { file: string } | { key: string };

/**
 * The seam between the services and where video outputs live: embedded (local disk, today's layout)
 * or scaled out (a BlobStore, one prefix per attempt of the job). Services write through `openSink`,
 * routes read through `locate`/`readText`; the tracks service keeps its caption files here too.
 */
export interface VideoOutputs {
  readonly kind: 'local' | 's3';
  /** The store behind `{ key }` outputs (null embedded). */
  readonly store: BlobStore | null;
  /** Scaled out: serve objects through the API (`VOD_S3_PROXY=1`) instead of a 302 to a presigned GET. */
  readonly proxy: boolean;
  /** A presigned GET of an object valid at least 4 minutes more, or null (local disk: no such thing). */
  presign(key: string): Promise<string | null>;
  /**
   * The sink of one claim of a job (`attempt` is the job row's `attempts` after the claim).
   * `keepEncode`: an earlier attempt's complete encode stays (embedded resume after a crash that came
   * after the encode); otherwise its encoder outputs go.
   */
  openSink(videoId: string, attempt: number, options?: { keepEncode?: boolean }): Promise<OutputSink>;
  /**
   * A string every output path of that attempt's ffmpeg contains (its folder, or its prefix): how a
   * restarted process recognises a dead one's leftover encoder before killing it.
   */
  workDirMarker(videoId: string, attempt: number): string;
  /**
   * Where an output of the video's current attempt is, or null when the path is not servable (hidden,
   * temp, escaping) or, with `mustExist`, missing. Objects are not looked up without `mustExist`: a
   * 302 to a missing object answers 404 from the store itself.
   */
  locate(videoId: string, relative: string, mustExist?: boolean): Promise<StoredOutput | null>;
  /** A text output of the current attempt (a playlist), or null. */
  readText(videoId: string, relative: string): Promise<string | null>;
  /** Removes every attempt's prefix but `keep` (after `keep` completed). */
  removeOtherAttempts(videoId: string, keep: number): Promise<void>;
  /** Every output of the video, all attempts. */
  removeVideo(videoId: string): Promise<void>;
  writeTrack(videoId: string, trackId: string, vtt: string): Promise<void>;
  readTrack(videoId: string, trackId: string): Promise<string | null>;
  removeTrack(videoId: string, trackId: string): Promise<void>;
  removeTracks(videoId: string): Promise<void>;
}

/** Readers see the old text or the new, never half of one (`*.tmp` is never served). */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await fs.promises.writeFile(tmp, text);
  await fs.promises.rename(tmp, file);
}

// --- embedded ---------------------------------------------------------------------------------------

/** Today's behaviour: ffmpeg writes into the video folder, playlists are renamed into place, nothing moves. */
export class LocalSink implements OutputSink {
  constructor(readonly dir: string) {}
  async files(): Promise<void> {}
  text(relative: string, body: string): Promise<void> {
    return writeAtomic(path.join(this.dir, relative), body);
  }
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
  async abandon(): Promise<void> {}
}

export class LocalOutputs implements VideoOutputs {
  readonly kind = 'local' as const;
  readonly store = null;
  readonly proxy = false;

  constructor(readonly storage: LocalStorage) {}

  async presign(): Promise<string | null> {
    return null;
  }

  async openSink(
    videoId: string,
    _attempt?: number,
    options: { keepEncode?: boolean } = {},
  ): Promise<OutputSink> {
    // A previous attempt's half ladder goes (only the encoder's outputs: other features' stay).
    if (!options.keepEncode) await this.storage.removeVideoEntries(videoId, isEncoderOutput);
    return new LocalSink(this.storage.videoDir(videoId));
  }

  workDirMarker(videoId: string): string {
    return this.storage.videoDir(videoId);
  }

  async locate(videoId: string, relative: string, mustExist = false): Promise<StoredOutput | null> {
    if (!mustExist) {
      const file = await this.storage.realVideoFile(videoId, relative);
      return file ? { file } : null;
    }
    const file = this.storage.resolveVideoFile(videoId, relative);
    return file && fs.existsSync(file) ? { file } : null;
  }

  readText(videoId: string, relative: string): Promise<string | null> {
    return this.storage.readVideoText(videoId, relative);
  }

  async removeOtherAttempts(): Promise<void> {}

  removeVideo(videoId: string): Promise<void> {
    return this.storage.removeVideo(videoId);
  }
  writeTrack(videoId: string, trackId: string, vtt: string): Promise<void> {
    return this.storage.writeTrack(videoId, trackId, vtt);
  }
  readTrack(videoId: string, trackId: string): Promise<string | null> {
    return this.storage.readTrack(videoId, trackId);
  }
  removeTrack(videoId: string, trackId: string): Promise<void> {
    return this.storage.removeTrack(videoId, trackId);
  }
  removeTracks(videoId: string): Promise<void> {
    return this.storage.removeTracks(videoId);
  }
}

// --- scaled out -------------------------------------------------------------------------------------

/** Content types of stored objects: a presigned GET answers with the type the object was stored with. */
const CONTENT_TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.vtt': 'text/vtt; charset=utf-8',
  '.json': 'application/json',
};
export const contentTypeOf = (name: string): string =>
  CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';

/** What the pictures pipeline has finished, stored with the attempt (never served). */
export const PICTURES_MANIFEST = 'pictures.json';

/** A presigned GET lives this long: enough to start fetching, short enough that a leaked URL soon dies. */
export const PRESIGN_SECONDS = 300;
/** A signed URL is handed out again for this long (so every one given out has ≥ 4 minutes left). */
const PRESIGN_REUSE_MS = 60_000;
const PRESIGN_CACHE_ENTRIES = 20_000;

export interface UploadLimits {
  /**
   * Uploads of one sink in flight at once. Failed requests are retried by the store's client
   * (S3BlobStoreOptions.maxAttempts, on bodies it can send again), never again here: one layer, so
   * one bad segment costs that many PUTs, not a product of two retry counts.
   */
  concurrency: number;
}

const DEFAULT_UPLOADS: UploadLimits = { concurrency: 4 };

/** `videos/<videoId>/a<attempt>/`: a worker that lost its lease writes where nobody reads. */
export const attemptPrefix = (videoId: string, attempt: number): string => {
  if (!isValidId(videoId) || !Number.isInteger(attempt) || attempt < 1) {
    throw new Error(`invalid output prefix for ${videoId} attempt ${attempt}`);
  }
  return `videos/${videoId}/a${attempt}/`;
};
const videoPrefix = (videoId: string): string => {
  if (!isValidId(videoId)) throw new Error(`invalid id "${videoId}"`);
  return `videos/${videoId}/`;
};
const trackKey = (videoId: string, trackId: string): string => {
  if (!isValidId(videoId) || !isValidId(trackId)) throw new Error(`invalid track ${videoId}/${trackId}`);
  return `tracks/${videoId}/${trackId}/captions.vtt`;
};

/** A relative output path that may be served: our key alphabet, no hidden or temp part, not the manifest. */
function servableKey(prefix: string, relative: string): string | null {
  if (relative === PICTURES_MANIFEST) return null;
  const key = prefix + relative;
  try {
    assertKey(key);
  } catch {
    return null;
  }
  return key;
}

/**
 * Scaled out: ffmpeg writes into a scratch folder; each finished file is uploaded (bounded
 * concurrency; the store's client retries) under the attempt's prefix before the playlist that names it. Playlists are
 * also kept in the scratch folder, as MP4 downloads are cut from it. Once an upload has failed for good
 * the sink refuses every later text, so no playlist ever names a missing object, and `finish` throws.
 */
export class ObjectStoreSink implements OutputSink {
  readonly #stored = new Set<string>();
  readonly #limit: LimitFunction;
  #failed: Error | null = null;

  constructor(
    readonly store: BlobStore,
    readonly prefix: string,
    readonly dir: string,
    readonly limits: UploadLimits = DEFAULT_UPLOADS,
  ) {
    this.#limit = pLimit(limits.concurrency);
  }

  /** Relative paths stored so far (tests and logs). */
  stored(): string[] {
    return [...this.#stored];
  }

  async files(relatives: readonly string[]): Promise<void> {
    this.#check();
    const todo = [...new Set(relatives)].filter((r) => !this.#stored.has(r));
    const results = await Promise.allSettled(todo.map((r) => this.#upload(r)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.#failed ??= failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
      throw this.#failed;
    }
  }

  async text(relative: string, body: string, contentType?: string): Promise<void> {
    this.#check();
    const file = path.join(this.dir, relative);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await writeAtomic(file, body);
    const bytes = Buffer.from(body);
    const key = this.prefix + relative;
    await this.#limit(() =>
      this.store.putStream(key, Readable.from([bytes]), bytes.length, contentType ?? contentTypeOf(relative)),
    );
    this.#stored.add(relative);
  }

  async finish(): Promise<void> {
    this.#check();
    const entries = await fs.promises.readdir(this.dir, { recursive: true }).catch(() => [] as string[]);
    const todo: string[] = [];
    for (const rel of entries) {
      const parts = rel.split(path.sep);
      // Hidden (ffmpeg's own playlists, download work folders) and temp files are not outputs.
      if (parts.some((p) => p.startsWith('.') || p.endsWith('.tmp'))) continue;
      const st = await fs.promises.stat(path.join(this.dir, rel)).catch(() => null);
      if (st?.isFile()) todo.push(parts.join('/'));
    }
    await this.files(todo);
  }

  async close(): Promise<void> {
    await fs.promises.rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  async abandon(): Promise<void> {
    this.#failed ??= new Error('the attempt was abandoned');
    await Promise.allSettled([this.store.deletePrefix(this.prefix), this.close()]);
  }

  #check(): void {
    if (this.#failed) throw this.#failed;
  }

  #upload(relative: string): Promise<void> {
    const key = this.prefix + relative;
    const file = path.join(this.dir, ...relative.split('/'));
    return this.#limit(async () => {
      await this.store.putFile(key, file, contentTypeOf(relative));
      this.#stored.add(relative);
    });
  }
}

export interface ObjectStoreOutputsOptions {
  store: BlobStore;
  /** Scratch folders of encode attempts are made under this. */
  scratchDir: string;
  proxy: boolean;
  /**
   * The current attempt of the video's job (the job row's `attempts`), or null when there is no
   * such video: serving reads that attempt's prefix only.
   */
  attemptOf: (videoId: string) => number | null | Promise<number | null>;
  uploads?: Partial<UploadLimits>;
  /** This node's video folders (the on-demand thumbnail cache): cleared with the video. */
  local?: LocalStorage;
}

export class ObjectStoreOutputs implements VideoOutputs {
  readonly kind = 's3' as const;
  readonly store: BlobStore;
  readonly proxy: boolean;
  readonly #limits: UploadLimits;
  /**
   * Signing a GET costs the SDK about 5 ms of CPU here (its middleware stack, per call), more than
   * the rest of a segment request; a segment's many viewers get the same URL for a minute instead.
   */
  readonly #presigned: LRUCache<string, string>;

  constructor(readonly options: ObjectStoreOutputsOptions) {
    this.store = options.store;
    this.#presigned = new LRUCache<string, string>({
      max: PRESIGN_CACHE_ENTRIES,
      ttl: PRESIGN_REUSE_MS,
      // Past its reuse time a URL is signed again (never handed out stale), so each has ≥ 4 min left.
      fetchMethod: async (key) => (await options.store.presignGet(key, PRESIGN_SECONDS)) ?? undefined,
    });
    this.proxy = options.proxy;
    this.#limits = { ...DEFAULT_UPLOADS, ...options.uploads };
    fs.mkdirSync(options.scratchDir, { recursive: true });
  }

  async openSink(videoId: string, attempt: number): Promise<OutputSink> {
    const prefix = attemptPrefix(videoId, attempt);
    // Scratch of the video's earlier attempts on this machine (a killed process) is nobody's now.
    const names = await fs.promises.readdir(this.options.scratchDir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith(`${videoId}-a`))
        .map((n) => fs.promises.rm(path.join(this.options.scratchDir, n), { recursive: true, force: true })),
    );
    const dir = `${this.workDirMarker(videoId, attempt)}${crypto.randomBytes(4).toString('hex')}`;
    await fs.promises.mkdir(dir, { recursive: true });
    return new ObjectStoreSink(this.store, prefix, dir, this.#limits);
  }

  async presign(key: string): Promise<string | null> {
    return (await this.#presigned.fetch(key)) ?? null;
  }

  workDirMarker(videoId: string, attempt: number): string {
    return path.join(this.options.scratchDir, `${videoId}-a${attempt}-`);
  }

  async #prefix(videoId: string): Promise<string | null> {
    if (!isValidId(videoId)) return null;
    const attempt = await this.options.attemptOf(videoId);
    return attempt && attempt > 0 ? attemptPrefix(videoId, attempt) : null;
  }

  async locate(videoId: string, relative: string, mustExist = false): Promise<StoredOutput | null> {
    const prefix = await this.#prefix(videoId);
    const key = prefix && servableKey(prefix, relative);
    if (!key) return null;
    if (mustExist && !(await this.store.stat(key))) return null;
    return { key };
  }

  async readText(videoId: string, relative: string): Promise<string | null> {
    const located = await this.locate(videoId, relative);
    if (!located || !('key' in located)) return null;
    return this.#readKey(located.key);
  }

  /** The pictures manifest of the current attempt (not servable, so not through `readText`). */
  async readManifest(videoId: string): Promise<string | null> {
    const prefix = await this.#prefix(videoId);
    return prefix ? this.#readKey(prefix + PICTURES_MANIFEST) : null;
  }

  async #readKey(key: string): Promise<string | null> {
    const body = await this.store.get(key);
    if (!body) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of body.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async removeOtherAttempts(videoId: string, keep: number): Promise<void> {
    const base = videoPrefix(videoId);
    const attempts = new Set<string>();
    for (const key of await this.store.list(base)) {
      const folder = key.slice(base.length).split('/')[0]!;
      if (/^a\d+$/.test(folder) && folder !== `a${keep}`) attempts.add(folder);
    }
    for (const folder of attempts) await this.store.deletePrefix(`${base}${folder}/`);
  }

  async removeVideo(videoId: string): Promise<void> {
    await this.store.deletePrefix(videoPrefix(videoId));
    // Chunks another worker stored for the job's owner (storage/chunk-store.ts).
    await this.store.deletePrefix(`chunks/${videoId}/`);
    await this.options.local?.removeVideo(videoId);
  }

  async writeTrack(videoId: string, trackId: string, vtt: string): Promise<void> {
    const bytes = Buffer.from(vtt, 'utf8');
    await this.store.putStream(
      trackKey(videoId, trackId),
      Readable.from([bytes]),
      bytes.length,
      CONTENT_TYPES['.vtt'],
    );
  }

  readTrack(videoId: string, trackId: string): Promise<string | null> {
    return this.#readKey(trackKey(videoId, trackId));
  }

  async removeTrack(videoId: string, trackId: string): Promise<void> {
    // Each track has its own folder: the BlobStore seam deletes by prefix only.
    await this.store.deletePrefix(trackKey(videoId, trackId).replace(/[^/]+$/, ''));
  }

  async removeTracks(videoId: string): Promise<void> {
    if (!isValidId(videoId)) throw new Error(`invalid id "${videoId}"`);
    await this.store.deletePrefix(`tracks/${videoId}/`);
  }
}
