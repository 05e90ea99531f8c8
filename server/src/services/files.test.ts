import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { type Config, loadConfig } from '../config.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { FilesRepo } from '../db/files.ts';
import { JobsRepo } from '../db/jobs.ts';
import { newId } from '../ids.ts';
import { LocalStorage } from '../storage/local.ts';
import type { Principal } from './auth.ts';
import { EventBus } from './events.ts';
import { FileService, type FinishedUpload, MAX_STREAMS } from './files.ts';

const run = promisify(execFile);
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
} as unknown as FastifyBaseLogger;

let clipDir: string;
let h264: string;
beforeAll(async () => {
  clipDir = tempDir('vodkit-files-clips-');
  h264 = await clips.h264Aac(clipDir, { duration: 2 });
});
afterAll(() => fs.rmSync(clipDir, { recursive: true, force: true }));

interface World {
  dir: string;
  config: Config;
  db: Db;
  storage: LocalStorage;
  files: FileService;
}
let w: World;
const alice: Principal = { apiKey: 'alicekey0000', permissions: new Set(['allow_read', 'allow_delete']) };
const bob: Principal = { apiKey: 'bobkey000000', permissions: new Set(['allow_read', 'allow_delete']) };

function world(overrides: Partial<Config> = {}): World {
  const dir = tempDir('vodkit-files-');
  const config = { ...loadConfig({ VOD_DATA_DIR: dir, VOD_DEMO: '0' }), ...overrides };
  const db = openDatabase(dir);
  const storage = new LocalStorage(dir);
  const files = new FileService({
    config,
    storage,
    files: new FilesRepo(db),
    jobs: new JobsRepo(db),
    events: new EventBus(),
    log: silent,
  });
  return { dir, config, db, storage, files };
}
beforeEach(() => {
  w = world();
  return () => {
    w.db.close();
    fs.rmSync(w.dir, { recursive: true, force: true });
  };
});

/** Puts bytes where tus would have, with tus's info file; `received` < size leaves it unfinished. */
function placeUpload(
  t: World,
  source: string | Buffer,
  options: { apiKey?: string; received?: number; createdAt?: Date; metadata?: Record<string, string> } = {},
): FinishedUpload {
  const fileId = newId();
  const bytes = typeof source === 'string' ? fs.readFileSync(source) : source;
  const target = t.storage.uploadPath(fileId);
  fs.writeFileSync(target, bytes.subarray(0, options.received ?? bytes.length));
  const apiKey = options.apiKey ?? alice.apiKey;
  const metadata = {
    filename: 'clip.mp4',
    filetype: 'video/mp4',
    title: 'Clip',
    apikey: apiKey,
    ...options.metadata,
  };
  fs.writeFileSync(
    `${target}.json`,
    JSON.stringify({
      id: fileId,
      size: bytes.length,
      offset: 0,
      metadata,
      creation_date: (options.createdAt ?? new Date()).toISOString(),
    }),
  );
  return { fileId, apiKey, size: bytes.length, filename: 'clip.mp4', filetype: 'video/mp4', title: 'Clip' };
}

async function makeWith(name: string, args: string[]): Promise<string> {
  const file = path.join(clipDir, name);
  if (!fs.existsSync(file)) await run(ffmpeg, ['-v', 'error', '-y', ...args, file]);
  return file;
}

