import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EncoderJob } from '@vodkit/api';
import { signPlaybackToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

// Animated previews (issue 15 §6): rendered from the source as soon as the job exists, cached and
// bounded like the on-demand thumbnails, behind the stream gate.

const run = promisify(execFile);
let server: TestServer;
let token: string;
let videoId: string;
let dir: string;

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

/** Frames and canvas of an animated WebP, from its RIFF chunks (ffprobe 5.1 cannot decode ANMF). */
function webpFrames(data: Buffer): { frames: number; width: number; height: number } {
  expect(data.toString('latin1', 0, 4)).toBe('RIFF');
  expect(data.toString('latin1', 8, 12)).toBe('WEBP');
  let frames = 0;
  let width = 0;
  let height = 0;
  for (let at = 12; at + 8 <= data.length; ) {
    const id = data.toString('latin1', at, at + 4);
    const size = data.readUInt32LE(at + 4);
    if (id === 'VP8X') {
      width = data.readUIntLE(at + 12, 3) + 1;
      height = data.readUIntLE(at + 15, 3) + 1;
    }
    if (id === 'ANMF') frames++;
    at += 8 + size + (size % 2);
  }
  return { frames, width, height };
}

async function gifFrames(data: Buffer): Promise<{ frames: number; width: number; height: number }> {
  const file = path.join(dir, `probe-${Date.now()}.gif`);
  fs.writeFileSync(file, data);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-show_entries',
    'stream=width,height,nb_read_frames',
    '-of',
    'json',
    file,
  ]);
  const s = (JSON.parse(stdout) as { streams: { width: number; height: number; nb_read_frames: string }[] })
    .streams[0]!;
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

beforeAll(async () => {
  dir = tempDir('vodkit-animated-');
  // Wider than the 640 px limit and longer than the 10 s one, so both limits are reachable.
  const [s, clip] = await Promise.all([
    startServer(),
    clips.videoOnly(dir, { duration: 12, width: 704, height: 396, fps: 24 }).then((f) => fs.readFileSync(f)),
  ]);
  server = s;
  token = await server.token();
  const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer: token }));
  const res = await api('/v1/encoder/jobs', {
    method: 'POST',
    json: { fileId, presets: [{ resolutions: ['240'] }] },
  });
  expect(res.status).toBe(201);
  videoId = ((await res.json()) as EncoderJob).videoId;
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('animated previews', () => {
  it('renders a WebP with the defaults (320 px, 12 fps, 3 s) and serves it again from the cache', async () => {
    const res = await fetch(`${server.baseUrl}/stream/${videoId}/animated.webp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('x-vodkit-cache')).toBe('miss');
    const start = res.headers.get('x-vodkit-start')!;
    const end = res.headers.get('x-vodkit-end')!;
    expect(Number(end) - Number(start)).toBeCloseTo(3, 3);
    expect(res.headers.get('x-vodkit-width')).toBe('320');
    const body = Buffer.from(await res.arrayBuffer());
    expect(webpFrames(body)).toEqual({ frames: 36, width: 320, height: 180 });
    // The same span, spelled otherwise (snapped to 0.1 s, a width that snaps to 320): the cached file.
    const again = await fetch(
      `${server.baseUrl}/stream/${videoId}/animated.webp?start=${Number(start) + 0.02}&end=${end}&width=300&fps=12`,
    );
    expect(again.headers.get('x-vodkit-cache')).toBe('hit');
    expect(Buffer.from(await again.arrayBuffer()).equals(body)).toBe(true);
  });

  it('renders a GIF of the asked span, width and rate', async () => {
    const res = await fetch(
      `${server.baseUrl}/stream/${videoId}/animated.gif?start=1&end=2.5&width=160&fps=10`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('x-vodkit-start')).toBe('1.000');
    expect(res.headers.get('x-vodkit-end')).toBe('2.500');
    expect(await gifFrames(Buffer.from(await res.arrayBuffer()))).toEqual({
      frames: 15,
      width: 160,
      height: 90,
    });
  });

  it('refuses values past a limit with 400', async () => {
    for (const q of [
      'start=0&end=10.5', // longer than 10 s
      'width=660', // over 640 (the source is 704 wide)
      'width=8',
      'fps=25',
      'fps=0',
      'start=12.5',
      'end=13',
      'start=4&end=3',
      'start=2&end=2',
      'width=abc',
    ]) {
      const res = await fetch(`${server.baseUrl}/stream/${videoId}/animated.webp?${q}`);
      const body = (await res.json()) as { error: { code: string } };
      expect([q, res.status, body.error.code]).toEqual([q, 400, 'validation_failed']);
    }
  });

  it('is behind the stream gate', async () => {
    expect((await api(`/v1/videos/${videoId}`, { method: 'PATCH', json: { protected: true } })).status).toBe(
      200,
    );
    const url = `${server.baseUrl}/stream/${videoId}/animated.gif?start=1&end=2.5&width=160&fps=10`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('playback_token_missing');
    const t = await signPlaybackToken({
      apiKey: server.devKey.apiKey,
      secret: server.devKey.secret,
      videoId,
    });
    const ok = await fetch(`${url}&token=${t}`);
    const body = await ok.arrayBuffer();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-vodkit-cache')).toBe('hit');
    expect(body.byteLength).toBeGreaterThan(0);
  });
});
