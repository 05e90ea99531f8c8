import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir, x264 } from '../../test/fixtures.ts';
import {
  readRendition,
  renditionTimeline,
  sourceFrames,
  sourceStarts,
  undecodableSegments,
} from '../../test/timeline.ts';
import { startChunkedEncode } from './chunked-encode.ts';
import { planChunks } from './chunks.ts';
import { scheduleOf } from './encode-args.ts';
import { readInit, readSegment } from './fmp4.ts';
import { probeKeyframes } from './keyframes.ts';
import { planLadder } from './ladder.ts';
import { probeFile } from './probe.ts';
import { TIMELINE_LEAD_S } from './retime.ts';
import { gridCut } from './schedule.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-chunked-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Each segment's first frame shown and its frame count, seconds on the player's timeline. */
function segmentStarts(outDir: string, folder: string): { at: number; samples: number }[] {
  const init = readInit(fs.readFileSync(path.join(outDir, folder, 'init.mp4')));
  return readRendition(outDir, folder).segments.map((s) => {
    const t = readSegment(fs.readFileSync(path.join(outDir, folder, s)), init.defaultSampleDuration);
    return { at: t.presentationStart / init.timescale, samples: t.samples };
  });
}

describe('startChunkedEncode', () => {
  it('encodes a source in 2 s chunks whose joins hold every frame once, on the grid, in sync with the whole audio', async () => {
    // 7 s, 1 s GOPs with B-frames: the 480 rung is copied (its keyframes are the grid), 240 and 360
    // are encoded in three chunks on the copied grid (0–2, 2–5, 5–7 s), two at a time, one thread each.
    const source = await makeClip(path.join(dir, 'src.mp4'), {
      duration: 7,
      width: 854,
      height: 480,
      fps: 30,
      video: x264('-g', '30', '-bf', '2'),
    });
    const { metadata } = await probeFile(paths, source, { timeoutMs: 20_000 });
    const keyframes = await probeKeyframes(paths, source, 20_000);
    const plan = planLadder(metadata, { keyframes });
    expect(plan.rungs.map((r) => `${r.name}${r.copy ? ' copy' : ''}`)).toEqual(['240', '360', '480 copy']);
    const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
    const chunks = planChunks(grid, keyframes.times, metadata.duration, 2);
    expect(chunks.map((c) => c.fromS)).toEqual([0, 2, 5]);

    const outDir = path.join(dir, 'out');
    let playable = false;
    const handle = startChunkedEncode({
      paths,
      input: source,
      outDir,
      plan,
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 120_000,
      threads: 1,
      chunks,
      originS: keyframes.offsetS,
      parallel: 2,
      onPlayable: () => {
        playable = true;
      },
    });
    const result = await handle.done;
    expect(playable).toBe(true);
    expect(fs.existsSync(path.join(outDir, '.chunks'))).toBe(false);

    const frames = await sourceFrames(source);
    const copied = segmentStarts(outDir, '480');
    for (const rung of ['240', '360']) {
      const r = readRendition(outDir, rung);
      // Every frame of the source, once: as many frames, each segment starting on the copied rung's.
      expect((await renditionTimeline(outDir, r)).frames).toBe(frames);
      const starts = segmentStarts(outDir, rung);
      expect(starts.map((s) => s.samples)).toEqual(copied.map((s) => s.samples));
      for (const [i, s] of starts.entries()) expect(Math.abs(s.at - copied[i]!.at)).toBeLessThan(0.0005);
      // The same #EXTINFs as the copied rung, summing to the media's duration.
      expect(r.extinfText).toEqual(readRendition(outDir, '480').extinfText);
      expect(r.extinf.reduce((t, x) => t + x, 0)).toBeCloseTo(frames / 30, 3);
      // Each chunk's first segment decodes on its own (an IDR at the join).
      const joins = chunks.map((c) => r.segments[c.firstSegment]!);
      expect(await undecodableSegments(outDir, { ...r, segments: joins })).toEqual([]);
    }
    expect(result.durationS).toBeCloseTo(7, 1);
    // A/V as in the source: the video starts the lead after the origin, the whole audio where it did.
    const src = await sourceStarts(source);
    const video = await renditionTimeline(outDir, readRendition(outDir, '360'));
    const audio = await renditionTimeline(outDir, readRendition(outDir, 'audio-0'));
    expect(Math.abs(video.start - TIMELINE_LEAD_S - src.video!)).toBeLessThan(0.001);
    expect(Math.abs(audio.start - video.start - (src.audio[0]! - src.video!))).toBeLessThan(1 / 30);
  }, 120_000);
});
