import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combRatio, idet } from '../../test/combing.ts';
import { clips, interlacedClip, makeClip, rotatedCopy, tempDir } from '../../test/fixtures.ts';
import { DEINTERLACE_FILTER } from './deinterlace.ts';
import { EncodeError, type EncodeOptions, type EncodeResult, startEncode } from './encode.ts';
import { probeKeyframes } from './keyframes.ts';
import { type EncodePlan, planLadder } from './ladder.ts';
import { HANDOFF_FOLDER, MASTER_PLAYLIST, POSTER_FILE } from './layout.ts';
import { mp4Keyframes } from './mp4-index.ts';
import { probeFile } from './probe.ts';
import { probeAudioTracks } from './tracks.ts';

const run = promisify(execFile);
const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-encode-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Encoded {
  result: EncodeResult;
  outDir: string;
  plan: EncodePlan;
  progress: number[];
  playableAt: number | null;
  ms: number;
}

async function encode(input: string, name: string, extra: Partial<EncodeOptions> = {}): Promise<Encoded> {
  const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
  const audioTracks = metadata.audio ? await probeAudioTracks(paths, input, 10_000) : [];
  const plan = planLadder(metadata, { audioTracks });
  const outDir = path.join(dir, name);
  const progress: number[] = [];
  let playableAt: number | null = null;
  const t0 = Date.now();
  const handle = startEncode({
    paths,
    input,
    outDir,
    plan,
    durationS: metadata.duration,
    maxDurationS: 3600,
    timeoutMs: 120_000,
    onProgress: (p) => progress.push(p),
    onPlayable: () => {
      playableAt ??= Date.now() - t0;
    },
    ...extra,
  });
  const result = await handle.done;
  return { result, outDir, plan, progress, playableAt, ms: Date.now() - t0 };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');

/** `#EXT-X-STREAM-INF` attributes and URI of each variant of a master playlist. */
function variants(master: string): { attrs: Record<string, string>; uri: string }[] {
  const lines = master.split('\n').map((l) => l.trim());
  const out: { attrs: Record<string, string>; uri: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const attrs: Record<string, string> = {};
    for (const m of line.slice(18).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) {
      attrs[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
    out.push({ attrs, uri: lines.slice(i + 1).find((l) => l && !l.startsWith('#'))! });
  });
  return out;
}

/** Segment URIs, EXTINF durations and the init segment of a media playlist. */
function media(playlist: string): { init: string; segments: string[]; durations: number[] } {
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] ?? '';
  const lines = playlist.split('\n').map((l) => l.trim());
  const segments = lines.filter((l) => l && !l.startsWith('#'));
  const durations = lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => Number.parseFloat(l.slice(8)));
  return { init, segments, durations };
}

/** ffprobe of init + one segment joined, as a player sees them. */
async function probeSegment(variantDir: string, init: string, segment: string) {
  const joined = path.join(variantDir, `joined-${segment}.mp4`);
  fs.writeFileSync(
    joined,
    Buffer.concat([
      fs.readFileSync(path.join(variantDir, init)),
      fs.readFileSync(path.join(variantDir, segment)),
    ]),
  );
  const { stdout } = await run(paths.ffprobePath, [
    '-v',
    'error',
    '-show_streams',
    '-show_packets',
    '-select_streams',
    'v:0',
    '-of',
    'json',
    joined,
  ]);
  fs.rmSync(joined);
  return JSON.parse(stdout) as {
    streams: { width: number; height: number; pix_fmt: string; side_data_list?: unknown[] }[];
    packets: { flags: string }[];
  };
}

