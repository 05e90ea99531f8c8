import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, type Page, test } from '@playwright/test';
import { tempDir } from '../../server/test/fixtures.ts';
import { encode, uploadFile } from '../helpers/api.ts';
import { baseUrl } from '../helpers/env.ts';

/**
 * A/V sync as Chromium plays it (issue 20): a source whose picture turns white and whose sound clicks at
 * the same instant (2.0 s) must show both at the same media time through hls.js + MSE, on the copied
 * top rung and on an encoded one.
 *
 * - Picture: paused seeks, bisected down to the first white frame; its timestamp is the `mediaTime`
 *   requestVideoFrameCallback reports for it, the time Chromium shows it at.
 * - Sound: the element goes through Web Audio into a worklet that counts the samples Chromium's audio
 *   renderer outputs after a paused seek to T0. The renderer trims its first buffer to the seek time and
 *   its clock (which the video follows) advances one sample per sample, so the click plays at media time
 *   T0 + samples before it / rate. A quiet 200 Hz tone under the click makes the first played sample
 *   visible; runs of exact zeros (an underflow: the clock stops too) are not counted.
 * Both are therefore read on Chromium's own media clock, with no output latency in either figure.
 */

const run = promisify(execFile);
const hlsScript = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
const FPS = 30;
const EVENT_S = 2;
/** Where the audio is played from: before the event, after any start offset. */
const T0 = 1;

/**
 * 640×360 at 30 fps, H.264 with B-frames (x264's default preset) and a keyframe every second, so the
 * server copies it as its top rung: black, white from frame 60 (2.0 s). Mono AAC at 48 kHz: a 200 Hz
 * tone at −26 dB, and a 1 kHz burst at 0.8 from 2.0 s to 2.05 s on the source's timeline.
 * `audioDelayS` starts the audio that much after the video (an empty edit in the MP4).
 */
async function flashAndClick(file: string, audioDelayS: number): Promise<string> {
  const d = 4.5;
  const click = EVENT_S - audioDelayS;
  await run(
    process.env.FFMPEG_PATH || 'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `color=c=black:s=640x360:r=${FPS}:d=${d}`],
      ...['-itsoffset', String(audioDelayS), '-f', 'lavfi'],
      '-i',
      `aevalsrc='0.05*sin(2*PI*200*t)+if(between(t,${click},${click + 0.05}),0.8*sin(2*PI*1000*(t-${click})),0)':s=48000:d=${d - audioDelayS}`,
      ...['-vf', `format=yuv420p,geq=lum='if(gte(N,${EVENT_S * FPS}),235,16)':cb=128:cr=128`],
      ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', String(FPS), '-keyint_min', String(FPS)],
      ...['-sc_threshold', '0', '-c:a', 'aac', '-b:a', '96k', file],
    ],
    { timeout: 60_000 },
  );
  return file;
}

async function encodeFile(file: string): Promise<string> {
  const fileId = await uploadFile(file, {
    metadata: { filename: path.basename(file), filetype: 'video/mp4' },
  });
  return (await encode({ fileId })).playback!.hls;
}

/** The x264 settings written in the first segment of a rung (its SEI), e.g. to tell the copy apart. */
async function x264Settings(master: string, height: number): Promise<string> {
  const lines = (await (await fetch(master)).text()).split('\n');
  const variant = new URL(lines[lines.findIndex((l) => l.includes(`x${height},`)) + 1]!, master);
  const playlist = (await (await fetch(variant)).text()).split('\n');
  const first = new URL(playlist.find((l) => l && !l.startsWith('#'))!, variant);
  const bytes = Buffer.from(await (await fetch(first)).arrayBuffer()).toString('latin1');
  return /x264 - core [^\0]*/.exec(bytes)?.[0] ?? '';
}

interface Measured {
  /** Media time of the first white frame. */
  flash: number;
  /** Media time of the first sample of the click. */
  click: number;
  height: number;
  /** Underflows seen while counting samples. */
  gaps: number;
}

