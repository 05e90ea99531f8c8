import { createRequire } from 'node:module';
import { expect, type Page, test } from '@playwright/test';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { clips, makeClip, tempDir } from '../../server/test/fixtures.ts';
import { api, encode, uploadFile, waitForJob } from '../helpers/api.ts';

/**
 * The API as a customer's code uses it, with no Vodkit code in the loop: the official
 * tus-js-client uploads, plain fetch drives the API, and hls.js in Chromium plays the result.
 */
const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/** The official tus-js-client, as a customer's Node backend uploads; resolves with the file id. */
const upload = (file: string, filetype: string) =>
  uploadFile(file, { metadata: { filename: file.split('/').pop()!, filetype }, chunkSize: 4 * 1024 * 1024 });

const encodeUntilPlayable = (fileId: string) => encode({ fileId }, (job) => !!job.playback);

const waitCompleted = (jobId: string) => waitForJob(jobId);

/** Plays an HLS URL with bare hls.js (startPosition 0: EVENT playlists are live to hls.js while encoding). */
async function playWithHlsJs(
  page: Page,
  url: string,
): Promise<{ width: number; height: number; levels: number[] }> {
  await page.setContent('<video id="v" muted playsinline style="width:640px"></video>');
  await page.addScriptTag({ path: hlsScript });
  await page.evaluate((src) => {
    interface HlsLike {
      loadSource(url: string): void;
      attachMedia(media: HTMLMediaElement): void;
      on(event: string, listener: () => void): void;
    }
    const w = window as unknown as {
      Hls: { new (config: object): HlsLike; Events: { MANIFEST_PARSED: string } };
      hls: HlsLike;
    };
    const video = document.getElementById('v') as HTMLVideoElement;
    const hls = new w.Hls({ startPosition: 0 });
    w.hls = hls;
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(w.Hls.Events.MANIFEST_PARSED, () => void video.play());
  }, url);
  await expect
    .poll(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime), {
      timeout: 60_000,
    })
    .toBeGreaterThan(1.5);
  return page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    const hls = (window as unknown as { hls: { levels: { height: number }[] } }).hls;
    return { width: v.videoWidth, height: v.videoHeight, levels: hls.levels.map((l) => l.height) };
  });
}

test('VP8/Vorbis WebM: tus upload → probe → encode → hls.js plays', async ({ page }) => {
  const dir = tempDir();
  const clip = await clips.vp8Vorbis(dir, { duration: 5, width: 854, height: 480 });
  const fileId = await upload(clip, 'video/webm');

  const file = await api<FileRecord>('GET', `/v1/files/${fileId}`);
  expect(file.status).toBe('ready');
  expect(file.metadata?.container).toContain('webm');
  expect(file.metadata?.video).toMatchObject({ codec: 'vp8', width: 854, height: 480 });
  expect(file.metadata?.audio?.codec).toBe('vorbis');

  const job = await encodeUntilPlayable(fileId);
  const played = await playWithHlsJs(page, job.playback!.hls);
  expect(played.width).toBeGreaterThan(0);
  expect([...played.levels].sort((a, b) => a - b)).toEqual([240, 360, 480]);
  const done = await waitCompleted(job.jobId);
  expect(done.renditions.map((r) => r.name).sort((a, b) => Number(a) - Number(b))).toEqual([
    '240',
    '360',
    '480',
  ]);
});

