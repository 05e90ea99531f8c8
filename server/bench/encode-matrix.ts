import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { deinterlaceFilters } from '../src/media/deinterlace.ts';
import { probeKeyframes } from '../src/media/keyframes.ts';
import { type EncodePlan, planLadder } from '../src/media/ladder.ts';
import { TONE_MAP_FILTERS } from '../src/media/thumbnails.ts';
import type { EventBus } from '../src/services/events.ts';
import { interlacedClip, makeClip } from '../test/fixtures.ts';
import type { TestServer } from '../test/server.ts';
import type { Paths } from './probe.ts';
import { uploadToReady } from './probe.ts';
import { log, ratio, round, sleep } from './stats.ts';

/*
 * `BENCH_ONLY=encodeMatrix npm run bench`: time to playable for the sources of issues 6 and 17, and for
 * each source class of issue 17 #1 the whole ladder (POST → completed: every rung, the audio and the
 * pictures) against a naive loop (one x264 `veryfast` ffmpeg per rung, each decoding the source), with
 * each rung's bitrate and SSIM against the source beside the naive rung's, all in the same run. Both
 * sides are timed in wall seconds and in CPU seconds (user + sys of every ffmpeg/ffprobe child, read
 * from this process's `cutime`/`cstime`): on a shared machine the CPU figure is the robust one.
 * BENCH_MATRIX_SOURCES=longgop,hevc (a comma list of the names below) runs only those;
 * BENCH_MATRIX_LADDER=0 skips the ladder and SSIM part (to time another build's playable figures).
 */

const run = promisify(execFile);
const POLL_MS = 50;

interface Source {
  name: string;
  spec: string;
  /** Goal from issue 6, seconds to playable. */
  goalS: number;
  /** Wait for the whole encode (else the job is cancelled once playable: the 10 min source). */
  complete: boolean;
  /** A source class of issue 17 #1: the ladder is compared with the naive loop and SSIM per rung. */
  ladder: boolean;
  make(file: string): Promise<string>;
}

const h264 = (gop: number, pixFmt = 'yuv420p') => [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-g',
  String(gop),
  '-pix_fmt',
  pixFmt,
];

/** A 1080p30 testsrc2 + sine clip of `duration` seconds with these codecs. */
const hd = (file: string, duration: number, video: string[], audio?: string[]) =>
  makeClip(file, { duration, width: 1920, height: 1080, fps: 30, video, ...(audio ? { audio } : {}) });

