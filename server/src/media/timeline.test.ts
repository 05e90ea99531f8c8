import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interlacedClip, makeClip, rotatedCopy, tempDir, x264 } from '../../test/fixtures.ts';
import {
  type Rendition,
  type RenditionTimeline,
  readRendition,
  renditionTimeline,
  sourceFrames,
  sourceStarts,
  undecodableSegments,
} from '../../test/timeline.ts';
import { startEncode } from './encode.ts';
import { probeKeyframes } from './keyframes.ts';
import { type EncodePlan, planLadder } from './ladder.ts';
import { audioFolder } from './layout.ts';
import { probeFile } from './probe.ts';
import { probeAudioTracks } from './tracks.ts';

/*
 * Issue 20: what a browser gets keeps the source's timing. For each kind of source phones, cameras and
 * editors produce (generated here, small and short), the ladder is encoded once and measured as a
 * player reads it (test/timeline.ts).
 */

const run = promisify(execFile);
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
const ff = (args: string[]) => run(paths.ffmpegPath, ['-v', 'error', '-y', ...args], { timeout: 60_000 });

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-timeline-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** 640×400: a copied top rung and two encoded ones (two processes); 480×300 where one encoded rung will do. */
const BIG = { width: 640, height: 400 };
const SMALL = { width: 480, height: 300 };

/** Video and audio made apart, then muxed with one of them shifted (as a camera or an editor leaves it). */
async function shifted(name: string, shift: { video?: number; audio?: number }): Promise<string> {
  const v = await makeClip(path.join(dir, `${name}-v.mp4`), {
    ...SMALL,
    fps: 30,
    duration: 2.5,
    audio: null,
    video: x264('-bf', '2', '-g', '30'),
  });
  const a = await makeClip(path.join(dir, `${name}-a.m4a`), { video: null, duration: 3 });
  const out = path.join(dir, `${name}.mp4`);
  await ff([
    ...(shift.video ? ['-itsoffset', String(shift.video)] : []),
    '-i',
    v,
    ...(shift.audio ? ['-itsoffset', String(shift.audio)] : []),
    '-i',
    a,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c',
    'copy',
    out,
  ]);
  return out;
}

const sources: Record<string, () => Promise<string>> = {
  'B-frames at 25 fps': () =>
    makeClip(path.join(dir, 'bf25.mp4'), {
      ...BIG,
      fps: 25,
      duration: 2.5,
      video: x264('-bf', '2', '-g', '25'),
    }),
  'B-frames at 30 fps': () =>
    makeClip(path.join(dir, 'bf30.mp4'), {
      ...SMALL,
      fps: 30,
      duration: 2.5,
      video: x264('-bf', '2', '-g', '30'),
    }),
  'audio 0.5 s after the video': () => shifted('late', { audio: 0.5 }),
  'audio 0.7 s before the video': () => shifted('early', { video: 0.7 }),
  'an MP4 cut mid-GOP, its first 1.5 s hidden by an edit list': async () => {
    const whole = await makeClip(path.join(dir, 'gop2.mp4'), {
      ...SMALL,
      duration: 4.5,
      video: x264('-bf', '2', '-g', '50'),
    });
    const out = path.join(dir, 'cut.mp4');
    await ff(['-ss', '1.5', '-i', whole, '-c', 'copy', out]);
    return out;
  },
  'an MP4 that starts on a non-keyframe': async () => {
    const whole = await makeClip(path.join(dir, 'gop1.mp4'), {
      ...SMALL,
      duration: 3.5,
      video: x264('-bf', '2', '-g', '25'),
    });
    const out = path.join(dir, 'nonkey.mp4');
    await ff(['-i', whole, '-ss', '0.44', '-c', 'copy', '-copyinkf', out]);
    return out;
  },
  'an open-GOP source (recovery-point I-frames, not IDRs)': () =>
    makeClip(path.join(dir, 'open-gop.mp4'), {
      ...SMALL,
      duration: 3,
      video: x264('-bf', '2', '-x264-params', 'open-gop=1:keyint=25:min-keyint=25:scenecut=0'),
    }),
  // Not an MP4: its keyframes come from packet flags, which show recovery-point I-frames as keyframes
  // too (media/keyframes.test.ts checks a TS as well).
  'an open-GOP MKV': () =>
    makeClip(path.join(dir, 'open-gop.mkv'), {
      ...SMALL,
      fps: 30,
      duration: 3,
      video: x264('-bf', '2', '-x264-params', 'open-gop=1:keyint=60:min-keyint=60:scenecut=0'),
    }),
  'an MKV with Opus': () =>
    makeClip(path.join(dir, 'opus.mkv'), {
      ...SMALL,
      duration: 2.5,
      video: x264('-bf', '2', '-g', '25'),
      audio: ['-c:a', 'libopus', '-b:a', '64k'],
    }),
  'a variable-frame-rate WebM': () =>
    makeClip(path.join(dir, 'vfr.webm'), {
      ...SMALL,
      duration: 2.5,
      // Frames 40 ms and 80 ms apart, alternately (a phone's screen recording).
      video: [
        '-vf',
        "setpts='(N+floor(N/2))*0.04/TB'",
        '-fps_mode',
        'vfr',
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-auto-alt-ref',
        '0',
      ],
      audio: ['-c:a', 'libopus', '-b:a', '64k'],
    }),
  // ffmpeg's mpegts muxer starts the video ~21 ms after the audio (its first PCR, before the first PTS);
  // open-GOP, so every rung is encoded, in two processes.
  'an H.264 TS (video 21 ms after audio)': () =>
    makeClip(path.join(dir, 'late-video.ts'), {
      ...BIG,
      fps: 30,
      duration: 2.5,
      video: x264('-bf', '2', '-x264-params', 'open-gop=1:keyint=30:min-keyint=30:scenecut=0'),
      extra: ['-f', 'mpegts'],
    }),
  // 25i, never copied (deinterlaced), its audio muxed in so the TS's audio lead applies too.
  'a 1080i-style interlaced TS': async () => {
    const v = await interlacedClip(path.join(dir, 'interlaced-v.ts'), {
      width: 640,
      height: 400,
      duration: 2.5,
    });
    const out = path.join(dir, 'interlaced.ts');
    await ff([
      '-f',
      'mpegts',
      '-i',
      v,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=2.5',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      '-f',
      'mpegts',
      out,
    ]);
    return out;
  },
  'a rotated clip': async () =>
    rotatedCopy(
      await makeClip(path.join(dir, 'upright.mp4'), {
        ...SMALL,
        fps: 30,
        duration: 2.5,
        video: x264('-bf', '2', '-g', '30'),
      }),
      path.join(dir, 'rotated.mp4'),
    ),
};