describe('startEncode', () => {
  it('encodes a 640x360 H.264/AAC clip into aligned fMP4 rungs, an audio group and our own playlists', async () => {
    const input = await clips.h264Aac(dir, { duration: 9, width: 640, height: 360 });
    const { outDir, plan, progress, playableAt, result } = await encode(input, 'h264');
    expect(plan.rungs.map((r) => r.name)).toEqual(['240', '360']);

    const master = read(path.join(outDir, MASTER_PLAYLIST));
    expect(master).toMatch(
      /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="[^"]+",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="1",URI="audio-0\/index.m3u8"/,
    );
    const listed = variants(master);
    // The start rung (here the top one, ≤ 720) is listed first.
    expect(listed.map((v) => v.uri)).toEqual(['360/index.m3u8', '240/index.m3u8']);
    for (const rung of plan.rungs) {
      const v = listed.find((l) => l.uri === `${rung.name}/index.m3u8`)!;
      expect(v.attrs.RESOLUTION).toBe(`${rung.width}x${rung.height}`);
      expect(v.attrs.CODECS).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      expect(v.attrs.AUDIO).toBe('audio');
      expect(v.attrs['FRAME-RATE']).toBe('25.000');
      // Once complete, BANDWIDTH is the measured peak (video + audio), under the cap plus audio.
      expect(Number(v.attrs.BANDWIDTH)).toBeGreaterThan(0);
      expect(Number(v.attrs['AVERAGE-BANDWIDTH'])).toBeLessThanOrEqual(Number(v.attrs.BANDWIDTH));
    }

    const folders = [...plan.rungs.map((r) => r.name), 'audio-0'];
    const perRendition = await Promise.all(
      folders.map(async (folder) => {
        const playlist = read(path.join(outDir, folder, 'index.m3u8'));
        expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
        expect(playlist).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
        expect(playlist).toContain('#EXT-X-TARGETDURATION:4');
        expect(playlist.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
        const m = media(playlist);
        expect(m.init).toBe('init.mp4');
        expect(m.segments.every((s) => s.endsWith('.m4s'))).toBe(true);
        if (folder !== 'audio-0') {
          const rung = plan.rungs.find((r) => r.name === folder)!;
          for (const segment of m.segments) {
            const probed = await probeSegment(path.join(outDir, folder), m.init, segment);
            expect(probed.streams[0]).toMatchObject({
              width: rung.width,
              height: rung.height,
              pix_fmt: 'yuv420p',
            });
            // Every segment starts on a keyframe: a player can switch rungs at any boundary.
            expect(probed.packets[0]!.flags).toMatch(/^K/);
          }
        }
        return m;
      }),
    );
    // Short first segments (1, 1, 3, then 4 s), the same boundaries in every rung.
    expect(perRendition[0]!.durations).toEqual([1, 1, 3, 4]);
    expect(perRendition[1]!.durations).toEqual(perRendition[0]!.durations);
    // The audio cuts at the first AAC frame past each boundary: within one frame (21 ms) of the video's.
    perRendition[0]!.durations.forEach((d, i) => {
      expect(Math.abs(d - perRendition[2]!.durations[i]!)).toBeLessThan(0.05);
    });
    expect(result.durationS).toBeCloseTo(9, 1);
    // I-frame playlists: each entry's byte range is exactly the moof and the keyframe that opens the segment.
    expect(master).toMatch(
      /#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6}",RESOLUTION=640x360,URI="360\/iframes.m3u8"/,
    );
    const iframes = read(path.join(outDir, '360', 'iframes.m3u8'));
    expect(iframes).toContain('#EXT-X-I-FRAMES-ONLY');
    const range = /#EXT-X-BYTERANGE:(\d+)@0\n(seg_00001\.m4s)/.exec(iframes)!;
    const joined = path.join(outDir, 'iframe.mp4');
    fs.writeFileSync(
      joined,
      Buffer.concat([
        fs.readFileSync(path.join(outDir, '360', 'init.mp4')),
        fs.readFileSync(path.join(outDir, '360', range[2]!)).subarray(0, Number(range[1])),
      ]),
    );
    const frames = await run(paths.ffprobePath, [
      '-v',
      'error',
      '-show_entries',
      'frame=key_frame,pict_type',
      '-of',
      'csv=p=0',
      joined,
    ]);
    expect(frames.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^1,I,?$/)]);
    fs.rmSync(joined);
    // ffmpeg's own playlists are hidden, never served.
    expect(fs.existsSync(path.join(outDir, '360', '.ffmpeg.m3u8'))).toBe(true);

    const poster = path.join(outDir, POSTER_FILE);
    expect(fs.readFileSync(poster).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const { stdout } = await run(paths.ffprobePath, ['-v', 'error', '-show_streams', '-of', 'json', poster]);
    expect(JSON.parse(stdout).streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });

    // Handoff: 240's first three segments are the start group's, the fourth the rest's. Joined, the
    // rung holds every frame of the source once (25 fps × 9 s), on one clock without a gap or overlap.
    const rung240 = path.join(outDir, '240');
    const whole = path.join(outDir, 'whole-240.mp4');
    fs.writeFileSync(
      whole,
      Buffer.concat(
        ['init.mp4', ...perRendition[0]!.segments].map((f) => fs.readFileSync(path.join(rung240, f))),
      ),
    );
    const pts = await run(paths.ffprobePath, [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'frame=pts_time',
      '-of',
      'csv=p=0',
      whole,
    ]);
    // (A frame's side data adds a line and a trailing comma: the time is each line's first field.)
    const shown = pts.stdout
      .split('\n')
      .map((l) => l.split(',')[0]!)
      .filter((l) => l !== '')
      .map(Number);
    expect(shown).toHaveLength(225);
    const gaps = shown.slice(1).map((t, i) => Math.round((t - shown[i]!) * 1000));
    expect(new Set(gaps)).toEqual(new Set([40]));
    fs.rmSync(whole);
    expect(fs.existsSync(path.join(outDir, HANDOFF_FOLDER))).toBe(false);

    // Nothing half-written is left behind.
    const all = fs.readdirSync(outDir, { recursive: true }) as string[];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(playableAt).not.toBeNull();
    expect(progress.at(-1)).toBe(100);
    expect(progress.slice(0, -1).every((p) => p >= 0 && p < 100)).toBe(true);
  });

  it('takes #EXTINF from the real timestamps of a variable-frame-rate source', async () => {
    // 2 s at 30 fps, then 3 s at 10 fps, then 1 s at 30: one stream whose nominal rate is wrong for most of it.
    const input = path.join(dir, 'vfr.mp4');
    await run(paths.ffmpegPath, [
      '-v',
      'error',
      '-y',
      '-filter_complex',
      'testsrc2=s=320x240:r=30:d=2[a];testsrc2=s=320x240:r=10:d=3[b];testsrc2=s=320x240:r=30:d=1[c];[a][b][c]concat=n=3[v]',
      '-map',
      '[v]',
      '-fps_mode',
      'vfr',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      input,
    ]);
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    const { outDir } = await encode(input, 'vfr');
    const sum = media(read(path.join(outDir, '240', 'index.m3u8'))).durations.reduce((t, d) => t + d, 0);
    // Within one frame of the longest spacing (0.1 s at 10 fps).
    expect(Math.abs(sum - metadata.duration)).toBeLessThanOrEqual(0.1);
  });

  it('publishes every audio track of the source as a selectable language', async () => {
    const input = path.join(dir, 'two-languages.mkv');
    await run(paths.ffmpegPath, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=3',
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=3',
      '-f',
      'lavfi',
      '-i',
      'sine=f=660:d=3',
      '-map',
      '0',
      '-map',
      '1',
      '-map',
      '2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-metadata:s:a:0',
      'language=eng',
      '-metadata:s:a:1',
      'language=fra',
      '-disposition:a:1',
      'default',
      '-disposition:a:0',
      '0',
      input,
    ]);
    const { outDir } = await encode(input, 'languages');
    const master = read(path.join(outDir, MASTER_PLAYLIST));
    const media = master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:'));
    expect(media).toEqual([
      expect.stringMatching(/NAME="English",LANGUAGE="eng",DEFAULT=NO,.*URI="audio-0\/index.m3u8"/),
      expect.stringMatching(/NAME="French",LANGUAGE="fra",DEFAULT=YES,.*URI="audio-1\/index.m3u8"/),
    ]);
    for (const folder of ['audio-0', 'audio-1']) {
      expect(read(path.join(outDir, folder, 'index.m3u8'))).toContain('#EXT-X-ENDLIST');
    }
  });

  it('fails with too_long a source holding more than maxDurationS, whatever the header says (never a silent cut)', async () => {
    const input = await makeClip(path.join(dir, 'six.mp4'), { duration: 6, width: 320, height: 240 });
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    const bounded = (maxDurationS: number, name: string) =>
      startEncode({
        paths,
        input,
        outDir: path.join(dir, name),
        plan: planLadder(metadata),
        durationS: metadata.duration,
        maxDurationS,
        timeoutMs: 60_000,
      }).done;
    await expect(bounded(2, 'bounded')).rejects.toMatchObject({
      code: 'too_long',
      message: expect.stringMatching(/more than the 2 s accepted/),
    });
    // Exactly at the limit is not over it.
    expect((await bounded(6, 'at-limit')).durationS).toBeCloseTo(6, 0);
  });

  it('copies a standard H.264 source as its top rung, cut at its own keyframes, the other rungs aligned to them', async () => {
    const input = await makeClip(path.join(dir, 'gop2.mp4'), {
      duration: 9,
      width: 640,
      height: 360,
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p'],
    });
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    const keyframes = await probeKeyframes(paths, input, 10_000);
    expect(keyframes).toEqual({ times: [0, 2, 4, 6, 8], offsetS: 0, interlaced: false, startS: 0 });
    // Read from the moov's sample tables (no pass over the file), and the same as ffprobe's packet flags,
    // B-frames (veryfast) and an MKV (no sample tables: ffprobe) included.
    expect(await mp4Keyframes(input)).toEqual({ times: [0, 2, 4, 6, 8], offsetS: 0 });
    const bframes = await makeClip(path.join(dir, 'bframes.mp4'), {
      duration: 5,
      width: 320,
      height: 240,
      video: ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '3'],
    });
    const mkv = await makeClip(path.join(dir, 'gop.mkv'), {
      duration: 5,
      width: 320,
      height: 240,
      video: ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25'],
    });
    for (const f of [bframes, mkv]) {
      expect((await probeKeyframes(paths, f, 10_000)).times).toEqual([0, 1, 2, 3, 4]);
    }
    expect((await mp4Keyframes(bframes))!.times).toEqual([0, 1, 2, 3, 4]);
    expect(await mp4Keyframes(mkv)).toBeNull();
    const plan = planLadder(metadata, { keyframes });
    expect(plan.rungs.map((r) => `${r.name}:${r.copy}`)).toEqual(['240:false', '360:true']);
    const outDir = path.join(dir, 'remux');
    await startEncode({
      paths,
      input,
      outDir,
      plan,
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 120_000,
    }).done;
    const top = media(read(path.join(outDir, '360', 'index.m3u8')));
    const low = media(read(path.join(outDir, '240', 'index.m3u8')));
    // The source's 2 s GOPs decide the cuts (the schedule's 1 s first segments are not possible here).
    expect(top.durations).toEqual([2, 2, 2, 3]);
    expect(low.durations).toEqual(top.durations);
    expect(read(path.join(outDir, '360', 'index.m3u8'))).toContain('#EXT-X-TARGETDURATION:3');
    for (const segment of low.segments) {
      const probed = await probeSegment(path.join(outDir, '240'), low.init, segment);
      expect(probed.packets[0]!.flags).toMatch(/^K/);
    }
    // Copied, not encoded: the source's own profile (ultrafast is Constrained Baseline), not our High.
    const listed = variants(read(path.join(outDir, MASTER_PLAYLIST)));
    expect(listed[0]).toMatchObject({ uri: '360/index.m3u8', attrs: { CODECS: 'avc1.42c01e,mp4a.40.2' } });
    expect(listed[1]!.attrs.CODECS).toMatch(/^avc1\.6400/);
  });

  it('publishes the master once the start group has its first segments; the other rungs join; the end lists the usual start rung first', async () => {
    const input = await makeClip(path.join(dir, 'groups.mp4'), {
      duration: 6,
      width: 854,
      height: 480,
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p'],
    });
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    const plan = planLadder(metadata, { keyframes: await probeKeyframes(paths, input, 10_000) });
    expect(plan.rungs.map((r) => `${r.name}:${r.copy}`)).toEqual(['240:false', '360:false', '480:true']);
    const outDir = path.join(dir, 'groups');
    let atPlayable: { master: string; playlists: Record<string, string | null> } | null = null;
    const handle = startEncode({
      paths,
      input,
      outDir,
      plan,
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 120_000,
      onPlayable: () => {
        // What a player fetching at this instant gets.
        const master = read(path.join(outDir, MASTER_PLAYLIST));
        const playlists: Record<string, string | null> = {};
        for (const v of variants(master)) {
          const file = path.join(outDir, v.uri);
          playlists[v.uri] = fs.existsSync(file) ? read(file) : null;
        }
        atPlayable = { master, playlists };
      },
    });
    await handle.done;
    const early = atPlayable as { master: string; playlists: Record<string, string | null> } | null;
    expect(early).not.toBeNull();
    // The start group (240, the copied 480, the audio) is ready; the copied rung is listed first.
    const listed = variants(early!.master);
    expect(listed.map((v) => v.uri)).toEqual(['480/index.m3u8', '240/index.m3u8', '360/index.m3u8']);
    for (const uri of ['480/index.m3u8', '240/index.m3u8']) {
      const first = media(early!.playlists[uri]!).segments[0]!;
      expect(fs.existsSync(path.join(outDir, path.dirname(uri), first))).toBe(true);
    }
    // Every listed variant already has a playlist (empty until its first segment: players reload it).
    const rest = early!.playlists['360/index.m3u8'];
    expect(rest).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(rest).not.toContain('#EXT-X-ENDLIST');
    expect(early!.master).toMatch(/CODECS="avc1\.6400[0-9a-f]{2},mp4a\.40\.2"/);
    // Complete: every rung aligned on the source's cuts, the usual start rung (480 here) first.
    const final = variants(read(path.join(outDir, MASTER_PLAYLIST)));
    expect(final[0]!.uri).toBe('480/index.m3u8');
    const durations = ['240', '360', '480'].map(
      (r) => media(read(path.join(outDir, r, 'index.m3u8'))).durations,
    );
    expect(durations[0]).toEqual(durations[2]);
    expect(durations[1]).toEqual(durations[2]);
  });

  it('encodes an interlaced MPEG-2 program stream (and never copies interlaced H.264)', async () => {
    const input = await makeClip(path.join(dir, 'interlaced.mpg'), {
      duration: 2,
      width: 720,
      height: 576,
      video: [
        '-vf',
        'tinterlace=interleave_top,fieldorder=tff',
        '-c:v',
        'mpeg2video',
        '-flags',
        '+ildct+ilme',
        '-b:v',
        '4M',
      ],
      audio: ['-c:a', 'mp2'],
    });
    const { outDir, plan } = await encode(input, 'interlaced');
    // 576 lines: its own size on top (named after the rung above), 480 kept under it.
    expect(plan.rungs.slice(-2).map((r) => `${r.name}:${r.width}x${r.height}`)).toEqual([
      '480:600x480',
      '720:720x576',
    ]);
    expect(read(path.join(outDir, '720', 'index.m3u8'))).toContain('#EXT-X-ENDLIST');
    const h264 = await makeClip(path.join(dir, 'interlaced-h264.mp4'), {
      duration: 2,
      width: 720,
      height: 576,
      video: [
        '-vf',
        'tinterlace=interleave_top,fieldorder=tff',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-flags',
        '+ildct+ilme',
        '-g',
        '25',
      ],
    });
    expect((await probeKeyframes(paths, h264, 10_000)).interlaced).toBe(true);
  });

  it('deinterlaces a 576i H.264 TS once, before the split: both processes, every rung and the poster', async () => {
    const input = await interlacedClip(path.join(dir, '576i.ts'), { width: 720, height: 576 });
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    // Two encoded rungs: the start group makes 480, the other process 720 and the poster.
    const plan = planLadder(metadata, { resolutions: ['480', '720'] });
    expect(plan.deinterlace).toBe(true);
    const { outDir } = await encode(input, '576i', { plan });
    const rung = (name: string) => {
      const folder = path.join(outDir, name);
      const { init, segments } = media(read(path.join(folder, 'index.m3u8')));
      const file = path.join(dir, `576i-${name}.mp4`);
      fs.writeFileSync(
        file,
        Buffer.concat([init, ...segments].map((f) => fs.readFileSync(path.join(folder, f)))),
      );
      return file;
    };
    const [r480, r720] = [rung('480'), rung('720')];
    const [source, reference, top, lower, poster] = await Promise.all([
      combRatio(input),
      combRatio(input, DEINTERLACE_FILTER),
      combRatio(r720),
      combRatio(r480),
      combRatio(path.join(outDir, POSTER_FILE)),
    ]);
    // The 720 rung is at the source's size (720×576): its lines are the source's lines. Fields 1/50 s
    // apart comb (6.1 here); bwdif's frames do not (0.6), like progressive pictures (0.5–0.8). Before
    // the fix the rung was the source's fields, encoded: 5.4, and idet found 50 TFF frames of 50.
    expect(source).toBeGreaterThan(1.5);
    expect(reference).toBeLessThan(0.8);
    expect(Math.abs(top - reference)).toBeLessThan(0.1);
    expect(lower).toBeLessThan(0.9);
    expect(poster).toBeLessThan(0.9);
    // ffmpeg's own detector agrees: the source is all top-field-first, the rung progressive like the reference.
    const [sourceFields, rungFields] = await Promise.all([idet(input), idet(r720)]);
    expect(sourceFields.tff).toBeGreaterThanOrEqual(48);
    expect(rungFields.progressive).toBeGreaterThanOrEqual(45);
    // Still 25 frames a second: one frame per frame, not one per field.
    expect(rungFields.tff + rungFields.bff + rungFields.progressive).toBe(50);
  });

  it('encodes a VP8/Vorbis webm', async () => {
    const input = await clips.vp8Vorbis(dir, { duration: 3 });
    const { outDir } = await encode(input, 'webm');
    const listed = variants(read(path.join(outDir, MASTER_PLAYLIST)));
    expect(listed.map((v) => v.attrs.CODECS)).toEqual([
      expect.stringMatching(/^avc1\..*,mp4a\.40\.2$/),
      expect.stringMatching(/^avc1\..*,mp4a\.40\.2$/),
    ]);
    expect(read(path.join(outDir, '360/index.m3u8'))).toContain('#EXT-X-ENDLIST');
    expect(read(path.join(outDir, 'audio-0/index.m3u8'))).toContain('#EXT-X-ENDLIST');
  });

  it('applies rotation: a phone clip stored landscape with a 90° matrix comes out portrait', async () => {
    const stored = await makeClip(path.join(dir, 'stored.mp4'), { duration: 2, width: 640, height: 360 });
    const rotated = await rotatedCopy(stored, path.join(dir, 'rotated.mp4'));
    const { outDir, plan } = await encode(rotated, 'portrait');
    expect(plan.rungs.map((r) => `${r.name}:${r.width}x${r.height}`)).toEqual(['240:240x426', '360:360x640']);
    const m = media(read(path.join(outDir, '360/index.m3u8')));
    const probed = await probeSegment(path.join(outDir, '360'), m.init, m.segments[0]!);
    expect(probed.streams[0]).toMatchObject({ width: 360, height: 640 });
    // Rotated pixels, no matrix left to rotate them twice.
    expect(probed.streams[0]!.side_data_list ?? []).toEqual([]);
  });

  it('encodes an audio-only source into one AAC rendition with a waveform poster', async () => {
    const input = await clips.audioOnly(dir, { duration: 5 });
    const { outDir, plan, playableAt } = await encode(input, 'audio');
    expect(plan.rungs).toEqual([]);
    const listed = variants(read(path.join(outDir, MASTER_PLAYLIST)));
    expect(listed).toEqual([
      { attrs: expect.objectContaining({ CODECS: 'mp4a.40.2', AUDIO: 'audio' }), uri: 'audio-0/index.m3u8' },
    ]);
    expect(read(path.join(outDir, 'audio-0/index.m3u8'))).toContain('#EXT-X-ENDLIST');
    expect(fs.existsSync(path.join(outDir, POSTER_FILE))).toBe(true);
    expect(playableAt).not.toBeNull();
  });

  it('encodes a video-only source', async () => {
    const input = await clips.videoOnly(dir, { duration: 2 });
    const { outDir } = await encode(input, 'video-only');
    const listed = variants(read(path.join(outDir, MASTER_PLAYLIST)));
    expect(listed.map((v) => v.attrs.CODECS)).toEqual([
      expect.stringMatching(/^avc1\.[0-9a-f]{6}$/),
      expect.stringMatching(/^avc1\.[0-9a-f]{6}$/),
    ]);
  });

  it('tone-maps a 10-bit HDR (PQ) source to 8-bit BT.709', async () => {
    const input = await makeClip(path.join(dir, 'hdr.mp4'), {
      duration: 1,
      width: 640,
      height: 360,
      audio: null,
      video: [
        '-vf',
        'format=yuv420p10le',
        '-c:v',
        'libx265',
        '-preset',
        'ultrafast',
        '-x265-params',
        'log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
        '-color_primaries',
        'bt2020',
        '-color_trc',
        'smpte2084',
        '-colorspace',
        'bt2020nc',
      ],
    });
    const { outDir, plan } = await encode(input, 'hdr');
    expect(plan.toneMap).toBe(true);
    const m = media(read(path.join(outDir, '360/index.m3u8')));
    const joined = path.join(outDir, 'joined.mp4');
    fs.writeFileSync(
      joined,
      Buffer.concat([
        fs.readFileSync(path.join(outDir, '360', m.init)),
        fs.readFileSync(path.join(outDir, '360', m.segments[0]!)),
      ]),
    );
    const { stdout } = await run(paths.ffprobePath, ['-v', 'error', '-show_streams', '-of', 'json', joined]);
    expect(JSON.parse(stdout).streams[0]).toMatchObject({
      pix_fmt: 'yuv420p',
      color_transfer: 'bt709',
      color_primaries: 'bt709',
    });
  });

  it('cancel kills ffmpeg at once', async () => {
    const input = await makeClip(path.join(dir, 'long.mp4'), { duration: 30, width: 1280, height: 720 });
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => {
      resolveStarted = r;
    });
    const handle = startEncode({
      paths,
      input,
      outDir: path.join(dir, 'cancel'),
      plan: planLadder(metadata),
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 120_000,
      onProgress: () => resolveStarted(),
    });
    await started;
    const pid = handle.pid();
    expect(pid).toBeGreaterThan(0);
    // The start group (handing over at 5 s), the audio, and the rest: three processes, all gone.
    const pids = handle.pids();
    expect(pids).toHaveLength(3);
    handle.cancel();
    const err = await handle.done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).code).toBe('encode_cancelled');
    // `done` settles only once the process is gone.
    for (const p of pids) expect(() => process.kill(p, 0)).toThrow();
  });

  it('kills ffmpeg after the timeout with encode_timeout', async () => {
    const input = path.join(dir, 'long.mp4');
    const { metadata } = await probeFile(paths, input, { timeoutMs: 10_000 });
    const err = await startEncode({
      paths,
      input,
      outDir: path.join(dir, 'timeout'),
      plan: planLadder(metadata),
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 500,
    }).done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).code).toBe('encode_timeout');
  });

  it('fails with encode_failed and ffmpeg last words on a broken source', async () => {
    const input = path.join(dir, 'garbage.mp4');
    fs.writeFileSync(input, Buffer.alloc(4096, 7));
    const { metadata } = await probeFile(paths, path.join(dir, 'h264-aac.mp4'), { timeoutMs: 10_000 });
    const err = await startEncode({
      paths,
      input,
      outDir: path.join(dir, 'broken'),
      plan: planLadder(metadata),
      durationS: metadata.duration,
      maxDurationS: 3600,
      timeoutMs: 30_000,
    }).done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EncodeError);
    expect((err as EncodeError).code).toBe('encode_failed');
    expect((err as EncodeError).message).toMatch(/^ffmpeg exited with code \d+: .*Invalid data/);
  });
});
