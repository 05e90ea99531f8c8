import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { LocalBlobStore } from './blob-store.ts';
import { LocalStorage } from './local.ts';
import { LocalOutputs, LocalSink, ObjectStoreOutputs } from './outputs.ts';

// The output sink over a BlobStore, on local disk (the same code runs against radosgw in
// server/scale/outputs.test.ts): attempt prefixes, bounded concurrency, and a failed upload stopping
// every later playlist. Retries are the store client's (server/scale/s3-retries.test.ts), not the sink's.

const dirs: string[] = [];
const dir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const VIDEO = 'abcdefghij0123456789';

/**
 * A LocalBlobStore whose uploads fail `failures` times per key, and which records the peak in flight.
 * Every put waits until `holdUntil` puts have been in flight at once: the sink's concurrency is then
 * seen at its limit (or past it), never judged from uploads that happened not to overlap.
 */
class FlakyStore extends LocalBlobStore {
  inFlight = 0;
  peak = 0;
  readonly tries = new Map<string, number>();
  readonly #open: Promise<void>;
  #release!: () => void;
  constructor(
    root: string,
    readonly failures: number,
    readonly holdUntil = 1,
  ) {
    super(root);
    this.#open = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  override async putFile(key: string, file: string): Promise<void> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    if (this.inFlight >= this.holdUntil) this.#release();
    try {
      await this.#open;
      // Whatever else was about to start has started (an unbounded sink starts all at once).
      await new Promise((r) => setImmediate(r));
      const n = (this.tries.get(key) ?? 0) + 1;
      this.tries.set(key, n);
      if (n <= this.failures) throw new Error(`flaky put of ${key}`);
      await super.putFile(key, file);
    } finally {
      this.inFlight--;
    }
  }
  override putStream(key: string, body: Readable, size: number): Promise<void> {
    return super.putStream(key, body, size);
  }
}

function outputsOn(store: LocalBlobStore, attempt: number | null = 1) {
  return new ObjectStoreOutputs({
    store,
    scratchDir: dir('vodkit-scratch-'),
    proxy: false,
    attemptOf: () => attempt,
    uploads: { concurrency: 3 },
  });
}