/** Issue 17's classes (`ladder`) first, then issue 6's time-to-playable sources. */
function sources(paths: Paths, dir: string): Source[] {
  const base = path.join(dir, 'src-1080p30-30s.mp4');
  return [
    {
      name: 'longgop',
      spec: '30 s 1080p30 H.264/AAC, x264 default keyint 250 (8.3 s GOP): every rung encoded',
      goalS: 2,
      complete: true,
      ladder: true,
      make: (f) => hd(f, 30, h264(250)),
    },
    {
      name: '1080p30-30s',
      spec: '30 s 1080p30 H.264/AAC, 2 s GOP: top rung copied',
      goalS: 2,
      complete: true,
      ladder: true,
      make: (f) => hd(f, 30, h264(60)),
    },
    {
      name: 'hevc',
      spec: '12 s 1080p30 HEVC 8-bit/AAC, x265 default keyint 250',
      goalS: 4,
      complete: true,
      ladder: true,
      make: (f) =>
        hd(f, 12, [
          '-c:v',
          'libx265',
          '-preset',
          'ultrafast',
          '-x265-params',
          'log-level=error',
          '-tag:v',
          'hvc1',
        ]),
    },
    {
      name: '1080i',
      spec: '12 s 1080i25 H.264 (TFF, +ilme+ildct, 1 s GOP), no audio: deinterlaced',
      goalS: 2,
      complete: true,
      ladder: true,
      make: (f) => interlacedClip(f, { width: 1920, height: 1080, duration: 12 }),
    },
    {
      name: 'h264-422',
      spec: '12 s 1080p30 H.264 High 4:2:2/AAC, 2 s GOP',
      goalS: 4,
      complete: true,
      ladder: true,
      make: (f) => hd(f, 12, h264(60, 'yuv422p')),
    },
    {
      name: 'vp9',
      spec: '12 s 1080p30 VP9/Opus WebM',
      goalS: 4,
      complete: true,
      ladder: true,
      make: (f) =>
        hd(
          f.replace(/\.mp4$/, '.webm'),
          12,
          ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-b:v', '6M'],
          ['-c:a', 'libopus', '-b:a', '96k'],
        ),
    },
    {
      name: '2160p',
      spec: '8 s 3840×2160 30 fps H.264/AAC, 2 s GOP',
      goalS: 4,
      complete: true,
      ladder: true,
      make: (f) => makeClip(f, { duration: 8, width: 3840, height: 2160, fps: 30, video: h264(60) }),
    },
    {
      name: '1080p30-10min',
      spec: '10 min 1080p30 H.264/AAC (the 30 s one looped 20×, stream copy)',
      goalS: 2,
      complete: false,
      ladder: false,
      make: async (f) => {
        if (!fs.existsSync(base)) await sources(paths, dir)[1]!.make(base);
        await run(paths.ffmpegPath, ['-v', 'error', '-y', '-stream_loop', '19', '-i', base, '-c', 'copy', f]);
        return f;
      },
    },
    {
      name: '1080p60-4s',
      spec: '4 s 1080p60 H.264/AAC, 2 s GOP',
      goalS: 2,
      complete: true,
      ladder: false,
      make: (f) => makeClip(f, { duration: 4, width: 1920, height: 1080, fps: 60, video: h264(120) }),
    },
    {
      name: 'portrait-1080x1920-8s',
      spec: '8 s 1080×1920 30 fps H.264/AAC, 2 s GOP',
      goalS: 2,
      complete: true,
      ladder: false,
      make: (f) => makeClip(f, { duration: 8, width: 1080, height: 1920, fps: 30, video: h264(60) }),
    },
    {
      name: 'hevc10-hdr-720p-6s',
      spec: '6 s 1280×720 HEVC 10-bit PQ',
      goalS: 4,
      complete: true,
      ladder: false,
      make: (f) =>
        makeClip(f, {
          duration: 6,
          width: 1280,
          height: 720,
          fps: 30,
          video: [
            '-vf',
            'format=yuv420p10le',
            '-c:v',
            'libx265',
            '-preset',
            'ultrafast',
            '-x265-params',
            'log-level=error:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
            '-tag:v',
            'hvc1',
          ],
        }),
    },
  ];
}

/** BENCH_MATRIX_SOURCES: the sources to run (all when unset); an unknown name is an error, not a silent skip. */
function wanted(all: Source[]): Source[] {
  const raw = process.env.BENCH_MATRIX_SOURCES;
  if (!raw) return all;
  const names = raw.split(',').map((n) => n.trim());
  for (const n of names) {
    if (!all.some((s) => s.name === n))
      throw new Error(`BENCH_MATRIX_SOURCES: unknown source "${n}" (${all.map((s) => s.name).join(', ')})`);
  }
  return all.filter((s) => names.includes(s.name));
}

