import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isValidId } from '../ids.ts';
import { CHUNKS_FOLDER } from '../media/layout.ts';
import type { LocalStorage } from './local.ts';
import { contentTypeOf, ObjectStoreOutputs, type VideoOutputs } from './outputs.ts';

/*
 * Where a chunk encoded by any worker waits for the job's owner (issue 17 #2), beside the outputs:
 * embedded, a folder of the video's `.chunks/` (every worker is this process); scaled out, objects
 * under `chunks/<videoId>/a<attempt>/<chunk>/`, outside `videos/` so never served. The owner fetches a
 * finished chunk into its own `.chunks/<chunk>/`, where the joiner (media/chunked-encode.ts) reads it.
 */
export interface ChunkStore {
  /** An empty local folder to encode chunk `index` of the job's `attempt` into. */
  scratch(videoId: string, attempt: number, index: number): Promise<string>;
  /** Makes `dir` the chunk's stored copy (whole, or not at all); `dir` is gone after. */
  store(videoId: string, attempt: number, index: number, dir: string): Promise<void>;
  /** The stored chunk into `into` (emptied first). */
  fetch(videoId: string, attempt: number, index: number, into: string): Promise<void>;
  /** Every stored chunk of the attempt (its job ended). */
  clear(videoId: string, attempt: number): Promise<void>;
}

export function chunkStoreFor(outputs: VideoOutputs, storage: LocalStorage): ChunkStore {
  return outputs instanceof ObjectStoreOutputs
    ? new ObjectChunkStore(outputs, outputs.options.scratchDir)
    : new LocalChunkStore(storage);
}

const checked = (videoId: string, attempt: number, index: number): string => {
  if (!isValidId(videoId) || !Number.isInteger(attempt) || !Number.isInteger(index) || index < 0) {
    throw new Error(`invalid chunk ${videoId} a${attempt} #${index}`);
  }
  return `a${attempt}-${index}`;
};

/** Embedded: `.chunks/a<attempt>-<index>` (a late worker of an earlier attempt writes where nobody reads). */
class LocalChunkStore implements ChunkStore {
  constructor(readonly storage: LocalStorage) {}

  #base(videoId: string): string {
    return path.join(this.storage.videoDir(videoId), CHUNKS_FOLDER);
  }

  async scratch(videoId: string, attempt: number, index: number): Promise<string> {
    const name = `${checked(videoId, attempt, index)}.${crypto.randomBytes(4).toString('hex')}.part`;
    const dir = path.join(this.#base(videoId), name);
    await fs.promises.mkdir(dir, { recursive: true });
    return dir;
  }

  async store(videoId: string, attempt: number, index: number, dir: string): Promise<void> {
    const to = path.join(this.#base(videoId), checked(videoId, attempt, index));
    await fs.promises.rm(to, { recursive: true, force: true });
    await fs.promises.rename(dir, to);
  }

  async fetch(videoId: string, attempt: number, index: number, into: string): Promise<void> {
    const from = path.join(this.#base(videoId), checked(videoId, attempt, index));
    await fs.promises.rm(into, { recursive: true, force: true });
    await fs.promises.mkdir(path.dirname(into), { recursive: true });
    await fs.promises.rename(from, into);
  }

  async clear(videoId: string, attempt: number): Promise<void> {
    const base = this.#base(videoId);
    const names = await fs.promises.readdir(base).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith(`a${attempt}-`))
        .map((n) => fs.promises.rm(path.join(base, n), { recursive: true, force: true })),
    );
  }
}

/** Scaled out: objects of the bucket; the worker's local copy lives in the scratch folder meanwhile. */
class ObjectChunkStore implements ChunkStore {
  constructor(
    readonly outputs: ObjectStoreOutputs,
    readonly scratchDir: string,
  ) {}

  #prefix(videoId: string, attempt: number, index?: number): string {
    checked(videoId, attempt, index ?? 0);
    return `${chunksPrefix(videoId)}a${attempt}/${index === undefined ? '' : `${index}/`}`;
  }

  async scratch(videoId: string, attempt: number, index: number): Promise<string> {
    const name = `chunk-${videoId}-${checked(videoId, attempt, index)}-${crypto.randomBytes(4).toString('hex')}`;
    const dir = path.join(this.scratchDir, name);
    await fs.promises.mkdir(dir, { recursive: true });
    return dir;
  }

  async store(videoId: string, attempt: number, index: number, dir: string): Promise<void> {
    const prefix = this.#prefix(videoId, attempt, index);
    try {
      const entries = await fs.promises.readdir(dir, { recursive: true });
      const files: string[] = [];
      for (const rel of entries) {
        const parts = rel.split(path.sep);
        // ffmpeg's own playlists (hidden) and temp files are not part of a chunk.
        if (parts.some((p) => p.startsWith('.') || p.endsWith('.tmp'))) continue;
        if ((await fs.promises.stat(path.join(dir, rel))).isFile()) files.push(parts.join('/'));
      }
      const store = this.outputs.store;
      // Bounded like a sink's uploads; the store's client retries each.
      for (let i = 0; i < files.length; i += 4) {
        await Promise.all(
          files
            .slice(i, i + 4)
            .map((rel) => store.putFile(prefix + rel, path.join(dir, ...rel.split('/')), contentTypeOf(rel))),
        );
      }
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  async fetch(videoId: string, attempt: number, index: number, into: string): Promise<void> {
    const prefix = this.#prefix(videoId, attempt, index);
    await fs.promises.rm(into, { recursive: true, force: true });
    const part = `${into}.part`;
    await fs.promises.rm(part, { recursive: true, force: true });
    for (const key of await this.outputs.store.list(prefix)) {
      const file = path.join(part, ...key.slice(prefix.length).split('/'));
      const body = await this.outputs.store.get(key);
      if (!body) throw new Error(`chunk object ${key} vanished`);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await pipeline(body.stream, fs.createWriteStream(file));
    }
    await fs.promises.mkdir(part, { recursive: true });
    await fs.promises.rename(part, into);
  }

  async clear(videoId: string, attempt: number): Promise<void> {
    await this.outputs.store.deletePrefix(this.#prefix(videoId, attempt));
  }
}

/** `chunks/<videoId>/`: every stored chunk of the video, all attempts (removed with the video). */
export const chunksPrefix = (videoId: string): string => {
  if (!isValidId(videoId)) throw new Error(`invalid id "${videoId}"`);
  return `chunks/${videoId}/`;
};
