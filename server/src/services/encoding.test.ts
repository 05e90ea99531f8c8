import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir } from '../../test/fixtures.ts';
import { readRendition, renditionTimeline, sourceFrames } from '../../test/timeline.ts';
import { loadConfig } from '../config.ts';
import { ChunkTasksRepo } from '../db/chunk-tasks.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { FilesRepo } from '../db/files.ts';
import { JobsRepo } from '../db/jobs.ts';
import { newId } from '../ids.ts';
import { probeFile } from '../media/probe.ts';
import { findEncoderProcesses, isEncoderProcess } from '../media/process.ts';
import { LocalStorage } from '../storage/local.ts';
import type { Principal } from './auth.ts';
import { EncodingService, type QueueTimings } from './encoding.ts';
import { EventBus, type VideoEvent } from './events.ts';
import { PictureService } from './pictures.ts';

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

const principal: Principal = { apiKey: 'testkey', permissions: new Set(['allow_encode', 'allow_read']) };

let clipDir: string;
let shortClip: string;
let longClip: string;
beforeAll(async () => {
  clipDir = tempDir('vodkit-encsvc-clips-');
  [shortClip, longClip] = await Promise.all([
    makeClip(path.join(clipDir, 'short.mp4'), { duration: 9, width: 640, height: 360 }),
    makeClip(path.join(clipDir, 'long.mp4'), { duration: 40, width: 1280, height: 720 }),
  ]);
});
afterAll(() => fs.rmSync(clipDir, { recursive: true, force: true }));

interface Env {
  dataDir: string;
  db: Db;
  files: FilesRepo;
  jobs: JobsRepo;
  chunkTasks: ChunkTasksRepo;
  storage: LocalStorage;
  events: EventBus;
  seen: VideoEvent[];
  service: EncodingService;
  /** Copies a clip in as a probed, ready file of the test key. */
  addFile(clip: string): Promise<string>;
}

const envs: Env[] = [];
afterEach(async () => {
  for (const env of envs.splice(0)) {
    await env.service.stop();
    env.db.close();
    fs.rmSync(env.dataDir, { recursive: true, force: true });
  }
});

function setup(timings: Partial<QueueTimings> = {}, envVars: Record<string, string> = {}): Env {
  const dataDir = tempDir('vodkit-encsvc-');
  const config = loadConfig({ VOD_DATA_DIR: dataDir, VOD_PUBLIC_URL: 'http://vod.test', ...envVars });
  const db = openDatabase(dataDir);
  const files = new FilesRepo(db);
  const jobs = new JobsRepo(db);
  const chunkTasks = new ChunkTasksRepo(db);
  const storage = new LocalStorage(dataDir);
  const events = new EventBus();
  const seen: VideoEvent[] = [];
  events.on('*', (e) => seen.push(e));
  const service = new EncodingService({
    config,
    storage,
    files,
    jobs,
    chunkTasks,
    events,
    log: silent,
    timings: { pollMs: 60_000, renewMs: 200, progressMs: 300, ...timings },
  });
  const env: Env = {
    dataDir,
    db,
    files,
    jobs,
    chunkTasks,
    storage,
    events,
    seen,
    service,
    async addFile(clip) {
      const fileId = newId();
      fs.copyFileSync(clip, storage.uploadPath(fileId));
      const { metadata } = await probeFile(config, storage.uploadPath(fileId), { timeoutMs: 10_000 });
      await files.insertProbing({
        fileId,
        apiKey: principal.apiKey,
        filename: 'c.mp4',
        filetype: null,
        title: null,
        size: 1,
      });
      await files.markReady(fileId, metadata, 1);
      return fileId;
    },
  };
  envs.push(env);
  return env;
}

async function until<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `timed out waiting for ${what}: ${JSON.stringify(await Promise.all(envs.map((e) => e.jobs.listProcessing())))}`,
  );
}

