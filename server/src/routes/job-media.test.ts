import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFor, uploadAndProbe } from '../../test/encode-job.ts';
import { clips, stillImage, tempDir } from '../../test/fixtures.ts';
import { boxCentreRgb, isLogoRed } from '../../test/pictures.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { watermarkBox } from '../media/watermark.ts';

/*
 * Issue 15 over HTTP: still images as files (`kind: image`), a job's watermark (refusals, and the logo
 * in its MP4 download), and the `m4a` preset (AAC only, served with Range; refused without audio).
 * The ladder's pixels are measured in media/watermark.test.ts.
 */

const run = promisify(execFile);
const ffprobe = process.env.FFPROBE_PATH || 'ffprobe';

let server: TestServer;
let token: string;
let dir: string;
let video: FileRecord;
let silent: FileRecord;
let png: FileRecord;
const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

/** A 64×32 red picture made with `codec` (png, mjpeg, libwebp). */
const image = async (name: string, codec: string): Promise<Buffer> =>
  fs.readFileSync(await stillImage(path.join(dir, name), codec));

beforeAll(async () => {
  dir = tempDir('vodkit-job-media-');
  const [s, withAudio, noAudio, logo] = await Promise.all([
    startServer(),
    clips.h264Aac(dir, { width: 426, height: 240, duration: 1.5 }),
    clips.videoOnly(dir, { width: 426, height: 240, duration: 1 }),
    image('logo.png', 'png'),
  ]);
  server = s;
  token = await server.token();
  [video, silent, png] = await Promise.all([
    uploadAndProbe(server, token, fs.readFileSync(withAudio), 'talk.mp4'),
    uploadAndProbe(server, token, fs.readFileSync(noAudio), 'silent.mp4'),
    uploadAndProbe(server, token, logo, 'logo.png'),
  ]);
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const createJob = (json: unknown) => api('/v1/encoder/jobs', { method: 'POST', json });
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('still images as files', () => {
  it('probes PNG, JPEG and WebP as kind "image" with their size', async () => {
    expect(png.status).toBe('ready');
    expect(png.kind).toBe('image');
    expect(png.metadata?.image).toEqual({ codec: 'png', width: 64, height: 32 });
    for (const [name, codec, probed] of [
      ['logo.jpg', 'mjpeg', 'mjpeg'],
      ['logo.webp', 'libwebp', 'webp'],
    ] as const) {
      const file = await uploadAndProbe(server, token, await image(name, codec), name);
      expect(file.kind, name).toBe('image');
      expect(file.metadata?.image, name).toEqual({ codec: probed, width: 64, height: 32 });
    }
    expect(video.kind).toBe('video');
  });

  it('refuses an image as what a job encodes: 400 not_a_video', async () => {
    const res = await createJob({ fileId: png.fileId });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('not_a_video');
  });
});

describe('a job’s watermark', () => {
  it('refuses a missing or non-image file (400 watermark_invalid) and bad positions or ranges (400 validation_failed)', async () => {
    const wm = (w: Record<string, unknown>) => ({
      fileId: video.fileId,
      watermark: { fileId: png.fileId, position: 'top-left', ...w },
    });
    for (const fileId of ['nosuchfile00000000000', video.fileId]) {
      const res = await createJob(wm({ fileId }));
      expect(res.status, fileId).toBe(400);
      expect(await errorCode(res)).toBe('watermark_invalid');
    }
    for (const bad of [
      { position: 'middle' },
      { position: undefined },
      { widthPercent: 0 },
      { widthPercent: 51 },
      { marginPercent: -1 },
      { opacity: 1.5 },
      { opacity: -0.1 },
    ]) {
      const res = await createJob(wm(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await errorCode(res)).toBe('validation_failed');
    }
  });

  it('is burned into the MP4 download, and the m4a holds the AAC audio alone, served with Range', async () => {
    const res = await createJob({
      fileId: video.fileId,
      presets: [{ format: 'hls', resolutions: ['240'] }, { format: 'mp4' }, { format: 'm4a' }],
      watermark: { fileId: png.fileId, position: 'bottom-left', widthPercent: 25 },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as EncoderJob;
    expect(created.watermark).toEqual({
      fileId: png.fileId,
      position: 'bottom-left',
      widthPercent: 25,
      marginPercent: 3,
      opacity: 1,
    });
    const job = await pollFor('the job ended', async () => {
      const j = (await (await api(`/v1/encoder/jobs/${created.jobId}`)).json()) as EncoderJob;
      return ['completed', 'failed'].includes(j.status) ? j : undefined;
    });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const mp4 = job.downloads.find((d) => d.format === 'mp4')!;
    const m4a = job.downloads.find((d) => d.format === 'm4a')!;
    expect(m4a).toMatchObject({ name: 'audio', width: null, height: null });
    expect(m4a.url).toMatch(/\/downloads\/audio\.m4a$/);

    // The logo's middle, on a frame of the MP4 download, is the logo's red.
    const file = path.join(dir, 'download.mp4');
    fs.writeFileSync(file, Buffer.from(await (await fetch(mp4.url)).arrayBuffer()));
    const box = watermarkBox(
      {
        image: { width: 64, height: 32 },
        position: 'bottom-left',
        widthPercent: 25,
        marginPercent: 3,
        opacity: 1,
      },
      mp4.width!,
      mp4.height!,
    );
    const rgb = await boxCentreRgb(file, box);
    expect(isLogoRed(rgb), `rgb ${rgb.join(' ')}`).toBe(true);

    // The m4a: one AAC stream, nothing else; Range like the MP4s.
    const ranged = await fetch(m4a.url, { headers: { range: 'bytes=0-7' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-type')).toBe('audio/mp4');
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-7/${m4a.bytes}`);
    const whole = path.join(dir, 'audio.m4a');
    fs.writeFileSync(whole, Buffer.from(await (await fetch(m4a.url)).arrayBuffer()));
    const probe = JSON.parse(
      (
        await run(ffprobe, [
          '-v',
          'error',
          '-show_entries',
          'stream=codec_type,codec_name:format=duration',
          '-of',
          'json',
          whole,
        ])
      ).stdout,
    ) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
    expect(probe.streams).toEqual([{ codec_type: 'audio', codec_name: 'aac' }]);
    expect(Math.abs(Number(probe.format.duration) - 1.5)).toBeLessThan(0.1);
  }, 60_000);
});

describe('the m4a preset', () => {
  it('is refused for a source without audio, and with resolutions', async () => {
    let res = await createJob({ fileId: silent.fileId, presets: [{ format: 'm4a' }] });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('validation_failed');
    res = await createJob({ fileId: video.fileId, presets: [{ format: 'm4a', resolutions: ['240'] }] });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('validation_failed');
  });
});