describe('ObjectStoreOutputs', () => {
  it('uploads files under the attempt prefix with bounded concurrency', async () => {
    const store = new FlakyStore(dir('vodkit-blobs-'), 0, 3);
    const outputs = outputsOn(store);
    const sink = await outputs.openSink(VIDEO, 1);
    fs.mkdirSync(path.join(sink.dir, '240'));
    const names = Array.from({ length: 10 }, (_, i) => `240/seg_0000${i}.m4s`);
    for (const n of names) fs.writeFileSync(path.join(sink.dir, n), n);
    await sink.files(names);
    await sink.text('240/index.m3u8', `#EXTM3U\n${names.map((n) => n.slice(4)).join('\n')}\n`);
    expect(store.peak).toBe(3);
    expect(await store.list(`videos/${VIDEO}/`)).toEqual(
      [...names, '240/index.m3u8'].map((n) => `videos/${VIDEO}/a1/${n}`).sort(),
    );
    expect(await outputs.readText(VIDEO, '240/index.m3u8')).toContain('seg_00009.m4s');
    expect(await outputs.locate(VIDEO, '240/seg_00000.m4s')).toEqual({
      key: `videos/${VIDEO}/a1/240/seg_00000.m4s`,
    });
    await sink.close();
    expect(fs.existsSync(sink.dir)).toBe(false);
  });

  it('refuses every later playlist once an upload failed, so none names a missing object', async () => {
    const store = new FlakyStore(dir('vodkit-blobs-'), 5);
    const outputs = outputsOn(store);
    const sink = await outputs.openSink(VIDEO, 1);
    fs.writeFileSync(path.join(sink.dir, 'init.mp4'), 'x');
    await expect(sink.files(['init.mp4'])).rejects.toThrow(/flaky/);
    // Once: the store's client has already retried what it could (a second layer multiplied the PUTs).
    expect(store.tries.get(`videos/${VIDEO}/a1/init.mp4`)).toBe(1);
    await expect(sink.text('index.m3u8', '#EXTM3U\n')).rejects.toThrow(/flaky/);
    await expect(sink.finish()).rejects.toThrow(/flaky/);
    expect(await store.list(`videos/${VIDEO}/`)).toEqual([]);
    await sink.close();
  });

  it('finish() stores what no playlist names, skipping hidden and temp files', async () => {
    const store = new LocalBlobStore(dir('vodkit-blobs-'));
    const outputs = outputsOn(store);
    const sink = await outputs.openSink(VIDEO, 3);
    fs.mkdirSync(path.join(sink.dir, 'downloads', '.240-work'), { recursive: true });
    fs.writeFileSync(path.join(sink.dir, 'poster.jpg'), 'p');
    fs.writeFileSync(path.join(sink.dir, 'downloads', '240.mp4'), 'm');
    fs.writeFileSync(path.join(sink.dir, 'downloads', '.240-work', 'v.mp4'), 'w');
    fs.writeFileSync(path.join(sink.dir, '.ffmpeg.m3u8'), 'f');
    fs.writeFileSync(path.join(sink.dir, 'master.m3u8.tmp'), 't');
    await sink.finish();
    expect(await store.list(`videos/${VIDEO}/`)).toEqual([
      `videos/${VIDEO}/a3/downloads/240.mp4`,
      `videos/${VIDEO}/a3/poster.jpg`,
    ]);
    await sink.close();
  });

  it('serves only the current attempt, hides the manifest, and drops the other attempts on request', async () => {
    const store = new LocalBlobStore(dir('vodkit-blobs-'));
    let current = 2;
    const outputs = new ObjectStoreOutputs({
      store,
      scratchDir: dir('vodkit-scratch-'),
      proxy: true,
      attemptOf: () => current,
    });
    const stale = await outputs.openSink(VIDEO, 1);
    const live = await outputs.openSink(VIDEO, 2);
    await live.text('master.m3u8', 'live');
    await stale.text('master.m3u8', 'stale');
    await live.text('pictures.json', '{}');
    expect(await outputs.readText(VIDEO, 'master.m3u8')).toBe('live');
    expect(await outputs.locate(VIDEO, 'pictures.json')).toBeNull();
    expect(await outputs.locate(VIDEO, '../a1/master.m3u8')).toBeNull();
    expect(await outputs.locate(VIDEO, '240/.hidden')).toBeNull();
    expect(await outputs.locate(VIDEO, 'missing.m4s', true)).toBeNull();
    expect(await outputs.readManifest(VIDEO)).toBe('{}');
    await outputs.removeOtherAttempts(VIDEO, 2);
    expect(await store.list(`videos/${VIDEO}/`)).toEqual([
      `videos/${VIDEO}/a2/master.m3u8`,
      `videos/${VIDEO}/a2/pictures.json`,
    ]);
    current = 0;
    expect(await outputs.readText(VIDEO, 'master.m3u8')).toBeNull();
    await outputs.removeVideo(VIDEO);
    expect(await store.list('videos/')).toEqual([]);
    await Promise.all([stale.close(), live.close()]);
  });

  it('keeps caption files per track and removes one or all of them', async () => {
    const store = new LocalBlobStore(dir('vodkit-blobs-'));
    const outputs = outputsOn(store);
    await outputs.writeTrack(VIDEO, 'track0000000000000001', 'WEBVTT\n\none');
    await outputs.writeTrack(VIDEO, 'track0000000000000002', 'WEBVTT\n\ntwo');
    expect(await outputs.readTrack(VIDEO, 'track0000000000000002')).toBe('WEBVTT\n\ntwo');
    await outputs.removeTrack(VIDEO, 'track0000000000000001');
    expect(await outputs.readTrack(VIDEO, 'track0000000000000001')).toBeNull();
    expect(await outputs.readTrack(VIDEO, 'track0000000000000002')).toBe('WEBVTT\n\ntwo');
    await outputs.removeTracks(VIDEO);
    expect(await store.list('tracks/')).toEqual([]);
  });
});

describe('LocalOutputs (embedded)', () => {
  it('writes into the video folder itself, clearing only the encoder outputs of a previous attempt', async () => {
    const storage = new LocalStorage(dir('vodkit-data-'));
    const outputs = new LocalOutputs(storage);
    const folder = storage.videoDir(VIDEO);
    fs.mkdirSync(path.join(folder, '240'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'thumbs'), { recursive: true });
    fs.writeFileSync(path.join(folder, '240', 'seg_00000.m4s'), 'old');
    fs.writeFileSync(path.join(folder, 'thumbs', 'poster.jpg'), 'keep');
    const sink = await outputs.openSink(VIDEO);
    expect(sink).toBeInstanceOf(LocalSink);
    expect(sink.dir).toBe(folder);
    expect(fs.existsSync(path.join(folder, '240'))).toBe(false);
    expect(fs.existsSync(path.join(folder, 'thumbs', 'poster.jpg'))).toBe(true);
    await sink.text('master.m3u8', '#EXTM3U\n');
    await sink.finish();
    await sink.close();
    expect(fs.readFileSync(path.join(folder, 'master.m3u8'), 'utf8')).toBe('#EXTM3U\n');
    expect(await outputs.locate(VIDEO, 'master.m3u8')).toEqual({
      file: fs.realpathSync(path.join(folder, 'master.m3u8')),
    });
  });
});