describe('EncodingService', () => {
  it('runs a job to completion with progress, then playable, then completed', async () => {
    const env = setup();
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(shortClip) });
    const done = await until(
      'completed',
      async () => (await env.jobs.get(job.jobId))?.status === 'completed',
    );
    expect(done).toBe(true);

    const mine = env.seen.filter((e) => e.videoId === job.videoId);
    const types = mine.map((e) => e.type);
    expect(types.at(-1)).toBe('completed');
    expect(types.filter((t) => t === 'playable')).toHaveLength(1);
    expect(types.indexOf('playable')).toBeLessThan(types.indexOf('completed'));
    expect(mine.find((e) => e.type === 'playable')!.data).toMatchObject({
      jobId: job.jobId,
      playback: { hls: `http://vod.test/stream/${job.videoId}/master.m3u8` },
    });
    const got = await env.service.get(principal, job.jobId);
    expect(got).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect(got.playback?.poster).toBe(`http://vod.test/stream/${job.videoId}/poster.jpg`);
    expect(got.renditions.map((r) => r.name)).toEqual(['240', '360']);
  });

  it('encodes a job in chunks with VOD_CHUNK_SECONDS: queued tasks, every frame once, EXTINFs summing to the media', async () => {
    // 9 s, one keyframe: chunks 0–2, 2–5 and 5–9 s on the 1, 2, 5, 9 s grid. The owner runs the
    // first; the second in-process worker (woken, not polling: pollMs is a minute) claims tasks too.
    const env = setup({}, { VOD_CHUNK_SECONDS: '2', VOD_ENCODE_CONCURRENCY: '2', VOD_ENCODE_THREADS: '1' });
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(shortClip) });
    const dir = env.storage.videoDir(job.videoId);
    await until('chunks being encoded', () => fs.existsSync(path.join(dir, '.chunks')));
    await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed');
    expect(fs.existsSync(path.join(dir, '.chunks'))).toBe(false);
    const frames = await sourceFrames(shortClip);
    for (const rung of ['240', '360']) {
      const r = readRendition(dir, rung);
      expect((await renditionTimeline(dir, r)).frames).toBe(frames);
      expect(r.extinf.reduce((t, x) => t + x, 0)).toBeCloseTo(frames / 25, 3);
    }
    expect((await env.jobs.get(job.jobId))!.outputDuration).toBeCloseTo(9, 1);
    const tasks = await env.chunkTasks.list(job.jobId, 1);
    expect(tasks.map((t) => [t.index, t.status, t.tries])).toEqual([
      [0, 'done', 1],
      [1, 'done', 1],
      [2, 'done', 1],
    ]);
  });

  it("stops a cancelled job's chunk on another worker within its renewal, from the database alone", async () => {
    // Two workers on one database, as two processes would be: A owns the job, B takes a chunk. The
    // cancel goes through A, so B hears of it only when its chunk lease renewal (every 100 ms) is refused.
    const vars = { VOD_CHUNK_SECONDS: '5', VOD_ENCODE_THREADS: '1' };
    const env = setup({}, vars);
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(longClip) });
    await until('chunks queued', async () => (await env.chunkTasks.list(job.jobId, 1)).length > 2);
    const other = new EncodingService({
      config: loadConfig({ VOD_DATA_DIR: env.dataDir, VOD_PUBLIC_URL: 'http://vod.test', ...vars }),
      storage: env.storage,
      files: env.files,
      jobs: env.jobs,
      chunkTasks: env.chunkTasks,
      events: new EventBus(),
      log: silent,
      timings: { pollMs: 100, renewMs: 200 },
    });
    other.start();
    try {
      const chunks = path.join(env.storage.videoDir(job.videoId), '.chunks');
      const taken = await until('a chunk encoding on B', async () => {
        const tasks = await env.chunkTasks.list(job.jobId, 1);
        const owner = tasks[0]!.leaseOwner;
        const t = tasks.find((x) => x.status === 'processing' && x.index > 0 && x.leaseOwner !== owner);
        if (!t) return null;
        const marker = path.join(chunks, `a1-${t.index}.`);
        return (await findEncoderProcesses(marker)).length > 0 ? { t, marker } : null;
      });
      await env.service.cancel(principal, job.jobId);
      await until(
        'B’s ffmpeg gone',
        async () => (await findEncoderProcesses(taken.marker)).length === 0,
        5000,
      );
      const after = (await env.chunkTasks.list(job.jobId, 1)).find((x) => x.index === taken.t.index)!;
      expect(after.status).not.toBe('done');
      expect(await env.chunkTasks.claim('anyone', 10_000)).toBeUndefined();
    } finally {
      await other.stop();
    }
  });

  it('wakes a worker at once on create, runs one job at a time, oldest first', async () => {
    // An idle worker would look again only after an hour: a start within `until`'s bound can only
    // be the wake-up on create (the worker's first look, at start, finds the queue empty).
    const env = setup({ pollMs: 3600_000 });
    env.service.start();
    const fileId = await env.addFile(longClip);
    const a = await env.service.create(principal, { fileId });
    const b = await env.service.create(principal, { fileId });
    await until('a processing', async () => (await env.jobs.get(a.jobId))?.status === 'processing');
    expect((await env.jobs.get(b.jobId))!.status).toBe('queued');
    await env.service.cancel(principal, a.jobId);
    await until('b processing', async () => (await env.jobs.get(b.jobId))?.status === 'processing');
  });

  it('throttles progress events and stores the progress', async () => {
    const env = setup({ progressMs: 500 });
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(longClip) });
    await until('some progress', async () => ((await env.jobs.get(job.jobId))?.progress ?? 0) > 5);
    await env.service.cancel(principal, job.jobId);
    const progress = env.seen.filter((e) => e.type === 'progress' && e.videoId === job.videoId);
    expect(progress.length).toBeGreaterThan(0);
    const values = progress.map((e) => e.data.progress as number);
    expect([...values].sort((x, y) => x - y)).toEqual(values);
  });

  it('stops ffmpeg when the job is cancelled by someone else (lease renewal fails)', async () => {
    const env = setup();
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(longClip) });
    const pid = await until('pid', () => env.service.runningPids().get(job.jobId));
    // As another server process sharing the database would.
    await env.jobs.cancel(job.jobId, 'cancelled elsewhere');
    await until('ffmpeg gone', () => env.service.runningPids().size === 0, 5_000);
    expect(() => process.kill(pid, 0)).toThrow();
    expect((await env.jobs.get(job.jobId))!.status).toBe('cancelled');
  });

  it('fails with encode_failed (and a failed event) when ffmpeg cannot read the source', async () => {
    const env = setup();
    env.service.start();
    const fileId = await env.addFile(shortClip);
    fs.writeFileSync(env.storage.uploadPath(fileId), Buffer.alloc(10_000, 3));
    const job = await env.service.create(principal, { fileId });
    await until('failed', async () => (await env.jobs.get(job.jobId))?.status === 'failed');
    const got = await env.service.get(principal, job.jobId);
    expect(got.error?.code).toBe('encode_failed');
    expect(got.error?.message).toMatch(/^ffmpeg exited with code \d+: /);
    expect(got.error?.message).not.toContain(env.dataDir);
    expect(env.seen.find((e) => e.type === 'failed' && e.videoId === job.videoId)?.data).toMatchObject({
      status: 'failed',
      error: { code: 'encode_failed' },
    });
  });

  it('fails with encode_timeout when ffmpeg outlives the encode timeout', async () => {
    const env = setup({}, { VOD_ENCODE_TIMEOUT_MS: '1000' });
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(longClip) });
    await until('failed', async () => (await env.jobs.get(job.jobId))?.status === 'failed', 20_000);
    expect((await env.jobs.get(job.jobId))!.error?.code).toBe('encode_timeout');
    expect(env.service.runningPids().size).toBe(0);
  });

  it('fails with source_missing when the file went away before the job started', async () => {
    const env = setup();
    const fileId = await env.addFile(shortClip);
    const job = await env.service.create(principal, { fileId });
    await env.files.delete(fileId);
    env.service.start();
    await until('failed', async () => (await env.jobs.get(job.jobId))?.status === 'failed');
    expect((await env.jobs.get(job.jobId))!.error?.code).toBe('source_missing');
  });

  it('stop() kills ffmpeg and hands the job back to the queue', async () => {
    const env = setup();
    env.service.start();
    const job = await env.service.create(principal, { fileId: await env.addFile(longClip) });
    const pid = await until('pid', () => env.service.runningPids().get(job.jobId));
    await env.service.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await env.jobs.get(job.jobId)).toMatchObject({ status: 'queued', leaseOwner: null });
  });

  it('requeues a job whose lease expired and runs it from scratch', async () => {
    const env = setup({ pollMs: 100 });
    const fileId = await env.addFile(shortClip);
    const job = await env.service.create(principal, { fileId });
    // Claimed by a worker on another host that then died: its lease runs out.
    await env.jobs.claimNext('other-host:1:x', 300);
    const leftover = path.join(env.storage.videoDir(job.videoId), '360', 'leftover.m4s');
    fs.mkdirSync(path.dirname(leftover), { recursive: true });
    fs.writeFileSync(leftover, 'x');
    env.service.start();
    await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed');
    expect((await env.jobs.get(job.jobId))!.attempts).toBe(2);
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it('clears only the encoder outputs on a re-claim: other features keep their folders', async () => {
    const env = setup({ pollMs: 100 });
    const job = await env.service.create(principal, { fileId: await env.addFile(shortClip) });
    await env.jobs.claimNext('other-host:1:x', 300);
    const videoDir = env.storage.videoDir(job.videoId);
    for (const f of [
      '360/seg_00000.m4s',
      'master.m3u8',
      'thumbs/a.jpg',
      'storyboard.vtt',
      'subtitles/en.vtt',
    ]) {
      fs.mkdirSync(path.dirname(path.join(videoDir, f)), { recursive: true });
      fs.writeFileSync(path.join(videoDir, f), 'old');
    }
    env.service.start();
    await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed');
    expect(fs.readFileSync(path.join(videoDir, 'thumbs/a.jpg'), 'utf8')).toBe('old');
    expect(fs.readFileSync(path.join(videoDir, 'storyboard.vtt'), 'utf8')).toBe('old');
    expect(fs.readFileSync(path.join(videoDir, 'subtitles/en.vtt'), 'utf8')).toBe('old');
    expect(fs.readFileSync(path.join(videoDir, 'master.m3u8'), 'utf8')).toContain('#EXTM3U');
    expect(fs.readFileSync(path.join(videoDir, '360/seg_00000.m4s')).subarray(4, 8).toString()).not.toBe(
      'old',
    );
  });

  it('fails with source_truncated when the media end far before the header says (faststart MP4, mdat cut)', async () => {
    const env = setup();
    env.service.start();
    const whole = await makeClip(path.join(clipDir, 'faststart.mp4'), {
      duration: 10,
      width: 320,
      height: 240,
      extra: ['-movflags', '+faststart'],
    });
    const cut = path.join(clipDir, 'cut.mp4');
    const bytes = fs.readFileSync(whole);
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 10)));
    const job = await env.service.create(principal, { fileId: await env.addFile(cut) });
    await until('failed', async () => (await env.jobs.get(job.jobId))?.status === 'failed');
    expect((await env.jobs.get(job.jobId))!.error).toMatchObject({ code: 'source_truncated' });
    expect((await env.jobs.get(job.jobId))!.error!.message).toMatch(/promises 10\.000 s/);
  });

  it('fails with too_long a source whose header lies (600 s Matroska claiming 1 s), and keeps none of it', async () => {
    const env = setup({}, { VOD_MAX_DURATION_S: '8' });
    env.service.start();
    const mkv = await makeClip(path.join(clipDir, 'liar.mkv'), {
      duration: 600,
      width: 64,
      height: 64,
      fps: 5,
      audio: null,
    });
    const bytes = fs.readFileSync(mkv);
    // Segment Info's Duration element (0x4489, an 8-byte float in milliseconds): 600000 → 1000.
    const at = bytes.indexOf(Buffer.from([0x44, 0x89, 0x88]));
    expect(at).toBeGreaterThan(0);
    bytes.writeDoubleBE(1000, at + 3);
    fs.writeFileSync(mkv, bytes);
    const fileId = await env.addFile(mkv);
    expect((await env.files.get(fileId))!.metadata!.duration).toBe(1);
    const job = await env.service.create(principal, { fileId });
    await until('failed', async () => (await env.jobs.get(job.jobId))?.status === 'failed');
    expect((await env.jobs.get(job.jobId))!.error).toMatchObject({
      code: 'too_long',
      message: expect.stringMatching(/more than the 8 s accepted/),
    });
    expect(env.seen.find((e) => e.type === 'failed' && e.videoId === job.videoId)).toBeDefined();
    await until('outputs removed', async () => !fs.existsSync(env.storage.videoDir(job.videoId)));
  });

  it('kills the orphaned ffmpeg of a SIGKILLed server before requeueing its job', async () => {
    const env = setup({ pollMs: 100 });
    const clip = await makeClip(path.join(clipDir, 'orphan.mp4'), { duration: 20, width: 480, height: 270 });
    const job = await env.service.create(principal, { fileId: await env.addFile(clip) });
    const root = path.resolve(import.meta.dirname, '../../..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        VOD_DATA_DIR: env.dataDir,
        VOD_PORT: '0',
        VOD_HOST: '127.0.0.1',
        VOD_DEMO: '0',
        VOD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    try {
      const orphan = await until(
        'the child encodes',
        async () => (await env.jobs.get(job.jobId))?.encoderPid,
        120_000,
      ).catch(async (e) => {
        console.error(await env.jobs.get(job.jobId));
        throw e;
      });
      // Every ffmpeg of the encode (the start group and the rest), not only the recorded one.
      const orphans = await findEncoderProcesses(env.storage.videoDir(job.videoId));
      expect(orphans).toContain(orphan);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The defect: ffmpeg outlives the server and keeps writing the job's folder.
      expect(await isEncoderProcess(orphan, env.storage.videoDir(job.videoId))).toBe(true);
      env.service.start();
      await until(
        'requeued and claimed again',
        async () => ((await env.jobs.get(job.jobId))?.attempts ?? 0) >= 2,
        10_000,
      );
      for (const pid of orphans) {
        expect(await isEncoderProcess(pid, env.storage.videoDir(job.videoId))).toBe(false);
      }
      await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed', 180_000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 300_000);

  it('makes progressive faststart MP4 downloads of the asked rungs beside the whole HLS ladder', async () => {
    const env = setup();
    env.service.start();
    const job = await env.service.create(principal, {
      fileId: await env.addFile(shortClip),
      presets: [{ format: 'mp4', resolutions: ['240'] }],
    });
    await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed');
    const got = await env.service.get(principal, job.jobId);
    expect(got.renditions.map((r) => r.name)).toEqual(['240', '360']);
    expect(got.downloads).toEqual([
      {
        name: '240',
        format: 'mp4',
        width: 426,
        height: 240,
        bytes: expect.any(Number),
        url: `http://vod.test/stream/${job.videoId}/downloads/240.mp4`,
      },
    ]);
    const file = path.join(env.storage.videoDir(job.videoId), 'downloads', '240.mp4');
    expect(fs.statSync(file).size).toBe(got.downloads[0]!.bytes);
    const { stdout } = await promisify(execFile)('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration:stream=codec_type,width',
      '-of',
      'json',
      file,
    ]);
    const probed = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_type: string }[] };
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Number(probed.format.duration)).toBeCloseTo(9, 0);
    // faststart: the moov comes before the mdat.
    const head = fs.readFileSync(file).subarray(0, 4096).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(0);
    expect(head.indexOf('moov')).toBeLessThan(fs.readFileSync(file).indexOf('mdat'));
  });

  it('resumes the pictures of a job whose server was SIGKILLed after its encode, without encoding again', async () => {
    const env = setup({ pollMs: 100 });
    const timestamps = Array.from(
      { length: 40 },
      (_, i) => `00:00:0${(i * 0.2).toFixed(1).padStart(3, '0')}`,
    );
    const job = await env.service.create(principal, {
      fileId: await env.addFile(shortClip),
      thumbnails: timestamps.map((timestamp) => ({ timestamp, formats: ['jpg', 'webp'] as const })),
    });
    const root = path.resolve(import.meta.dirname, '../../..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        VOD_DATA_DIR: env.dataDir,
        VOD_PORT: '0',
        VOD_HOST: '127.0.0.1',
        VOD_DEMO: '0',
        VOD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const videoDir = env.storage.videoDir(job.videoId);
    const manifest = () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(videoDir, '.pictures.json'), 'utf8')) as {
          thumbnails: unknown[];
        };
      } catch {
        return null;
      }
    };
    try {
      // The encode is done (its duration recorded) and the pictures are half made.
      await until(
        'encoded, pictures under way',
        async () =>
          !!(await env.jobs.get(job.jobId))?.outputDuration && (manifest()?.thumbnails.length ?? 0) >= 2,
        120_000,
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    } finally {
      child.kill('SIGKILL');
    }
    const before = manifest()!.thumbnails.length;
    expect(before).toBeLessThan(80);
    expect((await env.jobs.get(job.jobId))!.status).toBe('processing');
    const segment = path.join(videoDir, '360', 'seg_00000.m4s');
    const encodedAt = fs.statSync(segment).mtimeMs;
    const config = loadConfig({ VOD_DATA_DIR: env.dataDir, VOD_PUBLIC_URL: 'http://vod.test' });
    const deps = {
      config,
      storage: env.storage,
      files: env.files,
      jobs: env.jobs,
      events: env.events,
      log: silent,
    };
    const pictures = new PictureService(deps);
    const service = new EncodingService({ ...deps, pictures, timings: { pollMs: 100, renewMs: 200 } });
    try {
      service.start();
      await until('completed', async () => (await env.jobs.get(job.jobId))?.status === 'completed', 180_000);
    } finally {
      await service.stop();
      await pictures.stop();
    }
    const got = await service.get(principal, job.jobId);
    expect((await env.jobs.get(job.jobId))!.attempts).toBe(2);
    expect(got.thumbnails).toHaveLength(80);
    expect(got.storyboard).toMatch(/storyboard\.vtt$/);
    expect(got.playback).not.toBeNull();
    // Not encoded again: the first attempt's segments are still there, untouched.
    expect(fs.statSync(segment).mtimeMs).toBe(encodedAt);
    expect(env.seen.filter((e) => e.type === 'completed' && e.videoId === job.videoId)).toHaveLength(1);
  }, 300_000);

  it('validates the request before looking at the file', async () => {
    const env = setup();
    const bad = (body: unknown) => env.service.create(principal, body as never);
    await expect(bad({})).rejects.toThrow(/fileId/);
    await expect(bad({ fileId: 'x', presets: [{ resolutions: ['999'] }] })).rejects.toThrow(/not one of/);
    await expect(bad({ fileId: 'x', presets: [{ format: 'dash' }] })).rejects.toThrow(
      /"hls", "mp4" or "m4a"/,
    );
    await expect(bad({ fileId: 'x', thumbnails: [{ timestamp: '00:61:00' }] })).rejects.toThrow(/HH:MM:SS/);
    await expect(bad({ fileId: 'x', webhookUrl: 'javascript:alert(1)' })).rejects.toThrow(/http/);
    await expect(bad({ fileId: 'x', userData: { big: 'x'.repeat(20_000) } })).rejects.toThrow(/userData/);
    await expect(bad({ fileId: 'nosuchfile00000' })).rejects.toThrow(/no file/);
  });
});