test('30 s 1080p H.264 MP4: tus upload → probe → encode → hls.js plays while encoding', async ({ page }) => {
  const dir = tempDir();
  const clip = await makeClip(`${dir}/1080p.mp4`, { duration: 30, width: 1920, height: 1080, fps: 30 });
  const fileId = await upload(clip, 'video/mp4');

  const file = await api<FileRecord>('GET', `/v1/files/${fileId}`);
  expect(file.status).toBe('ready');
  expect(file.metadata?.video).toMatchObject({ codec: 'h264', width: 1920, height: 1080 });
  expect(file.metadata?.duration).toBeCloseTo(30, 0);

  const job = await encodeUntilPlayable(fileId);
  const played = await playWithHlsJs(page, job.playback!.hls);
  expect(played.levels.sort((a, b) => a - b)).toEqual([240, 360, 480, 720, 1080]);
  expect(played.width / played.height).toBeCloseTo(16 / 9, 1);

  const done = await waitCompleted(job.jobId);
  expect(done.progress).toBe(100);
  const video = await api<{ duration: number; width: number; height: number }>(
    'GET',
    `/v1/videos/${done.videoId}`,
  );
  expect(video).toMatchObject({ width: 1920, height: 1080 });
  // Once complete, every rung's playlist is closed: players see a VOD of the whole duration.
  const master = await (await fetch(done.playback!.hls)).text();
  const lines = master.split('\n');
  const topUri = lines[lines.findIndex((l) => l.includes('RESOLUTION=1920x1080')) + 1]!;
  const rung = await (await fetch(new URL(topUri, done.playback!.hls))).text();
  expect(rung).toContain('#EXT-X-ENDLIST');
  const seconds = [...rung.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  expect(seconds).toBeCloseTo(30, 0);
});

test('playable means playable: at that instant master → first variant → first segment answer, and hls.js plays while the other rungs are still encoding', async ({
  page,
}) => {
  const dir = tempDir();
  // 2 s GOPs: the 720p source is copied as its top rung; 240, 360, 480 are encoded (start group: 240).
  const clip = await makeClip(`${dir}/gop2-720p.mp4`, {
    duration: 20,
    width: 1280,
    height: 720,
    fps: 30,
    video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '60', '-pix_fmt', 'yuv420p'],
  });
  const fileId = await upload(clip, 'video/mp4');
  let job = await api<EncoderJob>('POST', '/v1/encoder/jobs', { fileId });
  while (!job.playback) {
    if (job.status === 'failed' || job.status === 'cancelled')
      throw new Error(`job ${job.status}: ${job.error?.message}`);
    await new Promise((r) => setTimeout(r, 50));
    job = await api<EncoderJob>('GET', `/v1/encoder/jobs/${job.jobId}`);
  }
  // What any player gets at the moment the API says "playable".
  const masterUrl = job.playback.hls;
  const master = await fetch(masterUrl);
  expect(master.status).toBe(200);
  const masterText = await master.text();
  const uris = masterText.split('\n').filter((l) => l && !l.startsWith('#'));
  expect(uris).toHaveLength(4);
  const first = await fetch(new URL(uris[0]!, masterUrl));
  expect(first.status).toBe(200);
  const firstText = await first.text();
  const segment = firstText.split('\n').find((l) => l && !l.startsWith('#'))!;
  expect(segment).toBeTruthy();
  const variantUrl = new URL(uris[0]!, masterUrl);
  expect((await fetch(new URL(segment, variantUrl))).status).toBe(200);
  // Every other variant answers too (empty EVENT playlists until their first segment), never a 404.
  for (const uri of uris.slice(1)) expect((await fetch(new URL(uri, masterUrl))).status).toBe(200);

  // hls.js from that moment: it plays, and no fatal error on the way.
  await page.setContent('<video id="v" muted playsinline style="width:640px"></video>');
  await page.addScriptTag({ path: hlsScript });
  await page.evaluate((src) => {
    interface HlsLike {
      loadSource(url: string): void;
      attachMedia(media: HTMLMediaElement): void;
      on(event: string, listener: (e: string, data: { fatal: boolean; details: string }) => void): void;
    }
    const w = window as unknown as {
      Hls: { new (config: object): HlsLike; Events: { MANIFEST_PARSED: string; ERROR: string } };
      fatal: string[];
    };
    w.fatal = [];
    const video = document.getElementById('v') as HTMLVideoElement;
    const hls = new w.Hls({ startPosition: 0 });
    hls.on(w.Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) w.fatal.push(data.details);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(w.Hls.Events.MANIFEST_PARSED, () => void video.play());
  }, masterUrl);
  await expect
    .poll(() => page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).currentTime), {
      timeout: 60_000,
    })
    .toBeGreaterThan(1.5);
  expect(await page.evaluate(() => (window as unknown as { fatal: string[] }).fatal)).toEqual([]);
  const done = await waitCompleted(job.jobId);
  expect(done.renditions.map((r) => r.name)).toEqual(['240', '360', '480', '720']);
});
