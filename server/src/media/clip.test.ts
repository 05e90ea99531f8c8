import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SourceRange } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir, x264 } from '../../test/fixtures.ts';
import { joined, readRendition, renditionTimeline, undecodableSegments } from '../../test/timeline.ts';
import { atEnd, clipKeyframes, countFrames, countIn, rangeInputOptions } from './clip.ts';
import { startEncode } from './encode.ts';
import { probeKeyframes } from './keyframes.ts';
import { type EncodePlan, planLadder } from './ladder.ts';
import { audioFolder } from './layout.ts';
import { probeFile } from './probe.ts';

/*
 * Clips (issue 15): `[start, end)` of a source, cut frame-accurately in one encode; copied (not
 * encoded) between source keyframes. Source: 3 s of 25 fps H.264 with B-frames and a keyframe every
 * second (0, 1, 2), AAC audio, 426×240 (one rung at its own size, which a standard source copies).
 */

const run = promisify(execFile);
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
const FRAME = 1 / 25;

let dir: string;
let source: string;
beforeAll(async () => {
  dir = tempDir('vodkit-clip-');
  source = await makeClip(path.join(dir, 'source.mp4'), {
    width: 426,
    height: 240,
    fps: 25,
    duration: 3,
    video: x264('-bf', '2', '-crf', '30', '-x264-params', 'keyint=25:min-keyint=25:scenecut=0'),
  });
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The video packets of a file in decode order: size, and whether it is a keyframe. */
async function packets(file: string): Promise<{ size: number; key: boolean }[]> {
  const { stdout } = await run(paths.ffprobePath, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=size,flags',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => {
      const [size, flags] = l.split(',');
      return { size: Number(size), key: flags?.startsWith('K') === true };
    });
}

async function encodeClip(name: string, range: SourceRange, checkDecodes = false) {
  const { metadata } = await probeFile(paths, source, { timeoutMs: 10_000 });
  const keyframes = await probeKeyframes(paths, source, 10_000);
  const copyFrames =
    clipKeyframes(keyframes, range, metadata.duration) && !atEnd(range, metadata.duration)
      ? await countFrames(paths, source, keyframes, range, 10_000)
      : undefined;
  const plan: EncodePlan = planLadder(metadata, {
    keyframes,
    sourceRange: range,
    ...(copyFrames ? { copyFrames } : {}),
  });
  const outDir = path.join(dir, name);
  const result = await startEncode({
    paths,
    input: source,
    outDir,
    plan,
    durationS: range.end - range.start,
    maxDurationS: 60,
    timeoutMs: 60_000,
  }).done;
  const rung = plan.rungs.at(-1)!;
  const video = readRendition(outDir, rung.name);
  const audio = readRendition(outDir, audioFolder(0));
  return {
    plan,
    result,
    outDir,
    video: { ...video, ...(await renditionTimeline(outDir, video)) },
    audio: { ...audio, ...(await renditionTimeline(outDir, audio)) },
    undecodable: checkDecodes
      ? [...(await undecodableSegments(outDir, video)), ...(await undecodableSegments(outDir, audio))]
      : [],
  };
}

describe('a clip between two source keyframes (1 s to 2 s)', () => {
  let m: Awaited<ReturnType<typeof encodeClip>>;
  beforeAll(async () => {
    m = await encodeClip('aligned', { start: 1, end: 2 }, true);
  }, 60_000);

  it('copies the frames in between: the plan says copy, and the packets are the source’s, byte for byte', async () => {
    expect(m.plan.rungs.at(-1)!.copy).toBe(true);
    expect(m.plan.copyFrames).toBe(25);
    const clip = await packets(joined(m.outDir, m.video, m.video.segments, 'all'));
    // The source's packets from the keyframe at 1 s up to (not including) the one at 2 s, in decode order.
    const all = await packets(source);
    const keys = all.flatMap((p, i) => (p.key ? [i] : []));
    expect(keys.length).toBe(3);
    expect(clip).toEqual(all.slice(keys[1], keys[2]));
  });

  it('lasts end − start to within a frame, and keeps the audio with the video', () => {
    expect(m.video.frames).toBe(25);
    expect(Math.abs(m.result.durationS - 1)).toBeLessThanOrEqual(FRAME);
    expect(Math.abs(m.video.span - 1)).toBeLessThanOrEqual(FRAME);
    // Both start at the same instant as a player reads them (the AAC priming accounted for).
    expect(Math.abs(m.audio.start - m.video.start)).toBeLessThan(0.02);
    expect(Math.abs(m.audio.span - 1)).toBeLessThanOrEqual(FRAME);
    expect(m.undecodable).toEqual([]);
  });
});

describe('a clip off the keyframes (0.5 s to 2.3 s)', () => {
  let m: Awaited<ReturnType<typeof encodeClip>>;
  beforeAll(async () => {
    m = await encodeClip('unaligned', { start: 0.5, end: 2.3 });
  }, 60_000);

  it('is encoded, frame-accurately: 45 frames, 1.8 s to within a frame, audio where the source has it', () => {
    expect(m.plan.rungs.every((r) => !r.copy)).toBe(true);
    expect(m.plan.copyFrames).toBeNull();
    expect(m.video.frames).toBe(45);
    expect(Math.abs(m.result.durationS - 1.8)).toBeLessThanOrEqual(FRAME);
    expect(Math.abs(m.video.span - 1.8)).toBeLessThanOrEqual(FRAME);
    // 0.5 s falls between two frames (0.48, 0.52): the video starts with the one at 0.52, 20 ms after
    // the audio, where the source shows it.
    expect(Math.abs(m.video.start - m.audio.start - 0.02)).toBeLessThan(0.005);
  });
});

describe('a clip from a keyframe to the end (2 s to 3 s)', () => {
  it('copies to the end without counting frames', async () => {
    const m = await encodeClip('to-end', { start: 2, end: 3 });
    expect(m.plan.rungs.at(-1)!.copy).toBe(true);
    expect(m.plan.copyFrames).toBeNull();
    expect(m.video.frames).toBe(25);
    expect(Math.abs(m.result.durationS - 1)).toBeLessThanOrEqual(FRAME);
  }, 60_000);
});

describe('clip planning (pure)', () => {
  const keyframes = { times: [0, 1, 2], offsetS: 0, interlaced: false, startS: 0 };

  it('copies only from a keyframe to a keyframe or the end', () => {
    expect(clipKeyframes(keyframes, { start: 1, end: 2 }, 3)?.times).toEqual([0]);
    expect(clipKeyframes(keyframes, { start: 0, end: 3 }, 3)?.times).toEqual([0, 1, 2]);
    expect(clipKeyframes(keyframes, { start: 1.0004, end: 3 }, 3)?.times).toEqual([0, 1]);
    expect(clipKeyframes(keyframes, { start: 0.5, end: 2 }, 3)).toBeUndefined();
    expect(clipKeyframes(keyframes, { start: 1, end: 2.5 }, 3)).toBeUndefined();
  });

  it('reads only the range, from a µs past start so the seek lands on a keyframe there', () => {
    expect(rangeInputOptions(null, 61)).toEqual(['-t', '61']);
    expect(rangeInputOptions({ start: 1, end: 2 }, 61)).toEqual(['-ss', '1.000001', '-t', '0.999999']);
    expect(rangeInputOptions({ start: 0, end: 200 }, 61)).toEqual(['-ss', '0.000001', '-t', '61.000000']);
  });

  it('counts the packets inside the interval only', () => {
    expect(countIn(['0.96', '1.000000', '1.04', '1.96', '2.0', ''].join('\n'), 0.999, 1.999)).toBe(3);
  });
});
