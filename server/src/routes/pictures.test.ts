import fs from 'node:fs';
import path from 'node:path';
import type { EncoderJob, Video } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combRatio } from '../../test/combing.ts';
import { clips, interlacedClip, tempDir } from '../../test/fixtures.ts';
import { blackThenBars, imageStats, parseVttTiles } from '../../test/pictures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';
import { snapTimeMs, snapWidth } from '../services/pictures.ts';

let server: TestServer;
let token: string;
let dir: string;
let job: EncoderJob;
let audioJob: EncoderJob;

async function api(pathname: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${server.baseUrl}${pathname}`, {
    ...init,
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
}

async function encode(file: string, body: Record<string, unknown> = {}): Promise<EncoderJob> {
  const fileId = fileIdOf(await tusUpload(fs.readFileSync(file), { baseUrl: server.baseUrl, bearer: token }));
  const res = await api('/v1/encoder/jobs', { method: 'POST', json: { fileId, ...body } });
  expect(res.status, await res.clone().text()).toBe(201);
  const created = (await res.json()) as EncoderJob;
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const now = (await (await api(`/v1/encoder/jobs/${created.jobId}`)).json()) as EncoderJob;
    if (now.status === 'completed') return now;
    if (now.status === 'failed') throw new Error(JSON.stringify(now.error));
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error('the job did not complete');
}

/** Saves a response body to a file, for ffprobe. */
async function saved(res: Response, name: string): Promise<string> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

/** Polls a condition the service reaches through a few awaits (database reads, p-limit's microtask). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 10_000) throw new Error(what);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const stream = (videoId: string, rest: string) => fetch(`${server.baseUrl}/stream/${videoId}/${rest}`);

beforeAll(async () => {
  dir = tempDir('vodkit-pictures-');
  server = await startServer();
  token = await server.token();
  const [video, audio] = await Promise.all([
    blackThenBars(path.join(dir, 'black-bars.mp4'), 2, 4),
    clips.audioOnly(dir, { duration: 2 }),
  ]);
  job = await encode(video, {
    thumbnails: [
      { timestamp: '00:00:03', resolutions: ['240', '720'], formats: ['jpg', 'webp'] },
      // The very end: the last frame starts before it.
      { timestamp: '00:00:06' },
    ],
  });
  audioJob = await encode(audio);
}, 300_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('job pictures', () => {
  it('lists the requested thumbnails and the storyboard on the completed job and on the video', async () => {
    expect(job.storyboard).toBe(`${server.baseUrl}/stream/${job.videoId}/storyboard.vtt`);
    expect(job.thumbnails.map(({ url: _, ...t }) => t)).toEqual([
      { timestamp: '00:00:03', resolution: '240', format: 'jpg', width: 426, height: 240 },
      { timestamp: '00:00:03', resolution: '240', format: 'webp', width: 426, height: 240 },
      // Never above the source (640×360).
      { timestamp: '00:00:03', resolution: '720', format: 'jpg', width: 640, height: 360 },
      { timestamp: '00:00:03', resolution: '720', format: 'webp', width: 640, height: 360 },
      { timestamp: '00:00:06', resolution: null, format: 'jpg', width: 640, height: 360 },
    ]);
    for (const t of job.thumbnails) {
      const res = await fetch(t.url);
      expect(res.status, t.url).toBe(200);
      expect(res.headers.get('content-type')).toBe(t.format === 'jpg' ? 'image/jpeg' : 'image/webp');
      const stats = await imageStats(await saved(res, `job-${t.width}.${t.format}`));
      expect(stats).toMatchObject({ width: t.width, height: t.height });
      // 3 s and 6 s are inside the bars.
      expect(stats.meanY).toBeGreaterThan(60);
    }
    const video = (await (await api(`/v1/videos/${job.videoId}`)).json()) as Video;
    expect(video.thumbnails).toEqual(job.thumbnails);
    expect(video.storyboard).toBe(job.storyboard);
  });

  it('serves a representative poster, not the black opening', async () => {
    const res = await stream(job.videoId, 'poster.jpg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const stats = await imageStats(await saved(res, 'poster.jpg'));
    expect(stats).toMatchObject({ width: 640, height: 360 });
    expect(stats.meanY).toBeGreaterThan(60);
    expect(stats.stdY).toBeGreaterThan(30);
  });

  it('serves the storyboard the player reads: #xywh cues on a sheet beside it', async () => {
    const res = await stream(job.videoId, 'storyboard.vtt');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const tiles = parseVttTiles(await res.text());
    expect(tiles).toHaveLength(6);
    expect(tiles[3]).toEqual({ start: 3, end: 4, sheet: 'storyboard.jpg', x: 480, y: 0, w: 160, h: 90 });
    const sheet = await stream(job.videoId, 'storyboard.jpg');
    expect(sheet.status).toBe(200);
    expect(await imageStats(await saved(sheet, 'sheet.jpg'))).toMatchObject({ width: 960, height: 90 });
  });

  it('gives an audio-only video an empty storyboard (no 404 for players), and no thumbnails', async () => {
    const res = await stream(audioJob.videoId, 'storyboard.vtt');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('WEBVTT\n');
    expect(audioJob.storyboard).toBeNull();
    const thumb = await stream(audioJob.videoId, 'thumbnail.jpg');
    expect(thumb.status).toBe(404);
    expect(((await thumb.json()) as { error: { code: string } }).error.code).toBe('not_found');
    // Asking for thumbnails of it is refused up front rather than silently ignored.
    const refused = await api('/v1/encoder/jobs', {
      method: 'POST',
      json: { fileId: audioJob.fileId, thumbnails: [{ timestamp: '00:00:01' }] },
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('only audio'),
    });
  });
});

describe('while encoding', () => {
  it("a running job's storyboard answers once made (no 404 for an early player); a queued one is 404", async () => {
    const pictures = server.app.vodkit.pictures;
    const waitMs = pictures.limits.waitMs;
    // However busy the machine, the early request waits for the storyboard rather than 404.
    pictures.limits.waitMs = 120_000;
    try {
      const upload = async (seconds: number) =>
        fileIdOf(
          await tusUpload(
            fs.readFileSync(await clips.h264Aac(dir, { duration: seconds, width: 1280, height: 720 })),
            { baseUrl: server.baseUrl, bearer: token },
          ),
        );
      const [first, second] = [await upload(20), await upload(3)];
      const running = (await (
        await api('/v1/encoder/jobs', { method: 'POST', json: { fileId: first } })
      ).json()) as EncoderJob;
      // One encode at a time: this one waits in the queue behind the first.
      const queued = (await (
        await api('/v1/encoder/jobs', { method: 'POST', json: { fileId: second } })
      ).json()) as EncoderJob;
      // Started (its pictures begin before its ffmpeg), but far from done.
      const until = Date.now() + 60_000;
      while (!server.app.vodkit.encoding.runningPids().get(running.jobId) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const early = await stream(running.videoId, 'storyboard.vtt');
      expect(early.status).toBe(200);
      expect(parseVttTiles(await early.text())).toHaveLength(20);

      const notYet = await stream(queued.videoId, 'storyboard.vtt');
      const state = ((await (await api(`/v1/encoder/jobs/${queued.jobId}`)).json()) as EncoderJob).status;
      if (state === 'queued') {
        expect(notYet.status).toBe(404);
        expect(((await notYet.json()) as { error: { code: string } }).error.code).toBe('not_found');
      }
      // On demand works from the source as soon as the job exists.
      const thumb = await stream(queued.videoId, 'thumbnail.jpg?time=1&width=160');
      expect(thumb.status).toBe(200);
      expect(await imageStats(await saved(thumb, 'queued.jpg'))).toMatchObject({ width: 160, height: 90 });
      await api(`/v1/encoder/jobs/${running.jobId}`, { method: 'DELETE' });
      await api(`/v1/encoder/jobs/${queued.jobId}`, { method: 'DELETE' });
    } finally {
      pictures.limits.waitMs = waitMs;
    }
  }, 180_000);
});

describe('GET /stream/:videoId/thumbnail.(jpg|webp)', () => {
  it('renders a frame at time and width, then serves it from the cache', async () => {
    const first = await stream(job.videoId, 'thumbnail.jpg?time=4.5&width=320');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(first.headers.get('x-vodkit-cache')).toBe('miss');
    expect(await imageStats(await saved(first, 'od.jpg'))).toMatchObject({
      width: 320,
      height: 180,
      codec: 'mjpeg',
    });
    const again = await stream(job.videoId, 'thumbnail.jpg?time=4.5&width=320');
    expect(again.headers.get('x-vodkit-cache')).toBe('hit');

    const webp = await stream(job.videoId, 'thumbnail.webp?time=1');
    expect(webp.status).toBe(200);
    expect(webp.headers.get('content-type')).toBe('image/webp');
    // Default width: the source's. At 1 s the clip is still black.
    const stats = await imageStats(await saved(webp, 'od.webp'));
    expect(stats).toMatchObject({ width: 640, height: 360, codec: 'webp' });
    expect(stats.meanY).toBeLessThan(30);
  });

  it('answers 400 with a code for a width above the source or a time past the end, 404 for unknown videos', async () => {
    for (const query of [
      'width=641',
      'width=8',
      'width=abc',
      'time=6.5',
      'time=-1',
      'time=abc',
      'width=100.5',
    ]) {
      const res = await stream(job.videoId, `thumbnail.jpg?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, query).toBe('validation_failed');
    }
    for (const rest of ['thumbnail.jpg', 'storyboard.vtt', 'poster.jpg', 'thumbnail.png']) {
      const res = await stream('nosuchvideo0000', rest);
      expect(res.status, rest).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code, rest).toBe('not_found');
    }
    // Another key's job id is not a video id either.
    expect((await stream(job.jobId, 'thumbnail.jpg')).status).toBe(404);
  });

  it('keeps the cache under its size cap, least recently used out first', async () => {
    const pictures = server.app.vodkit.pictures;
    const cacheDir = server.app.vodkit.storage.thumbnailCacheDir(job.videoId);
    const render = async (t: number) => {
      const res = await stream(job.videoId, `thumbnail.jpg?time=${t}&width=96`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    };
    await render(2.1);
    const one = fs.statSync(path.join(cacheDir, '2100-96.jpg')).size;
    const before = pictures.limits.cacheBytes;
    // Room for about two of these small renders and nothing else: the earlier, bigger ones go too.
    pictures.limits.cacheBytes = Math.floor(one * 2.5);
    try {
      await render(2.2);
      await render(2.1); // a hit: now the most recently used
      await render(2.3);
      const left = fs.readdirSync(cacheDir);
      expect(left).toContain('2100-96.jpg');
      expect(left).toContain('2300-96.jpg');
      expect(left).not.toContain('2200-96.jpg');
      expect(left).not.toContain('4500-320.jpg');
      expect(pictures.cacheBytes()).toBeLessThanOrEqual(pictures.limits.cacheBytes);
    } finally {
      pictures.limits.cacheBytes = before;
    }
  });

  it('snaps width up to a fixed set and time to a grid, says so, and so shares one render', async () => {
    const first = await stream(job.videoId, 'thumbnail.jpg?time=2.64&width=300');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-vodkit-cache')).toBe('miss');
    expect(first.headers.get('x-vodkit-width')).toBe('320');
    // A 6 s video: a grid of 0.1 s (THUMBNAIL_GRID_POINTS instants at most, 0.1 s at the finest).
    expect(first.headers.get('x-vodkit-time')).toBe('2.600');
    expect(await imageStats(await saved(first, 'snapped.jpg'))).toMatchObject({ width: 320, height: 180 });
    const neighbour = await stream(job.videoId, 'thumbnail.jpg?time=2.56&width=161');
    expect(neighbour.headers.get('x-vodkit-cache')).toBe('hit');
    expect(neighbour.headers.get('x-vodkit-time')).toBe('2.600');
    expect(neighbour.headers.get('x-vodkit-width')).toBe('320');
    await neighbour.arrayBuffer();
    // Above the last fixed width that fits, the source's own width; the grid never passes the end.
    expect(snapWidth(500, 640)).toBe(640);
    expect(snapWidth(500, 600)).toBe(600);
    expect(snapWidth(16, 640)).toBe(96);
    expect(snapTimeMs(6, 6)).toBe(6000);
    expect(snapTimeMs(14_399.5, 14_399.5)).toBe(14_400_000 - 28_800);
    expect(snapTimeMs(1000, 14_400)).toBe(1_008_000);
  });

  it('gives each client a budget of new renders: then 429 too_many_renders, while cached ones still come', async () => {
    const pictures = server.app.vodkit.pictures;
    const before = pictures.limits.renderBudget;
    pictures.limits.renderBudget = 0;
    try {
      const refused = await stream(job.videoId, 'thumbnail.jpg?time=0.7&width=96');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_renders');
      const cached = await stream(job.videoId, 'thumbnail.jpg?time=2.6&width=320');
      expect([cached.status, cached.headers.get('x-vodkit-cache')]).toEqual([200, 'hit']);
      await cached.arrayBuffer();

      // Counted per client address, on new renders only.
      pictures.limits.renderBudget = 2;
      const ask = (time: number, client: string) =>
        pictures.thumbnail(job.videoId, { time, width: 96, format: 'jpg', client });
      expect((await ask(0.3, 'client-a')).cache).toBe('miss');
      expect((await ask(0.3, 'client-a')).cache).toBe('hit');
      expect((await ask(0.4, 'client-a')).cache).toBe('miss');
      await expect(ask(0.5, 'client-a')).rejects.toMatchObject({ code: 'too_many_renders', status: 429 });
      expect((await ask(0.5, 'client-b')).cache).toBe('miss');
    } finally {
      pictures.limits.renderBudget = before;
    }
  });

  it('serves the nearest cached render of that width while the slots are busy, else queues, then 503', async () => {
    const pictures = server.app.vodkit.pictures;
    const saved = { ...pictures.limits };
    const near = await stream(job.videoId, 'thumbnail.jpg?time=1.5&width=320');
    expect(near.status).toBe(200);
    await near.arrayBuffer();
    Object.assign(pictures.limits, { renderConcurrency: 1, renderQueue: 1 });
    pictures.slots.concurrency = 1;
    // Hold the only slot, as a long render would.
    let release!: () => void;
    const held = pictures.slots(() => new Promise<void>((r) => (release = r)));
    try {
      await until(() => pictures.slots.activeCount === 1, 'the slot was never taken');
      const busy = await stream(job.videoId, 'thumbnail.jpg?time=1.8&width=300');
      expect(busy.status).toBe(200);
      expect(busy.headers.get('x-vodkit-cache')).toBe('nearest');
      expect(busy.headers.get('x-vodkit-time')).toBe('1.500');
      expect(busy.headers.get('x-vodkit-width')).toBe('320');
      expect(busy.headers.get('cache-control')).toBe('no-cache');
      await busy.arrayBuffer();
      // Nothing cached at that width: one waits in the queue, the next is refused.
      const queued = pictures.thumbnail(job.videoId, { time: 3.1, width: 480, format: 'jpg' });
      await until(() => pictures.slots.pendingCount === 1, 'the render never queued');
      const refused = await stream(job.videoId, 'thumbnail.jpg?time=3.2&width=480');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('render_busy');
      release();
      expect((await queued).cache).toBe('miss');
    } finally {
      release?.();
      await held;
      Object.assign(pictures.limits, saved);
    }
  });
});

