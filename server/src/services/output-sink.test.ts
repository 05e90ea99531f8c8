import fs from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir } from '../../test/fixtures.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { FilesRepo } from '../db/files.ts';
import { JobsRepo } from '../db/jobs.ts';
import { newId } from '../ids.ts';
import { probeFile } from '../media/probe.ts';
import { LocalBlobStore } from '../storage/blob-store.ts';
import { LocalStorage } from '../storage/local.ts';
import { ObjectStoreOutputs } from '../storage/outputs.ts';
import { EncodingService } from './encoding.ts';
import { EventBus } from './events.ts';
import { PictureService } from './pictures.ts';

// The encoding service through the object-store sink, with a BlobStore on local disk (radosgw in
// server/scale/outputs.test.ts): the whole job lands under its attempt prefix, and an upload that
// keeps failing fails the job without a stored playlist ever naming a missing object.

const silent = {
  level: 'silent',
  fatal() {},
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  silent() {},
  child() {
    return silent;
  },
} as unknown as FastifyBaseLogger;

/** Refuses, every time, the keys `refuse` matches. */
class RefusingStore extends LocalBlobStore {
  constructor(
    root: string,
    readonly refuse: RegExp | null,
  ) {
    super(root);
  }
  override async putFile(key: string, file: string): Promise<void> {
    if (this.refuse?.test(key)) throw new Error(`store refused ${key}`);
    await super.putFile(key, file);
  }
}

let root: string;
let clip: string;
beforeAll(async () => {
  root = tempDir('vodkit-sinksvc-');
  clip = await makeClip(path.join(root, 'clip.mp4'), { duration: 5, width: 320, height: 180 });
});
const dbs: { close(): void }[] = [];
afterAll(() => {
  for (const db of dbs) db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function run(refuse: RegExp | null) {
  const dataDir = fs.mkdtempSync(path.join(root, 'data-'));
  const config = loadConfig({ VOD_DATA_DIR: dataDir, VOD_PUBLIC_URL: 'http://vod.test' });
  const db = openDatabase(dataDir);
  const files = new FilesRepo(db);
  const jobs = new JobsRepo(db);
  const storage = new LocalStorage(dataDir);
  const events = new EventBus();
  const store = new RefusingStore(path.join(dataDir, 'bucket'), refuse);
  const outputs = new ObjectStoreOutputs({
    store,
    scratchDir: path.join(dataDir, 'scratch'),
    proxy: false,
    attemptOf: async (videoId) => (await jobs.getByVideo(videoId))?.attempts ?? null,
  });
  const deps = { config, storage, files, jobs, events, log: silent, outputs };
  const pictures = new PictureService(deps);
  const service = new EncodingService({ ...deps, pictures, timings: { pollMs: 60_000, renewMs: 200 } });
  const fileId = newId();
  fs.copyFileSync(clip, storage.uploadPath(fileId));
  const { metadata } = await probeFile(config, storage.uploadPath(fileId), { timeoutMs: 10_000 });
  await files.insertProbing({ fileId, apiKey: 'k', filename: 'c.mp4', filetype: null, title: null, size: 1 });
  await files.markReady(fileId, metadata, 1);
  const job = await service.create(
    { apiKey: 'k', permissions: new Set(['allow_encode']) },
    {
      fileId,
      presets: [
        { resolutions: ['240'], format: 'hls' },
        { resolutions: ['240'], format: 'mp4' },
      ],
      thumbnails: [{ timestamp: '00:00:01' }],
    },
  );
  /** Whether the master was stored when the job first said playable. */
  let masterAtPlayable: boolean | null = null;
  events.on(job.videoId, (e) => {
    if (e.type === 'playable') {
      masterAtPlayable = fs.existsSync(path.join(store.root, 'videos', job.videoId, 'a1', 'master.m3u8'));
    }
  });
  service.start();
  const end = Date.now() + 90_000;
  let row = (await jobs.get(job.jobId))!;
  while (!['completed', 'failed'].includes(row.status) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    row = (await jobs.get(job.jobId))!;
  }
  await service.stop();
  await pictures.stop();
  dbs.push(db);
  return {
    row,
    store,
    outputs,
    videoId: job.videoId,
    dataDir,
    masterAtPlayable: masterAtPlayable as boolean | null,
  };
}

describe('EncodingService with the object-store sink', () => {
  it('stores the whole job under the attempt prefix, playable once the master is stored', async () => {
    const { row, store, outputs, videoId, dataDir, masterAtPlayable } = await run(null);
    expect(row.status).toBe('completed');
    expect(row.attempts).toBe(1);
    expect(masterAtPlayable).toBe(true);
    const keys = (await store.list(`videos/${videoId}/`)).map((k) => k.replace(`videos/${videoId}/a1/`, ''));
    for (const f of [
      'master.m3u8',
      '240/index.m3u8',
      '240/init.mp4',
      'downloads/240.mp4',
      'thumbs/poster.jpg',
    ]) {
      expect(keys).toContain(f);
    }
    expect(keys.some((k) => k.startsWith('thumbs/1000-'))).toBe(true);
    expect(keys.every((k) => !k.startsWith('videos/'))).toBe(true);
    // Nothing stays on the worker's disk but the (empty) scratch root and the on-demand cache's folder.
    expect(fs.readdirSync(path.join(dataDir, 'scratch'))).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'videos', videoId, 'master.m3u8'))).toBe(false);
    const variant = (await outputs.readText(videoId, '240/index.m3u8'))!;
    expect(variant).toContain('#EXT-X-ENDLIST');
  }, 120_000);

  it('fails the job when an upload keeps failing, and no stored playlist names a missing object', async () => {
    const { row, store, videoId, dataDir } = await run(/seg_00001\.m4s$/);
    expect(row.status).toBe('failed');
    expect(row.error).toEqual({ code: 'encode_failed', message: 'storing the outputs failed' });
    const prefix = `videos/${videoId}/a1/`;
    const keys = new Set(await store.list(`videos/${videoId}/`));
    expect(keys.has(`${prefix}240/seg_00001.m4s`)).toBe(false);
    for (const key of keys) {
      if (!key.endsWith('.m3u8')) continue;
      const folder = key.slice(0, key.lastIndexOf('/') + 1);
      const text = fs.readFileSync(path.join(store.root, ...key.split('/')), 'utf8');
      const named = [
        ...text.split('\n').filter((l) => l && !l.startsWith('#')),
        ...[...text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!),
      ];
      for (const n of named) expect(keys, `${key} names ${n}`).toContain(folder + n);
    }
    expect(fs.readdirSync(path.join(dataDir, 'scratch'))).toEqual([]);
  }, 120_000);
});
