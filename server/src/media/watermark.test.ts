import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, stillImage, tempDir, x264 } from '../../test/fixtures.ts';
import { isLogoRed } from '../../test/pictures.ts';
import { joined, readRendition } from '../../test/timeline.ts';
import { startEncode } from './encode.ts';
import { probeKeyframes } from './keyframes.ts';
import { type EncodePlan, planLadder } from './ladder.ts';
import { probeFile } from './probe.ts';
import { type WatermarkPlan, watermarkBox } from './watermark.ts';

/*
 * Watermarks (issue 15): a logo burned into every rung, the same relative size and place on each, and
 * a watermarked ladder copies nothing. Measured on decoded frames of the renditions.
 */

const run = promisify(execFile);
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

const logo = (w: Partial<WatermarkPlan> = {}): WatermarkPlan => ({
  image: { width: 64, height: 32 },
  position: 'top-right',
  widthPercent: 20,
  marginPercent: 5,
  opacity: 1,
  ...w,
});

describe('watermarkBox', () => {
  it('sizes and places the logo as shares of each rung: the same relative box at 240p and at 1080p', () => {
    const small = watermarkBox(logo(), 426, 240);
    const big = watermarkBox(logo(), 1920, 1080);
    expect(big).toEqual({ width: 384, height: 192, x: 1920 - 384 - 96, y: 54 });
    for (const k of ['x', 'width'] as const)
      expect(Math.abs(small[k] / 426 - big[k] / 1920)).toBeLessThan(0.005);
    for (const k of ['y', 'height'] as const)
      expect(Math.abs(small[k] / 240 - big[k] / 1080)).toBeLessThan(0.01);
  });

  it('puts each position in its place', () => {
    const at = (position: WatermarkPlan['position']) => {
      const b = watermarkBox(logo({ position, widthPercent: 10, marginPercent: 3 }), 1000, 500);
      return [b.x, b.y];
    };
    expect(at('top-left')).toEqual([30, 15]);
    expect(at('top-right')).toEqual([1000 - 100 - 30, 15]);
    expect(at('bottom-left')).toEqual([30, 500 - 50 - 15]);
    expect(at('bottom-right')).toEqual([870, 435]);
    expect(at('center')).toEqual([450, 225]);
  });
});

describe('a watermarked ladder', () => {
  let dir: string;
  let source: string;
  let outDir: string;
  let plan: EncodePlan;
  beforeAll(async () => {
    dir = tempDir('vodkit-watermark-');
    // Standard H.264 with a keyframe every second: its 360 rung would be copied without the watermark.
    source = await makeClip(path.join(dir, 'source.mp4'), {
      width: 640,
      height: 360,
      duration: 1.5,
      video: x264('-crf', '30', '-x264-params', 'keyint=25:min-keyint=25:scenecut=0'),
    });
    const png = await stillImage(path.join(dir, 'logo.png'));
    const { metadata } = await probeFile(paths, source, { timeoutMs: 10_000 });
    const keyframes = await probeKeyframes(paths, source, 10_000);
    expect(planLadder(metadata, { keyframes, resolutions: ['240', '360'] }).rungs.at(-1)!.copy).toBe(true);
    plan = planLadder(metadata, { keyframes, resolutions: ['240', '360'], watermark: logo() });
    outDir = path.join(dir, 'out');
    await startEncode({
      paths,
      input: source,
      watermarkInput: png,
      outDir,
      plan,
      durationS: metadata.duration,
      maxDurationS: 60,
      timeoutMs: 60_000,
    }).done;
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Frame `n` of a file as RGB24 at `width`×`height`. */
  async function frame(file: string, n: number, width: number, height: number): Promise<Buffer> {
    const { stdout } = await run(
      paths.ffmpegPath,
      [
        '-v',
        'error',
        '-i',
        file,
        '-vf',
        `select=eq(n\\,${n}),scale=${width}:${height}`,
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ],
      { encoding: 'buffer', maxBuffer: 16 << 20 },
    );
    return stdout;
  }
  const rgb = (buf: Buffer, width: number, x: number, y: number) => {
    const i = (y * width + x) * 3;
    return [buf[i]!, buf[i + 1]!, buf[i + 2]!];
  };

  it('copies nothing: the top rung is encoded too', () => {
    expect(plan.rungs.map((r) => r.copy)).toEqual([false, false]);
  });

  it('burns the logo into every rung, in the same relative place, on the first and the last frame', async () => {
    for (const rung of plan.rungs) {
      const r = readRendition(outDir, rung.name);
      const file = joined(outDir, r, r.segments, 'all');
      const box = watermarkBox(logo(), rung.width, rung.height);
      const inside = [box.x + box.width / 2, box.y + box.height / 2].map(Math.round) as [number, number];
      // Just outside the logo's left edge, and the mirrored corner: the picture, not the logo.
      const outside: [number, number][] = [
        [box.x - 3, inside[1]],
        [rung.width - inside[0], inside[1]],
      ];
      for (const n of [0, 36]) {
        const pixels = await frame(file, n, rung.width, rung.height);
        const original = await frame(source, n, rung.width, rung.height);
        expect(isLogoRed(rgb(pixels, rung.width, ...inside)), `${rung.name} frame ${n}`).toBe(true);
        expect(isLogoRed(rgb(original, rung.width, ...inside)), 'the source is not red there').toBe(false);
        for (const p of outside) {
          const [a, b] = [rgb(pixels, rung.width, ...p), rgb(original, rung.width, ...p)];
          expect(
            Math.max(...a.map((v, c) => Math.abs(v - b[c]!))),
            `${rung.name} ${p}: the picture`,
          ).toBeLessThan(60);
        }
      }
    }
  }, 60_000);
});