describe('an interlaced source', () => {
  it('gets its poster, thumbnails, storyboard and on-demand frames from deinterlaced frames', async () => {
    // 160×128: every picture is at the source's size (a 160 px storyboard tile too), so its lines are the
    // source's lines and combing would show (scaled down, fields would blur into ghosts instead).
    const source = await interlacedClip(path.join(dir, 'interlaced.ts'), {
      width: 160,
      height: 128,
      duration: 3,
    });
    const interlaced = await encode(source, { thumbnails: [{ timestamp: '00:00:01.500' }] });
    const thumb = interlaced.thumbnails[0]!;
    expect([thumb.width, thumb.height]).toEqual([160, 128]);
    const pictures = [
      await saved(await fetch(thumb.url), 'i-thumb.jpg'),
      await saved(await stream(interlaced.videoId, 'poster.jpg'), 'i-poster.jpg'),
      await saved(await stream(interlaced.videoId, 'storyboard.jpg'), 'i-sheet.jpg'),
      await saved(await stream(interlaced.videoId, 'thumbnail.webp?time=2.2'), 'i-demand.webp'),
    ];
    expect((await imageStats(pictures[2]!)).width).toBe(480);
    // The source's frames comb (1.6); deinterlaced pictures are like progressive ones (0.6). Before the
    // fix these four measured 1.59, 1.59, 1.51 and 1.58.
    expect(await combRatio(source)).toBeGreaterThan(1.4);
    for (const picture of pictures) expect(await combRatio(picture), picture).toBeLessThan(0.9);
  });
});
