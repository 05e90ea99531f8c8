import { describe, expect, it } from 'vitest';
import { h264Metadata } from '../../test/metadata.ts';
import {
  chooseSamples,
  PROBE_LIMITS,
  type ProbePoint,
  parseX264Summary,
  probeSize,
  sampleArgs,
} from './complexity.ts';
import { encodeGroups } from './encode-args.ts';
import { planLadder } from './ladder.ts';
import { chooseOffset, PER_TITLE_RULES, tunePlan, tuneRung } from './per-title.ts';

const meta = (width: number, height: number) => h264Metadata(width, height, {}, { audio: null });

/** A probe curve: SSIM and kbit per frame at offsets −3, 0, 3, 6. */
const curve = (ssim: number[], kbits: number[]): ProbePoint[] =>
  [-3, 0, 3, 6].map((crfOffset, i) => ({ crfOffset, ssim: ssim[i]!, bitsPerFrame: kbits[i]! * 1000 }));

// Shapes measured by the probe on the bench's sources (640×360, x264 veryfast).
const still = curve([0.9959, 0.9935, 0.9907, 0.9869], [12.6, 9.9, 7.6, 5.9]);
const noisy = curve([0.9456, 0.9276, 0.6767, 0.6637], [334, 295, 46, 17]);

describe('complexity probe: where and how it samples', () => {
  it('spreads its samples over the source, each centred in its share', () => {
    expect(chooseSamples(60, PROBE_LIMITS)).toEqual([
      { startS: 9.5, durationS: 1 },
      { startS: 29.5, durationS: 1 },
      { startS: 49.5, durationS: 1 },
    ]);
  });

  it('takes one sample from the start of a source too short to spread, never past its end', () => {
    expect(chooseSamples(5, PROBE_LIMITS)).toEqual([{ startS: 0, durationS: 3 }]);
    expect(chooseSamples(1.5, PROBE_LIMITS)).toEqual([{ startS: 0, durationS: 1.5 }]);
    expect(chooseSamples(0, PROBE_LIMITS)).toEqual([]);
    expect(chooseSamples(Number.NaN, PROBE_LIMITS)).toEqual([]);
  });

  it('works on a small picture: 360 on the short side, never upscaled, even, portrait kept', () => {
    expect(probeSize(1920, 1080, 360)).toEqual({ width: 640, height: 360 });
    expect(probeSize(1080, 1920, 360)).toEqual({ width: 360, height: 640 });
    expect(probeSize(321, 241, 360)).toEqual({ width: 320, height: 240 });
  });

  it('bounds what it reads and writes: frames, rate, bytes, pixels, the allowlisted demuxers', () => {
    const args = sampleArgs(
      '/src.mp4',
      chooseSamples(7200, PROBE_LIMITS),
      { width: 640, height: 360 },
      {
        fps: 240,
        maxPixels: 1000,
        limits: PROBE_LIMITS,
        target: '/tmp/s.mkv',
      },
    );
    const after = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
    expect(after('-i')).toEqual(['file:/src.mp4', 'file:/src.mp4', 'file:/src.mp4']);
    expect(after('-t')).toEqual(['1.000', '1.000', '1.000']);
    expect(after('-max_pixels')).toEqual(['1000', '1000', '1000']);
    expect(after('-format_whitelist')).toHaveLength(3);
    expect(after('-frames:v')).toEqual(['90']);
    expect(after('-fs')).toEqual([String(PROBE_LIMITS.maxBytes)]);
    expect(after('-filter_complex')[0]).toContain('fps=30,scale=640:360');
  });

  it("reads x264's summary: mean bits per frame over I, P and B frames, and the luma SSIM", () => {
    const log = [
      '[libx264 @ 0x1] frame I:1     Avg QP:11.62  size:  8982',
      '[libx264 @ 0x1] frame P:60    Avg QP:17.61  size:  1774',
      '[libx264 @ 0x1] frame B:29    Avg QP:27.04  size:   553',
      '[libx264 @ 0x1] SSIM Mean Y:0.9943537 (22.482db)',
    ].join('\n');
    const s = parseX264Summary(log)!;
    expect(s.frames).toBe(90);
    expect(s.bitsPerFrame).toBeCloseTo(((8982 + 60 * 1774 + 29 * 553) * 8) / 90, 6);
    expect(s.ssim).toBe(0.9943537);
    expect(parseX264Summary('[libx264 @ 0x1] frame I:1 Avg QP:11 size: 10')).toBeNull();
  });
});

