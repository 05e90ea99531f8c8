import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir, x264 } from '../../test/fixtures.ts';
import {
  joined,
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
import type { EncodePlan } from './ladder.ts';
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

const run = promisify(execFile);
const ffmpegOut = async (args: string[]): Promise<string> =>
  (
    await run(paths.ffmpegPath, ['-hide_banner', '-nostats', ...args], {
      maxBuffer: 64 << 20,
      timeout: 60_000,
    })
  ).stderr;

/** The ladder of `source` and its chunks of about `chunkS` seconds (every chunk boundary a join). */
async function planInChunks(source: string, chunkS: number) {
  const { metadata } = await probeFile(paths, source, { timeoutMs: 20_000 });
  const keyframes = await probeKeyframes(paths, source, 20_000);
  const plan: EncodePlan = planLadder(metadata, { keyframes });
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const chunks = planChunks(grid, keyframes.times, metadata.duration, chunkS);
  return { metadata, keyframes, plan, chunks };
}

/** Starts the chunks' encode, two at a time, one thread each, into `outDir`. */
function startInChunks(
  source: string,
  outDir: string,
  planned: Awaited<ReturnType<typeof planInChunks>>,
  onPlayable?: () => void,
) {
  return startChunkedEncode({
    paths,
    input: source,
    outDir,
    plan: planned.plan,
    durationS: planned.metadata.duration,
    maxDurationS: 3600,
    timeoutMs: 120_000,
    threads: 1,
    chunks: planned.chunks,
    originS: planned.keyframes.offsetS,
    parallel: 2,
    ...(onPlayable ? { onPlayable } : {}),
  });
}

/** Chunks of `source` encoded into `outDir`. */
async function encodeInChunks(source: string, outDir: string, chunkS: number) {
  const planned = await planInChunks(source, chunkS);
  const result = await startInChunks(source, outDir, planned).done;
  return { plan: planned.plan, chunks: planned.chunks, result };
}

/** The first instant a player shows of a rendition (its first segment's tfdt + composition offset). */
function playerStart(outDir: string, folder: string): number {
  const r = readRendition(outDir, folder);
  const init = readInit(fs.readFileSync(path.join(outDir, folder, 'init.mp4')));
  const first = readSegment(
    fs.readFileSync(path.join(outDir, folder, r.segments[0]!)),
    init.defaultSampleDuration,
  );
  return first.presentationStart / init.timescale;
}

/** The rendition as MSE gets it (edit lists ignored), with ffmpeg's first decoded timestamp. */
async function asPlayed(outDir: string, folder: string) {
  const file = joined(
    outDir,
    readRendition(outDir, folder),
    readRendition(outDir, folder).segments,
    'played',
  );
  const out = await ffmpegOut([
    '-ignore_editlist',
    '1',
    '-i',
    file,
    '-vf',
    'showinfo',
    '-af',
    'ashowinfo',
    '-f',
    'null',
    '-',
  ]);
  const first = Math.min(...[...out.matchAll(/pts_time:\s*([\d.]+)/g)].map((m) => Number(m[1])));
  return { file, first };
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
    const planned = await planInChunks(source, 2);
    const { plan, chunks } = planned;
    expect(plan.rungs.map((r) => `${r.name}${r.copy ? ' copy' : ''}`)).toEqual(['240', '360', '480 copy']);
    expect(chunks.map((c) => c.fromS)).toEqual([0, 2, 5]);

    const outDir = path.join(dir, 'out');
    let playable = false;
    const handle = startInChunks(source, outDir, planned, () => {
      playable = true;
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

  it('keeps joins invisible: a flash and a beep on a join stay in sync, SSIM at a join is as elsewhere', async () => {
    // 5 s, 1 s GOPs, chunks 0–1, 1–2, 2–5 s (joins at 1 and 2 s); frame 50 (2.00 s) is white and a
    // 1 kHz beep starts at 2.00 s: the instant the third chunk starts.
    const source = path.join(dir, 'flash.mp4');
    await run(paths.ffmpegPath, [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...[
        '-f',
        'lavfi',
        '-i',
        "testsrc2=size=640x360:rate=25:duration=5,drawbox=c=white:t=fill:enable='eq(n,50)'",
      ],
      ...['-f', 'lavfi', '-i', "aevalsrc='if(gte(t,2),sin(2*PI*1000*t),0)':s=48000:d=5"],
      ...x264('-g', '25', '-bf', '2'),
      ...['-c:a', 'aac', '-b:a', '96k', source],
    ]);
    const outDir = path.join(dir, 'joins');
    const { plan, chunks } = await encodeInChunks(source, outDir, 1);
    expect(plan.rungs.map((r) => `${r.name}${r.copy ? ' copy' : ''}`)).toEqual(['240', '360 copy']);
    expect(chunks.map((c) => c.fromS)).toEqual([0, 1, 2]);

    // The flash as the player shows it (its frame's time from the rendition's first one) and the beep
    // as it plays (its onset from the first decoded sample, priming included, as MSE plays it).
    const video = await asPlayed(outDir, '240');
    const lumas = await ffmpegOut([
      '-ignore_editlist',
      '1',
      '-i',
      video.file,
      '-vf',
      'signalstats,metadata=print:key=lavfi.signalstats.YAVG',
      '-f',
      'null',
      '-',
    ]);
    const frames = [
      ...lumas.matchAll(/pts_time:([\d.]+)[^\n]*\n[^\n]*lavfi\.signalstats\.YAVG=([\d.]+)/g),
    ].map((m) => ({
      t: Number(m[1]),
      y: Number(m[2]),
    }));
    const flashes = frames.filter((f) => f.y > 200);
    expect(flashes).toHaveLength(1);
    const flashAt = playerStart(outDir, '240') + flashes[0]!.t - video.first;
    const audio = await asPlayed(outDir, 'audio-0');
    const silence = await ffmpegOut([
      '-ignore_editlist',
      '1',
      '-i',
      audio.file,
      '-af',
      'silencedetect=n=-30dB:d=0.2',
      '-f',
      'null',
      '-',
    ]);
    const beep = Number(/silence_end: ([\d.]+)/.exec(silence)![1]);
    const beepAt = playerStart(outDir, 'audio-0') + beep - audio.first;
    expect(Math.abs(beepAt - flashAt), `flash ${flashAt}, beep ${beepAt}`).toBeLessThan(1 / 25);

    // SSIM against the source, frame by frame: the frames right after each join score as the rest.
    const rung = plan.rungs[0]!;
    const ssimLog = path.join(dir, 'ssim.log');
    await ffmpegOut([
      ...['-ignore_editlist', '1', '-i', video.file, '-i', source],
      '-lavfi',
      `[0:v]setpts=N/25/TB[a];[1:v]scale=${rung.width}:${rung.height},setpts=N/25/TB[b];[a][b]ssim=stats_file=${ssimLog}`,
      ...['-f', 'null', '-'],
    ]);
    const perFrame = fs
      .readFileSync(ssimLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(/All:([\d.]+)/.exec(l)![1]));
    expect(perFrame).toHaveLength(125);
    const mean = (xs: number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
    const all = mean(perFrame);
    for (const c of chunks.slice(1)) {
      const at = Math.round(c.fromS * 25);
      const around = mean(perFrame.slice(at - 1, at + 2));
      expect(
        Math.abs(around - all),
        `SSIM around the join at ${c.fromS} s: ${around} vs ${all}`,
      ).toBeLessThan(0.01);
    }
  }, 120_000);
});
