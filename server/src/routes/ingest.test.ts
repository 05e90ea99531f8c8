import fs from 'node:fs';
import path from 'node:path';
import { type FileRecord, VodkitClient, type WebhookPayload } from '@vodkit/api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { type Origin, serveBytes, startOrigin } from '../../test/origin.ts';
import { type Receiver, startReceiver } from '../../test/receiver.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { loadConfig } from '../config.ts';
import { createContext } from '../context.ts';
import { openSqliteRepositories } from '../db/sqlite.ts';

/*
 * Link ingest end to end (issue 15 §1): a real Vodkit server downloads from a real HTTP origin on
 * loopback. `dev` has VOD_INGEST_ALLOW_PRIVATE=1 (the origin is on 127.0.0.1) and short limits;
 * `strict` has the production address rule.
 */

const MAX_BYTES = 2 * 1024 * 1024;
const IDLE_MS = 3000;

let dev: TestServer;
let strict: TestServer;
let origin: Origin;
let receiver: Receiver;
let clip: Buffer;
let devToken: string;
let strictToken: string;

beforeAll(async () => {
  const dir = tempDir('vodkit-ingest-');
  let clipFile: string;
  [dev, strict, origin, receiver, clipFile] = await Promise.all([
    startServer({
      VOD_INGEST_ALLOW_PRIVATE: '1',
      VOD_WEBHOOK_ALLOW_PRIVATE: '1',
      VOD_INGEST_IDLE_TIMEOUT_MS: String(IDLE_MS),
      VOD_MAX_UPLOAD_BYTES: String(MAX_BYTES),
      VOD_MAX_OPEN_UPLOADS_PER_KEY: '6',
      VOD_INGEST_CONCURRENCY_PER_KEY: '4',
    }),
    startServer(),
    startOrigin(),
    startReceiver(),
    clips.h264Aac(dir, { duration: 1, width: 320, height: 240 }),
  ]);
  clip = fs.readFileSync(clipFile);
  [devToken, strictToken] = await Promise.all([
    dev.token(['allow_upload', 'allow_read', 'allow_delete', 'allow_admin']),
    strict.token(),
  ]);
  // Every file webhook of the dev key, to see the usual file.ready / file.rejected.
  const hook = await apiFetcher(
    () => dev.baseUrl,
    () => devToken,
  )('/v1/webhooks', {
    method: 'POST',
    json: { url: receiver.url('/files'), events: ['file.ready', 'file.rejected'] },
  });
  expect(hook.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([dev?.close(), strict?.close(), origin?.close(), receiver?.close()]);
});

const devApi = apiFetcher(
  () => dev.baseUrl,
  () => devToken,
);
const strictApi = apiFetcher(
  () => strict.baseUrl,
  () => strictToken,
);

/** Link ingest through the typed client, as an app would call it. */
const ingest = (url: string, title?: string): Promise<FileRecord> =>
  new VodkitClient({ baseUrl: dev.baseUrl, token: devToken }).createFileFromUrl({
    url,
    ...(title ? { title } : {}),
  });

const getFile = async (fileId: string): Promise<FileRecord> =>
  (await (await devApi(`/v1/files/${fileId}`)).json()) as FileRecord;

/** Polls the file until it leaves `downloading`/`probing` (bounded). */
async function settled(fileId: string): Promise<FileRecord> {
  let file = await getFile(fileId);
  await expect
    .poll(
      async () => {
        file = await getFile(fileId);
        return file.status;
      },
      { timeout: 20_000, interval: 50 },
    )
    .toMatch(/^(ready|rejected)$/);
  return file;
}

/** The SSE frames of a file's event stream, as they come. */
function fileEvents(fileId: string): {
  frames: { event: string; data: Record<string, unknown> }[];
  close(): void;
} {
  const frames: { event: string; data: Record<string, unknown> }[] = [];
  const controller = new AbortController();
  void (async () => {
    const res = await fetch(`${dev.baseUrl}/v1/files/${fileId}/events?token=${devToken}`, {
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) frames.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => {});
  return { frames, close: () => controller.abort() };
}

describe('link ingest', () => {
  it('downloads a link to ready, with progress on the record and the event stream, and file.ready', async () => {
    // The first half at once, then a byte at a time until the test has seen the progress.
    const half = Math.floor(clip.length / 2);
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    origin.route('/media/sample%20clip.mp4', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
      res.write(clip.subarray(0, half));
      let sent = half;
      const drip = setInterval(() => {
        if (sent < clip.length - 1) res.write(clip.subarray(sent, ++sent));
      }, 100);
      void released.then(() => {
        clearInterval(drip);
        res.end(clip.subarray(sent));
      });
    });
    const created = await ingest(origin.url('/media/sample%20clip.mp4'));
    expect(created).toMatchObject({
      status: 'downloading',
      title: 'sample clip.mp4',
      filename: 'sample clip.mp4',
      progress: { bytes: expect.any(Number) },
    });
    const events = fileEvents(created.fileId);
    await expect
      .poll(async () => (await getFile(created.fileId)).progress, { timeout: 10_000, interval: 50 })
      .toMatchObject({ bytes: expect.toSatisfy((n: number) => n >= half), total: clip.length });
    const midway = await getFile(created.fileId);
    expect(midway.status).toBe('downloading');
    await expect
      .poll(
        () =>
          events.frames.find(
            (f) => f.event === 'progress' && (f.data.progress as { bytes: number }).bytes >= half,
          ),
        {
          timeout: 10_000,
          interval: 50,
        },
      )
      .toBeTruthy();
    release();

    const file = await settled(created.fileId);
    expect(file).toMatchObject({
      status: 'ready',
      size: clip.length,
      progress: { bytes: clip.length, total: clip.length },
      metadata: { video: { codec: 'h264', width: 320, height: 240 }, audio: { codec: 'aac' } },
    });
    await expect.poll(() => events.frames.at(-1)?.event, { timeout: 10_000, interval: 50 }).toBe('ready');
    events.close();
    // Where a tus upload's bytes would be, byte for byte.
    expect(fs.readFileSync(path.join(dev.dataDir, 'uploads', file.fileId)).equals(clip)).toBe(true);
    const hook = await receiver.waitFor((r) => r.body.includes(file.fileId));
    expect(JSON.parse(hook.body) as WebhookPayload).toMatchObject({
      type: 'file.ready',
      data: { fileId: file.fileId, status: 'ready' },
    });
  });

  it('refuses what is not an http(s) URL with 400 url_not_allowed', async () => {
    for (const url of ['ftp://example.com/a.mp4', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      const res = await devApi('/v1/files', { method: 'POST', json: { url } });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, url).toBe('url_not_allowed');
    }
  });

  it('refuses loopback and private addresses without VOD_INGEST_ALLOW_PRIVATE, before any request', async () => {
    const before = origin.requests.length;
    for (const url of [
      origin.url('/anything.mp4'),
      `http://localhost:${origin.port}/a.mp4`,
      'http://[::1]/a.mp4',
      'http://10.1.2.3/a.mp4',
      'http://100.64.0.1/a.mp4',
      'http://[fd12::1]/a.mp4',
      'http://[64:ff9b::7f00:1]/a.mp4',
      'http://[::ffff:192.168.0.1]/a.mp4',
    ]) {
      const res = await strictApi('/v1/files', { method: 'POST', json: { url } });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, url).toBe('url_not_allowed');
    }
    expect(origin.requests.length).toBe(before);
  });

  it('refuses cloud metadata addresses even with VOD_INGEST_ALLOW_PRIVATE', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[64:ff9b::a9fe:a9fe]/',
    ]) {
      const res = await devApi('/v1/files', { method: 'POST', json: { url } });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, url).toBe('url_not_allowed');
    }
  });

  it('rejects a redirect to a refused address, a size over the cap (announced or sent), and a stalled origin', async () => {
    origin.route('/hop1', (_req, res) => res.writeHead(302, { location: '/hop2' }).end());
    origin.route('/hop2', (_req, res) =>
      res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    );
    origin.route('/huge.mp4', (_req, res) => {
      // Headers only: were the size not refused from them, the idle timeout would end it instead.
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(MAX_BYTES + 1) });
      res.flushHeaders();
    });
    origin.route('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' }); // chunked, no length
      const block = Buffer.alloc(256 * 1024);
      const more = () => {
        while (!res.destroyed && res.write(block));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    origin.route('/stall.mp4', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
      res.write(clip.subarray(0, 1000));
    });
    const [redirected, announced, endless, stalled] = await Promise.all(
      ['/hop1', '/huge.mp4', '/endless', '/stall.mp4'].map(async (p) =>
        settled((await ingest(origin.url(p))).fileId),
      ),
    );
    expect(redirected).toMatchObject({ status: 'rejected', reason: { code: 'url_not_allowed' } });
    expect(announced).toMatchObject({ status: 'rejected', reason: { code: 'upload_too_large' } });
    expect(announced!.reason?.message).toContain(String(MAX_BYTES + 1));
    expect(endless).toMatchObject({ status: 'rejected', reason: { code: 'upload_too_large' } });
    expect(stalled).toMatchObject({
      status: 'rejected',
      reason: { code: 'download_stalled' },
      progress: { bytes: 1000 },
    });
    for (const file of [announced!, endless!, stalled!]) {
      expect(fs.existsSync(path.join(dev.dataDir, 'uploads', file.fileId))).toBe(false);
    }
  });

  it('rejects junk through the usual probe: an HTML page, a truncated file', async () => {
    origin.route('/watch?v=1', (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>A video page</title>'),
    );
    origin.route('/cut.mp4', (_req, res) => res.writeHead(200).end(clip.subarray(0, 2000)));
    const [page, cut] = await Promise.all([
      ingest(origin.url('/watch?v=1')).then((f) => settled(f.fileId)),
      ingest(origin.url('/cut.mp4')).then((f) => settled(f.fileId)),
    ]);
    expect(page.status).toBe('rejected');
    expect(page.reason?.code).toMatch(/^(probe_failed|unsupported_container)$/);
    expect(page.title).toBe('watch');
    const hook = await receiver.waitFor((r) => r.body.includes(page.fileId));
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'file.rejected', data: { fileId: page.fileId } });
    expect(cut.status).toBe('rejected');
    expect(cut.reason?.code).toMatch(/^(probe_failed|unsupported_container|no_media_streams)$/);
  });

  it('resumes with Range a download whose connection drops midway', async () => {
    const half = Math.floor(clip.length / 2);
    const whole = serveBytes(clip, '"clip-1"');
    let first = true;
    origin.route('/flaky.mp4', (req, res) => {
      if (!first) return whole(req, res);
      first = false;
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': String(clip.length),
        'accept-ranges': 'bytes',
        etag: '"clip-1"',
      });
      res.write(clip.subarray(0, half), () => res.socket?.destroy());
    });
    const file = await settled((await ingest(origin.url('/flaky.mp4'), 'Holiday')).fileId);
    expect(file).toMatchObject({ status: 'ready', title: 'Holiday', filename: 'flaky.mp4' });
    const asked = origin.requests.filter((r) => r.path === '/flaky.mp4').map((r) => r.headers);
    expect(asked).toHaveLength(2);
    expect(asked[1]).toMatchObject({ range: `bytes=${half}-`, 'if-range': '"clip-1"' });
    expect(fs.readFileSync(path.join(dev.dataDir, 'uploads', file.fileId)).equals(clip)).toBe(true);
  });

  it('counts downloads against the upload quota, queues past the per-key slots, and stops on delete', async () => {
    origin.route('/hang', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) });
      const drip = setInterval(() => res.write('x'), 200);
      res.on('close', () => clearInterval(drip));
    });
    const idle = { queued: 0, running: 0 };
    await expect.poll(() => dev.app.vodkit.ingest.counts, { timeout: 10_000, interval: 20 }).toEqual(idle);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await ingest(origin.url('/hang'))).fileId);
    // VOD_MAX_OPEN_UPLOADS_PER_KEY=6: a seventh is refused like a seventh tus upload.
    const fifth = await devApi('/v1/files', { method: 'POST', json: { url: origin.url('/hang') } });
    expect(fifth.status).toBe(429);
    expect(((await fifth.json()) as { error: { code: string } }).error.code).toBe('too_many_uploads');
    expect(dev.app.vodkit.ingest.counts).toEqual({ queued: 2, running: 4 });
    for (const id of ids) expect((await devApi(`/v1/files/${id}`, { method: 'DELETE' })).status).toBe(204);
    await expect
      .poll(() => dev.app.vodkit.ingest.counts, { timeout: 10_000, interval: 50 })
      .toEqual({
        queued: 0,
        running: 0,
      });
    // Their reservations went with them.
    const again = await ingest(origin.url('/hang'));
    expect((await devApi(`/v1/files/${again.fileId}`, { method: 'DELETE' })).status).toBe(204);
    for (const id of ids) expect(fs.existsSync(path.join(dev.dataDir, 'uploads', id))).toBe(false);
  });

  it('rejects at start-up a download that a stopped server left (download_interrupted)', async () => {
    // What a crash leaves: a row in `downloading` that no process downloads, and partial bytes.
    const dataDir = tempDir('vodkit-ingest-restart-');
    const repos = openSqliteRepositories(dataDir, null);
    await repos.files.insertDownloading(
      {
        fileId: 'crashedcrashedcrash1',
        apiKey: 'k',
        filename: 'a.mp4',
        filetype: null,
        title: 'a.mp4',
        size: 0,
      },
      60_000,
    );
    await repos.close();
    fs.mkdirSync(path.join(dataDir, 'uploads'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'uploads', 'crashedcrashedcrash1'), 'partial');
    // The start of an API node (HTTP not needed to see it).
    const ctx = await createContext(loadConfig({ VOD_DATA_DIR: dataDir, VOD_LOG_LEVEL: 'silent' }), {
      log: pino({ level: 'silent' }),
      role: 'api',
    });
    try {
      await ctx.start();
      expect(await ctx.repos.files.get('crashedcrashedcrash1')).toMatchObject({
        status: 'rejected',
        reason: { code: 'download_interrupted' },
      });
      expect(fs.existsSync(path.join(dataDir, 'uploads', 'crashedcrashedcrash1'))).toBe(false);
    } finally {
      await ctx.close();
    }
  });
});