describe('onUploadFinished', () => {
  it('records, probes and marks ready', async () => {
    const record = await w.files.onUploadFinished(placeUpload(w, h264));
    expect(record.status).toBe('ready');
    expect(record.metadata?.video?.codec).toBe('h264');
    // How long is the bench's business (`npm run bench`, section upload); here only that it was timed.
    expect(record.probeMs).toBeGreaterThan(0);
    expect(record).not.toHaveProperty('apiKey');
  });

  it('rejects by policy with the probed metadata kept', async () => {
    const cases: [Partial<Config>, string][] = [
      [{ maxPixels: 640 * 360 - 1 }, 'too_many_pixels'],
      [{ maxDurationSeconds: 1 }, 'too_long'],
    ];
    for (const [overrides, code] of cases) {
      const t = world(overrides);
      const record = await t.files.onUploadFinished(placeUpload(t, h264));
      expect(record.status).toBe('rejected');
      expect(record.reason?.code).toBe(code);
      expect(record.metadata?.video?.width).toBe(640);
      t.db.close();
    }
  });

  it('rejects a file with neither video nor audio', async () => {
    const srt = path.join(clipDir, 'subs.srt');
    fs.writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
    const subsOnly = await makeWith('subs-only.mkv', ['-i', srt]);
    const record = await w.files.onUploadFinished(placeUpload(w, subsOnly));
    expect(record.reason?.code).toBe('no_media_streams');
  });

  it(`rejects more than ${MAX_STREAMS} streams`, async () => {
    const maps = Array.from({ length: MAX_STREAMS + 1 }, () => ['-map', '0:a']).flat();
    const many = await makeWith('many-streams.mka', [
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      ...maps,
      '-c:a',
      'libvorbis',
    ]);
    const record = await w.files.onUploadFinished(placeUpload(w, many));
    expect(record.reason?.code).toBe('too_many_streams');
  });

  it('rejects playlists as unsupported_container and garbage as probe_failed, never throwing', async () => {
    const playlist = Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${h264}\n#EXT-X-ENDLIST\n`);
    expect((await w.files.onUploadFinished(placeUpload(w, playlist))).reason?.code).toBe(
      'unsupported_container',
    );
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expect((await w.files.onUploadFinished(placeUpload(w, garbage))).reason?.code).toBe('probe_failed');
  });

  it('rejects with probe_timeout when ffprobe hangs', async () => {
    const hang = path.join(clipDir, 'hang.sh');
    fs.writeFileSync(hang, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const t = world({ ffprobePath: hang, probeTimeoutMs: 200 });
    const record = await t.files.onUploadFinished(placeUpload(t, h264));
    expect(record.status).toBe('rejected');
    expect(record.reason?.code).toBe('probe_timeout');
    t.db.close();
  });
});

describe('get, list and delete are scoped to the API key', () => {
  it('hides another key’s file as not found', async () => {
    const { fileId } = await w.files.onUploadFinished(placeUpload(w, h264));
    expect((await w.files.get(alice, fileId)).fileId).toBe(fileId);
    await expect(w.files.get(bob, fileId)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(w.files.delete(bob, fileId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(w.files.get(alice, '../../etc/passwd')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('paginates newest first', async () => {
    for (let i = 0; i < 3; i++) await w.files.onUploadFinished(placeUpload(w, h264));
    const first = await w.files.list(alice, 1, 2);
    expect(first.data).toHaveLength(2);
    expect(first.pageInfo).toEqual({ page: 1, perPage: 2, total: 3, lastPage: 2 });
    expect((await w.files.list(alice, 2, 2)).data).toHaveLength(1);
    expect((await w.files.list(bob, 1, 20)).pageInfo).toEqual({
      page: 1,
      perPage: 20,
      total: 0,
      lastPage: 1,
    });
  });

  it('deletes bytes, videos and jobs; refuses while a job is active', async () => {
    const { fileId } = await w.files.onUploadFinished(placeUpload(w, h264));
    const videoId = newId();
    const insertJob = w.db.prepare(
      `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, request, created_at)
       VALUES (?, ?, ?, ?, ?, '{}', ?)`,
    );
    insertJob.run(newId(), videoId, fileId, alice.apiKey, 'processing', new Date().toISOString());
    fs.mkdirSync(w.storage.videoDir(videoId), { recursive: true });
    fs.writeFileSync(path.join(w.storage.videoDir(videoId), 'master.m3u8'), '#EXTM3U\n');

    await expect(w.files.delete(alice, fileId)).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(fs.existsSync(w.storage.uploadPath(fileId))).toBe(true);

    w.db.prepare("UPDATE jobs SET status = 'completed' WHERE file_id = ?").run(fileId);
    await w.files.delete(alice, fileId);
    expect(fs.existsSync(w.storage.uploadPath(fileId))).toBe(false);
    expect(fs.existsSync(`${w.storage.uploadPath(fileId)}.json`)).toBe(false);
    expect(fs.existsSync(w.storage.videoDir(videoId))).toBe(false);
    expect(w.db.prepare('SELECT count(*) AS n FROM jobs WHERE file_id = ?').get(fileId)).toEqual({ n: 0 });
    await expect(w.files.get(alice, fileId)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('reconcile and expiry', () => {
  it('probes finished uploads without a record, leaves unfinished ones alone', async () => {
    const done = placeUpload(w, h264, { metadata: { name: 'uppy-name.mp4', filename: '' } });
    const unfinished = placeUpload(w, h264, { received: 1000 });
    const ownerless = placeUpload(w, h264);
    const infoPath = `${w.storage.uploadPath(ownerless.fileId)}.json`;
    const info = JSON.parse(fs.readFileSync(infoPath, 'utf8'));
    delete info.metadata.apikey;
    fs.writeFileSync(infoPath, JSON.stringify(info));

    await w.files.reconcile();
    const record = await w.files.get(alice, done.fileId);
    expect(record.status).toBe('ready');
    expect(record.filename).toBe('uppy-name.mp4');
    await expect(w.files.get(alice, unfinished.fileId)).rejects.toThrow();
    await expect(w.files.get(alice, ownerless.fileId)).rejects.toThrow();
    // Idempotent: a second pass finds nothing to do.
    await w.files.reconcile();
    expect((await w.files.list(alice, 1, 20)).pageInfo.total).toBe(1);
  });

  it('sweeps only unfinished uploads past their expiry', async () => {
    const old = new Date(Date.now() - 25 * 3600_000);
    const staleUnfinished = placeUpload(w, h264, { received: 10, createdAt: old });
    const freshUnfinished = placeUpload(w, h264, { received: 10 });
    const oldFinished = placeUpload(w, h264, { createdAt: old }); // finished, record lost: reconcile's job
    const recorded = await w.files.onUploadFinished(placeUpload(w, h264, { createdAt: old }));

    expect(await w.files.sweepExpiredUploads(24 * 3600_000)).toBe(1);
    expect(fs.existsSync(w.storage.uploadPath(staleUnfinished.fileId))).toBe(false);
    expect(fs.existsSync(w.storage.uploadPath(freshUnfinished.fileId))).toBe(true);
    expect(fs.existsSync(w.storage.uploadPath(oldFinished.fileId))).toBe(true);
    expect(fs.existsSync(w.storage.uploadPath(recorded.fileId))).toBe(true);
  });

  it('reports the database as healthy', async () => {
    expect(await w.files.databaseOk()).toBe(true);
    w.db.close();
    expect(await w.files.databaseOk()).toBe(false);
  });
});
