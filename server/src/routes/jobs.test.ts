import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { EncoderJob, FileRecord, Page, Video } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, makeClip, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

let server: TestServer;
let token: string;
let clipDir: string;
let shortClip: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-jobs-clips-');
  [server, shortClip] = await Promise.all([
    startServer(),
    clips.h264Aac(clipDir, { duration: 6, width: 640, height: 360 }).then((f) => fs.readFileSync(f)),
  ]);
  token = await server.token();
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

/** Uploads with tus-js-client, as an app would; resolves with the file id once probed. */
const upload = (data: Buffer, s: TestServer = server, bearer = token): Promise<string> =>
  tusUpload(data, {
    baseUrl: s.baseUrl,
    bearer,
    metadata: { filename: 'clip.mp4', filetype: 'video/mp4', title: 'Jobs test' },
  }).then(fileIdOf);

async function api(
  pathname: string,
  init: RequestInit & { bearer?: string | null; json?: unknown; s?: TestServer } = {},
): Promise<Response> {
  const { json, s = server, ...rest } = init;
  // Each server has its own data dir, hence its own dev key.
  const bearer = init.bearer === undefined ? (s === server ? token : await s.token()) : init.bearer;
  const headers = new Headers(rest.headers);
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  if (json !== undefined) headers.set('content-type', 'application/json');
  return fetch(`${s.baseUrl}${pathname}`, {
    ...rest,
    headers,
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

async function createJob(body: unknown, s: TestServer = server): Promise<EncoderJob> {
  const res = await api('/v1/encoder/jobs', { method: 'POST', json: body, s });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as EncoderJob;
}

async function getJob(jobId: string, s: TestServer = server): Promise<EncoderJob> {
  const res = await api(`/v1/encoder/jobs/${jobId}`, { s });
  expect(res.status).toBe(200);
  return (await res.json()) as EncoderJob;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await fn();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const waitForStatus = (jobId: string, status: EncoderJob['status'], s: TestServer = server) =>
  waitFor(`job ${jobId} ${status}`, async () => {
    const job = await getJob(jobId, s);
    if (job.status !== status && ['completed', 'failed', 'cancelled'].includes(job.status)) {
      throw new Error(`job ended ${job.status}: ${JSON.stringify(job.error)}`);
    }
    return job.status === status && job;
  });

/** A raw GET that keeps the path exactly as written (fetch would normalize `..`). */
function rawGet(pathname: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: pathname }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads Server-Sent Events until `until` returns true; authenticates with ?token= like EventSource. */
async function readEvents(videoId: string, until: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const res = await api(`/v1/videos/${videoId}/events?token=${encodeURIComponent(token)}`, { bearer: null });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        const e = { event, data: JSON.parse(data) as Record<string, unknown> };
        events.push(e);
        if (until(e)) return events;
      }
    }
  } finally {
    await reader.cancel();
  }
}

describe('encoder jobs, videos and streaming', () => {
  let job: EncoderJob;

  it('uploads, encodes, and serves a playable ladder', async () => {
    const fileId = await upload(shortClip);
    // A job's webhookUrl is signed with the key's signing secret: it must exist first.
    const secret = await api('/v1/webhooks/signing-secret', {
      method: 'POST',
      bearer: await server.token(['allow_admin']),
    });
    expect(secret.status).toBe(201);
    job = await createJob({ fileId, userData: { ref: 42 }, webhookUrl: 'https://example.com/hook' });
    expect(job).toMatchObject({
      fileId,
      status: 'queued',
      progress: 0,
      playback: null,
      userData: { ref: 42 },
      webhookUrl: 'https://example.com/hook',
      protected: false,
    });
    expect(job.videoId).toMatch(/^[a-z0-9]{20}$/);

    const events = readEvents(job.videoId, (e) => e.event === 'completed');
    const done = await waitForStatus(job.jobId, 'completed');
    expect(done.progress).toBe(100);
    expect(done.renditions.map((r) => `${r.name}:${r.width}x${r.height}:${r.playlist}`)).toEqual([
      '240:426x240:240/index.m3u8',
      '360:640x360:360/index.m3u8',
    ]);
    expect(done.playback).toEqual({
      hls: `${server.baseUrl}/stream/${job.videoId}/master.m3u8`,
      embed: `${server.baseUrl}/embed/${job.videoId}`,
      poster: `${server.baseUrl}/stream/${job.videoId}/poster.jpg`,
    });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();

    const seen = await events;
    // The first event is the state at connection time; `completed` comes last either way.
    expect(seen.at(-1)!.event).toBe('completed');
    expect(seen.at(-1)!.data).toMatchObject({ jobId: job.jobId });
    expect(seen[0]!.data).toMatchObject({ jobId: job.jobId });

    const video = (await (await api(`/v1/videos/${job.videoId}`)).json()) as Video;
    expect(video).toMatchObject({
      videoId: job.videoId,
      fileId,
      jobId: job.jobId,
      status: 'completed',
      title: 'Jobs test',
      width: 640,
      height: 360,
      projection: 'flat',
      protected: false,
      playback: done.playback,
    });
    expect(video.duration).toBeCloseTo(6, 0);
  }, 90_000);

  it('streams playlists, segments, init and poster with the right types, caching and CORS', async () => {
    const base = `/stream/${job.videoId}`;
    const master = await api(`${base}/master.m3u8`, {
      bearer: null,
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.headers.get('access-control-allow-origin')).toBe('*');
    expect(master.headers.get('cache-control')).toBe('no-cache');
    expect(master.headers.get('etag')).toBeTruthy();
    expect(await master.text()).toContain('#EXT-X-STREAM-INF');

    const playlist = await (await api(`${base}/240/index.m3u8`, { bearer: null })).text();
    expect(playlist.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
    const segment = playlist.split('\n').find((l) => l.endsWith('.m4s'))!;

    const seg = await api(`${base}/240/${segment}`, { bearer: null });
    expect(seg.status).toBe(200);
    expect(seg.headers.get('content-type')).toBe('video/iso.segment');
    expect(seg.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const full = Buffer.from(await seg.arrayBuffer());

    const ranged = await api(`${base}/240/${segment}`, { bearer: null, headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-99/${full.length}`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(full.subarray(0, 100));

    const initRes = await api(`${base}/240/${init}`, { bearer: null });
    expect(initRes.headers.get('content-type')).toBe('video/mp4');
    const poster = await api(`${base}/poster.jpg`, { bearer: null });
    expect(poster.status).toBe(200);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');

    const head = await api(`${base}/master.m3u8`, { method: 'HEAD', bearer: null });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });

  it('answers JSON 404 for missing files, temp files and any path out of the video folder', async () => {
    const base = `/stream/${job.videoId}`;
    const missing = await api(`${base}/nope.m3u8`, { bearer: null });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(missing.headers.get('cache-control')).toBeNull();

    fs.writeFileSync(path.join(server.dataDir, 'videos', job.videoId, 'half.m4s.tmp'), 'partial');
    expect((await api(`${base}/half.m4s.tmp`, { bearer: null })).status).toBe(404);

    for (const p of [
      `${base}/../../vodkit.sqlite`,
      `${base}/%2e%2e/%2e%2e/vodkit.sqlite`,
      `${base}/..%2f..%2fvodkit.sqlite`,
      `${base}/%2e%2e%2f%2e%2e%2fvodkit.sqlite`,
      `${base}/240/..%2f..%2f..%2fdev-key.json`,
      `/stream/..%2f..%2fvodkit.sqlite/x`,
      `${base}/%252e%252e%252fvodkit.sqlite`,
      `${base}/.hidden`,
      `${base}/240`,
      `${base}/240/`,
      `${base}/`,
    ]) {
      const res = await rawGet(p);
      expect(res.status, p).toBe(404);
      expect(res.body).not.toContain('SQLite format');
      expect(res.body).not.toContain('secret');
    }
  });

  it('serves an MP4 download (presets format mp4) with Range, listed on the job and the video', async () => {
    const fileId = await upload(shortClip);
    const created = await createJob({ fileId, presets: [{ format: 'mp4', resolutions: ['360'] }] });
    const done = await waitFor('completed', async () => {
      const j = await getJob(created.jobId);
      return j.status === 'completed' && j;
    });
    expect(done.downloads).toEqual([
      expect.objectContaining({
        name: '360',
        width: 640,
        height: 360,
        url: expect.stringMatching(/\/downloads\/360\.mp4$/),
      }),
    ]);
    const video = (await (await api(`/v1/videos/${done.videoId}`)).json()) as Video;
    expect(video.downloads).toEqual(done.downloads);
    const path = new URL(done.downloads[0]!.url).pathname;
    const ranged = await api(path, { bearer: null, headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-type')).toBe('video/mp4');
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-7/${done.downloads[0]!.bytes}`);
    expect(
      Buffer.from(await ranged.arrayBuffer())
        .subarray(4, 8)
        .toString(),
    ).toBe('ftyp');
  }, 90_000);

  it('lists jobs newest first with pages', async () => {
    const fileId = await upload(shortClip);
    const second = await createJob({ fileId, presets: [{ resolutions: ['240'], format: 'hls' }] });
    const page = (await (await api('/v1/encoder/jobs?page=1&perPage=1')).json()) as Page<EncoderJob>;
    expect(page.data.map((j) => j.jobId)).toEqual([second.jobId]);
    expect(page.pageInfo).toMatchObject({ page: 1, perPage: 1 });
    expect(page.pageInfo.total).toBeGreaterThanOrEqual(2);
    const done = await waitForStatus(second.jobId, 'completed');
    // The preset filters the ladder.
    expect(done.renditions.map((r) => r.name)).toEqual(['240']);
  }, 60_000);

  it('refuses jobs for unknown, foreign, probing and rejected files, and bad requests', async () => {
    const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
    const post = (body: unknown, bearer = token) =>
      api('/v1/encoder/jobs', { method: 'POST', json: body, bearer });

    let res = await post({ fileId: 'doesnotexist0000' });
    expect(res.status).toBe(404);
    expect(await code(res)).toBe('not_found');

    // Another API key's file is as absent as a missing one.
    const other = await server.app.vodkit.auth.createKey('other');
    const otherToken = await signToken({
      ...other,
      permissions: ['allow_upload', 'allow_encode', 'allow_read'],
    });
    const foreignFile = await upload(shortClip, server, otherToken);
    res = await post({ fileId: foreignFile });
    expect(res.status).toBe(404);

    // TEST-ONLY: a file caught mid-probe cannot be produced reliably through tus, so it is inserted directly.
    await server.app.vodkit.repos.files.insertProbing({
      fileId: 'probingfile00000',
      apiKey: server.devKey.apiKey,
      filename: 'p.mp4',
      filetype: 'video/mp4',
      title: null,
      size: 1,
    });
    res = await post({ fileId: 'probingfile00000' });
    expect(res.status).toBe(409);
    expect(await code(res)).toBe('file_not_ready');

    const rejected = await upload(Buffer.from('not a video at all\n'.repeat(50)));
    expect(((await (await api(`/v1/files/${rejected}`)).json()) as FileRecord).status).toBe('rejected');
    res = await post({ fileId: rejected });
    expect(res.status).toBe(422);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { code: string } };
    };
    expect(body.error.code).toBe('file_rejected');
    expect(body.error.details.code).toBe('probe_failed');

    const ready = await upload(shortClip);
    for (const bad of [
      { fileId: ready, presets: [{ resolutions: ['4320'] }] },
      { fileId: ready, presets: [{ resolutions: [] }] },
      { fileId: ready, thumbnails: [{ timestamp: '1:2' }] },
      { fileId: ready, thumbnails: [{ timestamp: '00:00:99' }] },
      { fileId: ready, thumbnails: [{ timestamp: '01:00:00' }] },
      { fileId: ready, webhookUrl: 'ftp://example.com/x' },
      { fileId: ready, webhookUrl: 'not a url' },
      { fileId: ready, userData: 'text' },
      { fileId: ready, protected: 'yes' },
    ]) {
      res = await post(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await code(res)).toBe('validation_failed');
    }
    const ok = await createJob({
      fileId: ready,
      thumbnails: [{ timestamp: '00:00:01.5', formats: ['jpg'] }],
    });
    await waitForStatus(ok.jobId, 'completed');

    res = await post({ fileId: ready }, await server.token(['allow_read']));
    expect(res.status).toBe(403);
    expect((await api(`/v1/encoder/jobs/${ok.jobId}`, { bearer: otherToken })).status).toBe(404);
    expect((await api(`/v1/videos/${ok.videoId}`, { bearer: otherToken })).status).toBe(404);
    expect((await api(`/v1/encoder/jobs/${ok.jobId}`, { bearer: null })).status).toBe(401);
    expect((await api(`/v1/videos/${ok.videoId}/events`, { bearer: null })).status).toBe(401);
  }, 90_000);

  it('cancels a running job: ffmpeg is gone, the job is cancelled, the output removed', async () => {
    const long = fs.readFileSync(
      await makeClip(path.join(clipDir, 'long.mp4'), { duration: 40, width: 1280, height: 720 }),
    );
    const fileId = await upload(long);
    const created = await createJob({ fileId });
    await waitForStatus(created.jobId, 'processing');
    const pid = await waitFor('ffmpeg pid', async () =>
      server.app.vodkit.encoding.runningPids().get(created.jobId),
    );
    expect(() => process.kill(pid, 0)).not.toThrow();

    const res = await api(`/v1/encoder/jobs/${created.jobId}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as EncoderJob;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error?.code).toBe('cancelled');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(path.join(server.dataDir, 'videos', created.videoId))).toBe(false);
    expect(server.app.vodkit.encoding.runningPids().size).toBe(0);

    const again = await api(`/v1/encoder/jobs/${created.jobId}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect((await api(`/v1/encoder/jobs/${job.jobId}`, { method: 'DELETE' })).status).toBe(409);
  }, 60_000);
});

describe('restarts', () => {
  it('hands a running job back on shutdown and restarts it (and a dead worker’s job) on the next boot', async () => {
    const dataDir = tempDir('vodkit-restart-');
    let a: TestServer | null = await startServer({}, dataDir);
    try {
      const tokenA = await a.token();
      const clip = fs.readFileSync(
        await makeClip(path.join(clipDir, 'restart.mp4'), { duration: 10, width: 1280, height: 720 }),
      );
      const fileId = await upload(clip, a, tokenA);
      const res = await api('/v1/encoder/jobs', { method: 'POST', json: { fileId }, bearer: tokenA, s: a });
      const first = (await res.json()) as EncoderJob;
      await waitFor('processing', async () => a!.app.vodkit.encoding.runningPids().get(first.jobId));
      await a.close();
      a = null;

      const db = new Database(path.join(dataDir, 'vodkit.sqlite'));
      expect(db.prepare('SELECT status, lease_owner FROM jobs WHERE job_id = ?').get(first.jobId)).toEqual({
        status: 'queued',
        lease_owner: null,
      });
      // A second job as a killed server leaves it: processing, a lease that ran out, half an output.
      const crashed = { jobId: 'crashedjob000000', videoId: 'crashedvideo0000' };
      db.prepare(
        `INSERT INTO jobs (job_id, video_id, file_id, api_key, status, progress, request, playable, attempts,
           lease_owner, lease_until, created_at, started_at)
         SELECT ?, ?, file_id, api_key, 'processing', 37, request, 1, 1, 'gone-host:4242:x', ?, ?, ?
         FROM jobs WHERE job_id = ?`,
      ).run(
        crashed.jobId,
        crashed.videoId,
        Date.now() - 1000,
        new Date().toISOString(),
        new Date().toISOString(),
        first.jobId,
      );
      db.close();
      const stale = path.join(dataDir, 'videos', crashed.videoId, '360', 'stale.m4s');
      fs.mkdirSync(path.dirname(stale), { recursive: true });
      fs.writeFileSync(stale, 'left by the dead worker');

      const b = await startServer({}, dataDir);
      try {
        const firstDone = await waitForStatus(first.jobId, 'completed', b);
        expect(firstDone.playback).not.toBeNull();
        const crashedDone = await waitForStatus(crashed.jobId, 'completed', b);
        expect(crashedDone.renditions.length).toBeGreaterThan(0);
        // Restarted from scratch: the dead worker's leftovers are gone.
        expect(fs.existsSync(stale)).toBe(false);
        const master = await api(`/stream/${crashed.videoId}/master.m3u8`, { bearer: null, s: b });
        expect(master.status).toBe(200);
        // An event stream left open must not keep the server from closing.
        const sse = await api(`/v1/videos/${crashed.videoId}/events`, { s: b });
        expect(sse.status).toBe(200);
      } finally {
        await b.close();
      }
    } finally {
      await a?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