interface Measured {
  plan: EncodePlan;
  source: { video: number | null; audio: number[]; frames: number };
  video: (Rendition & RenditionTimeline)[];
  audio: (Rendition & RenditionTimeline)[];
  undecodable: string[];
}

async function encodeAndMeasure(name: string, input: string): Promise<Measured> {
  const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
  const audioTracks = metadata.audio ? await probeAudioTracks(paths, input, 10_000) : [];
  const keyframes = metadata.video?.codec === 'h264' ? await probeKeyframes(paths, input, 10_000) : undefined;
  const plan = planLadder(metadata, { audioTracks, ...(keyframes ? { keyframes } : {}) });
  const outDir = path.join(dir, name.replace(/\W+/g, '-'));
  await startEncode({
    paths,
    input,
    outDir,
    plan,
    durationS: metadata.duration,
    maxDurationS: 60,
    timeoutMs: 120_000,
  }).done;
  const measure = async (folder: string) => {
    const r = readRendition(outDir, folder);
    return { ...r, ...(await renditionTimeline(outDir, r)) };
  };
  const video = await Promise.all(plan.rungs.map((r) => measure(r.name)));
  const audio = await Promise.all(plan.audio.map((a) => measure(audioFolder(a.index))));
  const undecodable: string[] = [];
  for (const r of [...video, ...audio]) undecodable.push(...(await undecodableSegments(outDir, r)));
  return {
    plan,
    source: { ...(await sourceStarts(input)), frames: await sourceFrames(input) },
    video,
    audio,
    undecodable,
  };
}

describe.each(Object.entries(sources))('the timeline of %s', (name, make) => {
  let m: Measured;
  beforeAll(async () => {
    m = await encodeAndMeasure(name, await make());
  }, 120_000);

  it('starts every rendition where the source starts it, less one common offset (within 20 ms), as a player reads it', () => {
    const src = m.source;
    const origin = src.video ?? src.audio[0]!;
    const expected = [
      ...m.video.map((r) => [r.folder, src.video! - origin] as const),
      ...m.audio.map((r, i) => [r.folder, src.audio[i]! - origin] as const),
    ];
    const measured = [...m.video, ...m.audio];
    const common = measured[0]!.start - expected[0]![1];
    const got = measured.map((t) => [t.folder, Math.round((t.start - common) * 1000) / 1000] as const);
    for (const [i, [, want]] of expected.entries()) {
      expect(
        Math.abs(got[i]![1] - want),
        `${JSON.stringify(got)} vs ${JSON.stringify(expected)}`,
      ).toBeLessThan(0.02);
    }
  });

  it('presents as many frames as the source, on every video rung', () => {
    for (const r of m.video) expect(r.frames, r.folder).toBe(m.source.frames);
  });

  it('lists the same #EXTINF on every video variant, summing to the presented length', () => {
    const [first, ...rest] = m.video;
    // As written: one grid from the first frame shown, whatever each rung's timestamps (a copied
    // Matroska rung's decode times are rebuilt from millisecond timestamps).
    for (const r of rest) expect(r.extinfText, r.folder).toEqual(first!.extinfText);
    const sum = first!.extinf.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - first!.span)).toBeLessThan(0.001 * first!.extinf.length);
  });

  it('decodes every segment on its own (init + that segment)', () => {
    expect(m.undecodable).toEqual([]);
  });
});
