import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir } from '../../test/fixtures.ts';
import { h264Metadata } from '../../test/metadata.ts';
import { probeComplexity } from './complexity.ts';
import { startEncode } from './encode.ts';
import { encodeGroups } from './encode-args.ts';
import { planLadder } from './ladder.ts';
import { tunePlan } from './per-title.ts';
import { probeFile } from './probe.ts';
import { EncodeError, runFfmpegWhen } from './process.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-complexity-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('complexity probe on real sources', () => {
  it('gives a still source a higher CRF and lower caps than a high-motion one', async () => {
    const tuned = async (content: 'static' | 'motion') => {
      const file = await makeClip(path.join(dir, `${content}.mp4`), {
        content,
        duration: 1,
        width: 640,
        height: 360,
        fps: 25,
        audio: null,
      });
      const { metadata } = await probeFile(paths, file, { timeoutMs: 30_000 });
      const plan = planLadder(metadata);
      const probe = await probeComplexity(paths, file, metadata, { timeoutMs: 120_000, threads: 1, nice: 0 });
      expect(probe.points.map((p) => p.crfOffset)).toEqual([-3, 0, 3, 6]);
      return { fixed: plan, ...tunePlan(plan, probe, new Set(encodeGroups(plan)[0]!.rungs)) };
    };
    const [still, motion] = await Promise.all([tuned('static'), tuned('motion')]);
    expect(still.decision.hard).toBe(false);
    expect(motion.decision.hard).toBe(true);
    // 640×360: rungs 240 (the start group's, untouched) and 360.
    const [stillTop, motionTop, fixedTop] = [
      still.plan.rungs[1]!,
      motion.plan.rungs[1]!,
      still.fixed.rungs[1]!,
    ];
    expect(still.plan.rungs[0]).toEqual(motion.plan.rungs[0]);
    expect(stillTop.crf).toBeGreaterThan(fixedTop.crf);
    expect(motionTop.crf).toBeLessThan(fixedTop.crf);
    expect(stillTop.maxrate).toBeLessThan(motionTop.maxrate);
    expect(stillTop.maxrate).toBeLessThanOrEqual(fixedTop.maxrate);
    expect(motionTop.maxrate).toBeGreaterThan(fixedTop.maxrate);
  }, 300_000);
});

describe('a per-title encode (media/encode.ts laterPlan)', () => {
  it('is playable from the start group alone, before the later groups know their plan', async () => {
    const file = await makeClip(path.join(dir, 'mpeg4.mp4'), {
      duration: 2,
      audio: null,
      video: ['-c:v', 'mpeg4', '-q:v', '2'],
    });
    const { metadata } = await probeFile(paths, file, { timeoutMs: 30_000 });
    const plan = planLadder(metadata);
    expect(encodeGroups(plan)).toHaveLength(2);
    let release: (p: typeof plan) => void = () => {};
    const laterPlan = new Promise<typeof plan>((resolve) => {
      release = resolve;
    });
    // The later plan is released by the playable event itself; the bound only keeps a failure from hanging.
    let bounded = false;
    const bound = setTimeout(() => {
      bounded = true;
      release(plan);
    }, 60_000);
    let playableFirst = false;
    const result = await startEncode({
      paths,
      input: file,
      outDir: path.join(dir, 'later'),
      plan,
      durationS: metadata.duration,
      maxDurationS: 60,
      timeoutMs: 120_000,
      laterPlan,
      onPlayable: () => {
        playableFirst = !bounded;
        release(plan);
      },
    }).done;
    clearTimeout(bound);
    expect(playableFirst).toBe(true);
    expect(result.renditions.map((r) => r.segments > 0)).toEqual([true, true]);
  }, 300_000);

  it('a later group cancelled while its plan is unknown ends at once and never starts', async () => {
    const never = new Promise<never>(() => {});
    const handle = runFfmpegWhen(never, { paths, timeoutMs: 10_000 });
    handle.cancel();
    await expect(handle.done).rejects.toEqual(
      new EncodeError('encode_cancelled', 'the encode was cancelled'),
    );
    expect(handle.pid()).toBeNull();
  });

  it('an aborted probe rejects (its ffmpeg killed), so the job keeps the fixed ladder', async () => {
    const file = path.join(dir, 'gone.mp4');
    const metadata = h264Metadata(640, 360);
    const abort = new AbortController();
    abort.abort();
    await expect(
      probeComplexity(paths, file, metadata, {
        timeoutMs: 30_000,
        threads: 1,
        nice: 0,
        signal: abort.signal,
      }),
    ).rejects.toThrow(/stopped/);
  });
});
