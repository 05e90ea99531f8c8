import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { startChunkedEncode } from '../../server/src/media/chunked-encode.ts';
import { planChunks } from '../../server/src/media/chunks.ts';
import { scheduleOf } from '../../server/src/media/encode-args.ts';
import { probeKeyframes } from '../../server/src/media/keyframes.ts';
import { planLadder } from '../../server/src/media/ladder.ts';
import { probeFile } from '../../server/src/media/probe.ts';
import { gridCut } from '../../server/src/media/schedule.ts';
import { tempDir } from '../../server/test/fixtures.ts';
import { serveStatic } from '../helpers/hls-fixture.ts';

/**
 * Chunked encoding's joins as Chromium plays them (issue 17 #2): a 4 s source encoded in chunks of
 * 0–1, 1–2 and 2–4 s (joins at 1 and 2 s), its brightness stepping at each join (frames 0–24 dark,
 * 25–49 grey, 50– light). hls.js buffers it as one range (no gap at a join), plays across both joins
 * without waiting, and a paused seek onto each join shows that join's own frame, the one before it
 * the previous chunk's.
 */

const run = promisify(execFile);
const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
/** Luma of each second's frames (the encoded rung keeps them within a few steps). */
const LUMA = [40, 128, 220];

test('hls.js plays across chunk joins without a stall, and a seek onto a join shows its frame', async ({
  page,
}) => {
  const dir = tempDir('vodkit-e2e-joins-');
  const source = path.join(dir, 'steps.mp4');
  await run(paths.ffmpegPath, [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'color=c=black:s=640x360:r=25:d=4'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4'],
    ...[
      '-vf',
      `format=yuv420p,geq=lum='if(lt(N,25),${LUMA[0]},if(lt(N,50),${LUMA[1]},${LUMA[2]}))':cb=128:cr=128`,
    ],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0'],
    ...['-c:a', 'aac', '-b:a', '64k', source],
  ]);
  const { metadata } = await probeFile(paths, source, { timeoutMs: 20_000 });
  const keyframes = await probeKeyframes(paths, source, 20_000);
  const plan = planLadder(metadata, { keyframes });
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const chunks = planChunks(grid, keyframes.times, metadata.duration, 1);
  expect(chunks.map((c) => c.fromS)).toEqual([0, 1, 2]);
  const out = path.join(dir, 'v');
  await startChunkedEncode({
    paths,
    input: source,
    outDir: out,
    plan,
    durationS: metadata.duration,
    maxDurationS: 3600,
    timeoutMs: 60_000,
    threads: 1,
    chunks,
    originS: keyframes.offsetS,
    parallel: 2,
  }).done;
  const server = await serveStatic(dir);
  try {
    await page.goto(`${server.origin}/`);
    await page.setContent('<video id="v" muted playsinline></video>');
    await page.addScriptTag({ path: hlsScript });
    // Locked on the lowest rung: the one encoded in chunks (the top one is the source's copy).
    await page.evaluate((src) => {
      const w = window as unknown as {
        Hls: new (
          c: object,
        ) => {
          currentLevel: number;
          loadSource(u: string): void;
          attachMedia(m: HTMLMediaElement): void;
          on(e: string, f: () => void): void;
        };
        waits: number;
      };
      const video = document.getElementById('v') as HTMLVideoElement;
      const hls = new w.Hls({ startPosition: 0, capLevelToPlayerSize: false });
      hls.on('hlsManifestParsed', () => {
        hls.currentLevel = 0;
      });
      w.waits = 0;
      video.addEventListener('waiting', () => {
        w.waits++;
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    }, `${server.origin}/v/master.m3u8`);
    const rung = plan.rungs[0]!;
    expect(rung.copy).toBe(false);

    // All of it buffered as one range: a gap at a join would split it.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const v = document.getElementById('v') as HTMLVideoElement;
          const b = v.buffered;
          return b.length === 1 && b.start(0) <= 0.15 && b.end(0) >= 3.9 ? `${v.videoHeight}` : `${b.length}`;
        }),
      )
      .toBe(String(rung.height));

    // A paused seek onto each join shows that chunk's first frame; just before it, the previous chunk's.
    const lumaAt = (t: number) =>
      page.evaluate(
        (t) =>
          new Promise<{ t: number; luma: number }>((resolve) => {
            const v = document.getElementById('v') as HTMLVideoElement;
            const canvas = document.createElement('canvas');
            canvas.width = 8;
            canvas.height = 8;
            const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
            const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
              if (Math.abs(meta.mediaTime - t) > 0.03) {
                v.requestVideoFrameCallback(onFrame);
                return;
              }
              ctx.drawImage(v, 0, 0, 8, 8);
              resolve({ t: meta.mediaTime, luma: ctx.getImageData(4, 4, 1, 1).data[0]! });
            };
            v.requestVideoFrameCallback(onFrame);
            v.currentTime = t;
          }),
        t,
      );
    // Luma 16–235 comes out as RGB 0–255: compare against the steps' midpoints.
    const step = (rgb: number) => (rgb < 95 ? 0 : rgb < 200 ? 1 : 2);
    // Media time = source time + where the buffer starts (hls.js lines the first fragment up with 0).
    const first = {
      t: await page.evaluate(() => (document.getElementById('v') as HTMLVideoElement).buffered.start(0)),
    };
    for (const [t, want] of [
      [0.96, 0],
      [1.0, 1],
      [1.96, 1],
      [2.0, 2],
    ] as const) {
      const f = await lumaAt(first.t + t);
      expect(step(f.luma), `frame at ${t} s (shown ${f.t}, RGB ${f.luma})`).toBe(want);
    }

    // Played from 0.6 s across both joins at twice the speed: it never waits, and the clock runs on.
    const played = await page.evaluate(
      () =>
        new Promise<{ waits: number; at: number }>((resolve) => {
          const w = window as unknown as { waits: number };
          const v = document.getElementById('v') as HTMLVideoElement;
          v.currentTime = 0.6;
          v.addEventListener(
            'seeked',
            () => {
              w.waits = 0;
              v.playbackRate = 2;
              void v.play();
              const check = () => {
                if (v.currentTime >= 2.6 || v.ended) resolve({ waits: w.waits, at: v.currentTime });
                else requestAnimationFrame(check);
              };
              check();
            },
            { once: true },
          );
        }),
    );
    expect(played.waits).toBe(0);
    expect(played.at).toBeGreaterThanOrEqual(2.6);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