/** CPU seconds (user + sys) of this process's children that have exited and been reaped. */
function childrenCpuS(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses; cutime and cstime are 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux ABI Node runs on. */
const CLOCK_TICKS = 100;

async function fetchOk(url: string): Promise<string | null> {
  try {
    const res = await fetch(url);
    if (res.status !== 200) return null;
    return await res.text();
  } catch {
    return null;
  }
}

/** Master, its first variant and that variant's first segment all answer 200. */
async function playable(server: TestServer, videoId: string): Promise<boolean> {
  const base = `${server.baseUrl}/stream/${videoId}/`;
  const master = await fetchOk(`${base}master.m3u8`);
  const variant = master?.split('\n').find((l) => l && !l.startsWith('#'));
  if (!variant) return false;
  const media = await fetchOk(base + variant);
  const segment = media?.split('\n').find((l) => l && !l.startsWith('#'));
  if (!segment) return false;
  return (await fetchOk(base + path.posix.join(path.posix.dirname(variant), segment))) !== null;
}

async function api<T>(server: TestServer, token: string, pathname: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.baseUrl}${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface JobTiming {
  playableS: number;
  /**
   * Where the time went, seconds from POST, read from the in-process server's events: `started` (claimed,
   * keyframes and audio tracks probed, ffmpeg about to spawn) and `playable` (the server saw the start
   * group's first segments and wrote the master); `playableS` is when HTTP polling saw them.
   */
  steps?: { startedS: number | null; playableEventS: number | null };
  /** Null when the job was cancelled once playable. */
  completedS: number | null;
  videoId: string;
  renditions: string[];
}

export async function timeJob(
  server: TestServer,
  token: string,
  fileId: string,
  complete = true,
): Promise<JobTiming> {
  const t0 = performance.now();
  const at: Record<string, number> = {};
  const bus = (server.app as unknown as { vodkit?: { events?: EventBus } }).vodkit?.events;
  const unsubscribe = bus?.on('*', (e) => {
    at[`${e.videoId}:${e.type}`] ??= performance.now();
  });
  const job = await api<EncoderJob>(server, token, '/v1/encoder/jobs', { fileId });
  const steps = () => {
    const s = (type: string) => {
      const t = at[`${job.videoId}:${type}`];
      return t === undefined ? null : round((t - t0) / 1000, 2);
    };
    return { startedS: s('started'), playableEventS: s('playable') };
  };
  let playableAt: number | null = null;
  for (;;) {
    if (playableAt === null && (await playable(server, job.videoId))) playableAt = performance.now();
    if (playableAt !== null && !complete) {
      await fetch(`${server.baseUrl}/v1/encoder/jobs/${job.jobId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      unsubscribe?.();
      return {
        playableS: round((playableAt - t0) / 1000, 2),
        steps: steps(),
        completedS: null,
        videoId: job.videoId,
        renditions: [],
      };
    }
    const now = await api<EncoderJob>(server, token, `/v1/encoder/jobs/${job.jobId}`);
    if (now.status === 'completed' && playableAt !== null) {
      unsubscribe?.();
      return {
        playableS: round((playableAt - t0) / 1000, 2),
        steps: steps(),
        completedS: round((performance.now() - t0) / 1000, 2),
        videoId: job.videoId,
        renditions: now.renditions.map((r) => `${r.name}:${r.width}x${r.height}`),
      };
    }
    if (now.status === 'failed' || now.status === 'cancelled')
      throw new Error(`job ${now.status}: ${JSON.stringify(now.error)}`);
    await sleep(POLL_MS);
  }
}

/** One rung joined into a plain MP4 (init + segments), as a player would see it. */
export function joinRendition(folder: string, out: string): number {
  const playlist = fs.readFileSync(path.join(folder, 'index.m3u8'), 'utf8');
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1] ?? 'init.mp4';
  const parts = [init, ...playlist.split('\n').filter((l) => l && !l.startsWith('#'))];
  const buf = Buffer.concat(parts.map((p) => fs.readFileSync(path.join(folder, p))));
  fs.writeFileSync(out, buf);
  return buf.length;
}

export interface Quality {
  /** Video bytes (packets of the video stream). */
  bytes: number;
  bitrate: number;
  ssim: number;
}

/**
 * What a naive per-rung encode must do to the decoded source before scaling, to make the same picture
 * as the ladder: deinterlace an interlaced source, tone-map an HDR one (media/encode-args.ts does both
 * once, before its split). The SSIM reference goes through the same chain.
 */
export function preFilters(plan: EncodePlan): string[] {
  return [...deinterlaceFilters(plan.deinterlace), ...(plan.toneMap ? TONE_MAP_FILTERS : [])];
}

/**
 * Video bitrate (whole file, bits/s) and SSIM against the source (its `pre` chain) scaled to the rung's
 * size, frame by frame from each one's first (the ssim filter pairs frames by timestamp: a rendition
 * that starts later on its clock, as ours do by the timeline's lead, would be compared a frame off).
 */
export async function quality(
  paths: Paths,
  rung: string,
  source: string,
  pre: string[],
  w: number,
  h: number,
  durationS: number,
): Promise<Quality> {
  const { stdout: vbytes } = await run(
    paths.ffprobePath,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', rung],
    { maxBuffer: 64 << 20 },
  );
  const bytes = vbytes.split('\n').reduce((t, l) => t + (Number(l) || 0), 0);
  const { stderr } = await run(
    paths.ffmpegPath,
    [
      '-hide_banner',
      '-i',
      rung,
      '-i',
      source,
      '-lavfi',
      `[1:v]${[...pre, `scale=${w}:${h}:flags=bicubic`, 'format=yuv420p', 'setpts=PTS-STARTPTS'].join(',')}[ref];[0:v]format=yuv420p,setpts=PTS-STARTPTS[d];[d][ref]ssim`,
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 64 << 20 },
  );
  const ssim = Number(/All:([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN);
  return { bytes, bitrate: Math.round((bytes * 8) / durationS), ssim: round(ssim, 5) };
}

function runFfmpeg(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.on('spawn', () => {
      try {
        if (child.pid) os.setPriority(child.pid, 10);
      } catch {
        // same priority for both sides anyway
      }
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err.slice(-400)))));
  });
}

/**
 * The naive ladder: one ffmpeg per rung, each decoding the source again, x264 veryfast at the same CRF
 * and caps, the same rungs (size and rate) and the same picture (deinterlaced, tone-mapped) as Vodkit's;
 * AAC 128k in every rung, 4 s HLS.
 */
async function naiveLadder(
  paths: Paths,
  source: string,
  plan: EncodePlan,
  record: FileRecord,
  outDir: string,
) {
  const t0 = performance.now();
  const cpu0 = childrenCpuS();
  const rungs: { name: string; width: number; height: number; dir: string }[] = [];
  for (const r of plan.rungs) {
    const dir = path.join(outDir, r.name);
    fs.mkdirSync(dir, { recursive: true });
    const chain = [
      ...preFilters(plan),
      ...(r.fps !== null ? [`fps=${r.fps}`] : []),
      `scale=${r.width}:${r.height}`,
      'format=yuv420p',
    ];
    await runFfmpeg(paths.ffmpegPath, [
      '-v',
      'error',
      '-y',
      '-i',
      source,
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-vf',
      chain.join(','),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-profile:v',
      'high',
      '-crf',
      String(r.crf),
      '-maxrate',
      String(r.maxrate),
      '-bufsize',
      String(r.bufsize),
      '-g',
      String(4 * Math.round(r.fps ?? record.metadata!.video?.fps ?? 30)),
      // As Vodkit's encode: the source's timestamps kept. With the encoder's default 1/fps time base, a
      // WebM's millisecond timestamps were rounded onto the frame grid, and the ssim filter, which pairs
      // frames by timestamp, compared some naive VP9 frames with the source's frame before (0.02 low).
      '-fps_mode',
      'vfr',
      '-enc_time_base:v',
      '-1',
      ...(plan.toneMap ? ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'] : []),
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-f',
      'hls',
      '-hls_time',
      '4',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_type',
      'fmp4',
      '-hls_segment_filename',
      path.join(dir, 'seg_%05d.m4s'),
      path.join(dir, 'index.m3u8'),
    ]);
    rungs.push({ name: r.name, width: r.width, height: r.height, dir });
  }
  return { seconds: round((performance.now() - t0) / 1000, 2), cpuS: round(childrenCpuS() - cpu0, 2), rungs };
}

/** The planned ladder for a record as the job plans it (keyframes probed: a copied top rung shows). */
async function planOf(paths: Paths, file: string, record: FileRecord): Promise<EncodePlan> {
  const keyframes = await probeKeyframes(paths, file, 60_000).catch(() => undefined);
  return planLadder(record.metadata!, keyframes ? { keyframes } : {});
}

/** Vodkit's whole job against the naive loop on the same source, then quality per rung. */
async function compareLadder(
  server: TestServer,
  paths: Paths,
  dir: string,
  source: Source,
  file: string,
  record: FileRecord,
  timing: JobTiming & { cpuS: number },
) {
  const plan = await planOf(paths, file, record);
  const naive = await naiveLadder(paths, file, plan, record, path.join(dir, `naive-${source.name}`));
  const videoDir = path.join(server.dataDir, 'videos', timing.videoId);
  const pre = preFilters(plan);
  const d = record.metadata!.duration;
  const rungs = [];
  for (const r of naive.rungs) {
    const ours = path.join(dir, `ours-${source.name}-${r.name}.mp4`);
    const theirs = path.join(dir, `naive-${source.name}-${r.name}.mp4`);
    joinRendition(path.join(videoDir, r.name), ours);
    joinRendition(r.dir, theirs);
    const [q, b] = await Promise.all([
      quality(paths, ours, file, pre, r.width, r.height, d),
      quality(paths, theirs, file, pre, r.width, r.height, d),
    ]);
    rungs.push({
      rung: r.name,
      copied: plan.rungs.find((p) => p.name === r.name)?.copy ?? false,
      vodkit: q,
      naive: b,
      ssimDrop: round(b.ssim - q.ssim, 5),
    });
  }
  const ladder = {
    vodkitS: timing.completedS,
    naiveS: naive.seconds,
    ratio: ratio(timing.completedS ?? Number.NaN, naive.seconds),
    vodkitCpuS: timing.cpuS,
    naiveCpuS: naive.cpuS,
    cpuRatio: ratio(timing.cpuS, naive.cpuS),
    goal: 0.75,
    ssimGoal: 0.005,
    metGoal: ratio(timing.cpuS, naive.cpuS) <= 0.75 && rungs.every((r) => !(r.ssimDrop > 0.005)),
    rungs,
  };
  log(
    `encodeMatrix ${source.name} ladder: vodkit ${ladder.vodkitS} s / ${ladder.vodkitCpuS} CPU-s vs naive ${ladder.naiveS} s / ${ladder.naiveCpuS} CPU-s: ratio ${ladder.ratio} wall, ${ladder.cpuRatio} CPU; SSIM drop ${rungs.map((r) => `${r.rung} ${r.ssimDrop}`).join(', ')}`,
  );
  fs.rmSync(path.join(dir, `naive-${source.name}`), { recursive: true, force: true });
  return ladder;
}

export async function benchEncodeMatrix(server: TestServer, paths: Paths, scratch: string) {
  const dir = path.join(scratch, 'matrix');
  fs.mkdirSync(dir, { recursive: true });
  const results: Record<string, unknown>[] = [];
  let shortPlayable: number | null = null;
  const withLadder = process.env.BENCH_MATRIX_LADDER !== '0';
  for (const source of wanted(sources(paths, dir))) {
    const file = await source.make(path.join(dir, `src-${source.name}.mp4`));
    // A fresh token per source: the whole section outlives one.
    const tok = await server.token();
    const { fileId, record } = await uploadToReady(server, tok, fs.readFileSync(file), path.basename(file));
    const cpu0 = childrenCpuS();
    const timing = await timeJob(server, tok, fileId, source.complete);
    const cpuS = round(childrenCpuS() - cpu0, 2);
    if (source.name === '1080p30-30s') shortPlayable = timing.playableS;
    log(
      `encodeMatrix ${source.name}: playable ${timing.playableS} s (${JSON.stringify(timing.steps)}), completed ${timing.completedS} s, ${cpuS} CPU-s`,
    );
    const ladder =
      source.ladder && source.complete && withLadder
        ? await compareLadder(server, paths, dir, source, file, record, { ...timing, cpuS })
        : null;
    results.push({
      source: source.name,
      spec: source.spec,
      goalPlayableS: source.goalS,
      ...timing,
      cpuS,
      metGoal: timing.playableS <= source.goalS,
      ...(source.name === '1080p30-10min' && shortPlayable
        ? { vsShort: ratio(timing.playableS, shortPlayable), goalVsShort: 1.2 }
        : {}),
      ...(ladder ? { ladder } : {}),
    });
  }
  return {
    method:
      'POST /v1/encoder/jobs {fileId} on a tus-uploaded file; playable = master, its first variant and that variant’s first segment all answer 200 over HTTP (50 ms polling). ladder: the Vodkit job (POST → completed, pictures included) vs one ffmpeg per rung run in sequence (x264 veryfast, same rungs, CRF/maxrate/bufsize, deinterlace/tone-map, AAC 128k, 4 s HLS), same source; CPU-s = user + sys of the child processes (ffmpeg, ffprobe) over each side; ratio goal ≤ 0.75 (issue 17 #1, judged on CPU-s: wall time is the same figure on a quiet machine); SSIM: ffmpeg ssim filter against the source scaled (bicubic) to the rung, goal: no rung more than 0.005 under the naive one',
    sources: results,
  };
}