describe('per-title: CRF and caps from the measured complexity', () => {
  it('gives an easy title a higher CRF, down to its own SSIM minus the budget', () => {
    const d = chooseOffset(still);
    expect(d.hard).toBe(false);
    expect(d.targetSsim).toBeCloseTo(0.9935 - PER_TITLE_RULES.dropBudget, 5);
    // The target (0.9895) lies between +3 (0.9907) and +6 (0.9869).
    expect(d.crfOffset).toBeCloseTo(3 + (3 * (0.9907 - d.targetSsim)) / (0.9907 - 0.9869), 1);
    expect(d.crfOffset).toBeGreaterThan(3);
    expect(d.crfOffset).toBeLessThan(6);
  });

  it('gives a title below the SSIM floor the lowest CRF allowed', () => {
    expect(chooseOffset(noisy)).toEqual({ crfOffset: -3, targetSsim: PER_TITLE_RULES.ssimFloor, hard: true });
  });

  it('never leaves the measured range, and reads a noisy curve as its running minimum', () => {
    const flat = curve([0.999, 0.999, 0.999, 0.999], [10, 8, 6, 5]);
    expect(chooseOffset(flat).crfOffset).toBe(6);
    const bumpy = curve([0.99, 0.985, 0.9879, 0.97], [10, 8, 6, 5]);
    // The bump at +3 is read as the 0.985 of 0; the target 0.98 is crossed a third of the way to +6.
    expect(chooseOffset(bumpy, { ...PER_TITLE_RULES, ssimFloor: 0.9, dropBudget: 0.005 }).crfOffset).toBe(4);
  });

  it("keeps an easy title's caps within [½, 1] × the fixed cap, a hard one's within [1, 1.5]×", () => {
    const plan = planLadder(meta(1920, 1080));
    const top = plan.rungs.at(-1)!;
    const probe = { width: 640, height: 360 };
    // A still picture at a tenth of a bit per pixel: its expected bitrate is under half the fixed cap.
    const stiller = curve([0.9959, 0.9935, 0.9907, 0.9869], [3, 2.4, 1.9, 1.5]);
    const easy = tuneRung(top, 30, { ...probe, points: stiller }, chooseOffset(stiller));
    expect(easy.maxrate).toBe(top.maxrate / 2);
    expect(easy.bufsize).toBe(easy.maxrate * 2);
    expect(easy.crf).toBeGreaterThan(top.crf);
    const hard = tuneRung(top, 30, { ...probe, points: noisy }, chooseOffset(noisy));
    expect(hard.maxrate).toBe(top.maxrate * 1.5);
    expect(hard.crf).toBe(top.crf - 3);
    // In between, the cap follows the expected bitrate.
    const mid = curve([0.995, 0.993, 0.99, 0.985], [10, 7.5, 5.5, 4]);
    const between = tuneRung(top, 30, { ...probe, points: mid }, chooseOffset(mid));
    expect(between.maxrate).toBeGreaterThan(top.maxrate / 2);
    expect(between.maxrate).toBeLessThan(top.maxrate);
  });

  it("tunes every rung but the start group's and a copied one", () => {
    const plan = planLadder(meta(1920, 1080));
    const keep = new Set(encodeGroups(plan)[0]!.rungs);
    expect([...keep].map((i) => plan.rungs[i]!.name)).toEqual(['240']);
    const { plan: tuned } = tunePlan(plan, { width: 640, height: 360, points: still }, keep);
    expect(tuned.rungs[0]).toEqual(plan.rungs[0]);
    for (const [i, r] of tuned.rungs.entries()) {
      if (i === 0) continue;
      expect(r.crf).toBeGreaterThan(plan.rungs[i]!.crf);
      expect({ name: r.name, width: r.width, height: r.height, fps: r.fps }).toEqual({
        name: plan.rungs[i]!.name,
        width: plan.rungs[i]!.width,
        height: plan.rungs[i]!.height,
        fps: plan.rungs[i]!.fps,
      });
    }
    const copied = { ...plan, rungs: plan.rungs.map((r, i) => (i === 4 ? { ...r, copy: true } : r)) };
    expect(tunePlan(copied, { width: 640, height: 360, points: still }, keep).plan.rungs[4]).toEqual(
      copied.rungs[4],
    );
  });
});