/** Plays `master` with hls.js locked on the rung `height` pixels tall and measures both events. */
async function measure(page: Page, master: string, height: number): Promise<Measured> {
  await page.goto(`${baseUrl()}/healthz`);
  await page.setContent('<video id="v" playsinline style="width:320px"></video>');
  await page.addScriptTag({ path: hlsScript });
  await page.evaluate(
    ({ src, height }) => {
      interface HlsLike {
        levels: { height: number }[];
        currentLevel: number;
        loadSource(url: string): void;
        attachMedia(media: HTMLMediaElement): void;
        on(event: string, listener: (e: string, data: { fatal?: boolean; details?: string }) => void): void;
      }
      const w = window as unknown as {
        Hls: { new (config: object): HlsLike; Events: { MANIFEST_PARSED: string; ERROR: string } };
        fatal: string[];
      };
      w.fatal = [];
      const video = document.getElementById('v') as HTMLVideoElement;
      const hls = new w.Hls({ startPosition: 0, capLevelToPlayerSize: false });
      hls.on(w.Hls.Events.ERROR, (_e, data) => {
        if (data.fatal) w.fatal.push(data.details ?? '?');
      });
      hls.on(w.Hls.Events.MANIFEST_PARSED, () => {
        // Locked: ABR off, every fragment from this rung.
        hls.currentLevel = hls.levels.findIndex((l) => l.height === height);
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    },
    { src: master, height },
  );
  // The whole clip buffered, audio and video (video.buffered is their intersection), from the rung asked.
  await expect
    .poll(() =>
      page.evaluate(() => {
        const v = document.getElementById('v') as HTMLVideoElement;
        const fatal = (window as unknown as { fatal: string[] }).fatal;
        if (fatal.length) return `fatal: ${fatal}`;
        const b = v.buffered;
        return b.length === 1 && b.start(0) <= 1 && b.end(0) >= 3.5 ? `${v.videoHeight}` : 'buffering';
      }),
    )
    .toBe(String(height));

  return page.evaluate(
    async ({ t0, fps }) => {
      const video = document.getElementById('v') as HTMLVideoElement;
      const canvas = document.createElement('canvas');
      canvas.width = 16;
      canvas.height = 16;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const seek = (t: number) =>
        new Promise<void>((resolve) => {
          video.addEventListener('seeked', () => resolve(), { once: true });
          video.currentTime = t;
        });
      // The frame Chromium presents after a seek to t: its timestamp (rVFC's mediaTime) and its colour,
      // drawn in the callback of that very frame ('seeked' alone may still paint the previous one).
      const frameAt = (t: number) =>
        new Promise<{ pts: number; white: boolean }>((resolve) => {
          const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
            if (meta.mediaTime > t + 1e-3 || meta.mediaTime < t - 1.5 / fps) {
              video.requestVideoFrameCallback(onFrame);
              return;
            }
            ctx.drawImage(video, 0, 0, 16, 16);
            resolve({ pts: meta.mediaTime, white: ctx.getImageData(8, 8, 1, 1).data[0]! > 128 });
          };
          video.requestVideoFrameCallback(onFrame);
          video.currentTime = t;
        });

      // Picture: bisect between a black and a white frame, seeking between their timestamps. With two
      // frames or more between them the middle shows a third frame, so each seek presents a new frame
      // (and rVFC fires); done when they are neighbours.
      let black = await frameAt(0.2);
      let white = await frameAt(3.4);
      if (black.white || !white.white) throw new Error('no black-to-white step in 0.2–3.4 s');
      while (white.pts - black.pts > 1.5 / fps) {
        const f = await frameAt((black.pts + white.pts) / 2);
        if (f.white) white = f;
        else black = f;
      }
      const flash = white.pts;

      // Sound: samples the audio renderer outputs from T0 to the click.
      const worklet = `registerProcessor('clock', class extends AudioWorkletProcessor {
        constructor() { super(); this.started = false; this.n = 0; this.zeros = 0; this.gaps = 0; this.done = false; }
        process(inputs) {
          const ch = inputs[0] && inputs[0][0];
          if (!ch || this.done) return true;
          for (let i = 0; i < ch.length; i++) {
            const x = ch[i];
            if (x === 0) { this.zeros++; continue; }
            if (!this.started) this.started = true;
            else if (this.zeros < 64) this.n += this.zeros + 1;
            else { this.n += 1; this.gaps++; }
            this.zeros = 0;
            if (Math.abs(x) > 0.4) {
              this.done = true;
              this.port.postMessage({ n: this.n, gaps: this.gaps });
              return true;
            }
          }
          return true;
        }
      });`;
      const audio = new AudioContext({ sampleRate: 48000 });
      await audio.audioWorklet.addModule(
        URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' })),
      );
      const node = new AudioWorkletNode(audio, 'clock');
      audio.createMediaElementSource(video).connect(node).connect(audio.destination);
      await audio.resume();
      await seek(t0);
      const counted = new Promise<{ n: number; gaps: number }>((resolve, reject) => {
        node.port.onmessage = (e) => resolve(e.data);
        video.addEventListener('ended', () => reject(new Error('no click heard from T0 to the end')));
      });
      video.muted = false;
      video.volume = 1;
      await video.play();
      const { n, gaps } = await counted;
      video.pause();
      await audio.close();
      return { flash, click: t0 + n / audio.sampleRate, height: video.videoHeight, gaps };
    },
    { t0: T0, fps: FPS },
  );
}

const SOURCES = [
  { name: 'B-frames, audio and video from 0', audioDelayS: 0 },
  { name: 'B-frames, audio starting 0.5 s after the video', audioDelayS: 0.5 },
];

for (const source of SOURCES) {
  test(`the flash and the click share one media time in Chromium, copied and encoded rung: ${source.name}`, async ({
    page,
  }) => {
    const dir = tempDir('vodkit-e2e-avsync-');
    const master = await encodeFile(
      await flashAndClick(path.join(dir, 'flash-click.mp4'), source.audioDelayS),
    );
    fs.rmSync(dir, { recursive: true, force: true });
    // 360 is the source's own H.264 (its 1 s GOPs), 240 an encode (the server's GOPs are far longer).
    expect(await x264Settings(master, 360)).toContain(' keyint=30 ');
    expect(await x264Settings(master, 240)).not.toContain(' keyint=30 ');

    for (const height of [360, 240]) {
      const m = await measure(page, master, height);
      test.info().annotations.push({
        type: `${height}p`,
        description: `flash ${m.flash.toFixed(4)} s, click ${m.click.toFixed(4)} s, click − flash ${((m.click - m.flash) * 1000).toFixed(1)} ms, ${m.gaps} underflows`,
      });
      expect.soft(m.height).toBe(height);
      // Within one frame: the picture changes only on a frame, the sound is counted to the sample.
      expect.soft(Math.abs(m.click - m.flash)).toBeLessThanOrEqual(1 / FPS);
    }
  });
}
