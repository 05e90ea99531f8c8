import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import { planLadder } from '../src/media/ladder.ts';
import type { EventBus } from '../src/services/events.ts';
import { makeClip } from '../test/fixtures.ts';
import type { TestServer } from '../test/server.ts';
import type { Paths } from './probe.ts';
import { uploadToReady } from './probe.ts';
import { log, ratio, round, sleep } from './stats.ts';

/*
 * `BENCH_ONLY=encodeMatrix npm run bench`: time to playable for the sources of issue 6, the ladder
 * against a naive loop (one x264 `veryfast` process per rung), and each rung's bitrate and SSIM
 * against the source beside the naive rung's, all in the same run. BENCH_MATRIX_LADDER=0 skips the
 * ladder and SSIM part (to time another build's playable figures quickly).
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
  make(file: string): Promise<string>;
}

const h264 = (gop: number) => [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-g',
  String(gop),
  '-pix_fmt',
  'yuv420p',
];

function sources(paths: Paths, dir: string): Source[] {
  const base = path.join(dir, 'src-1080p30-30s.mp4');
  return [
    {
      name: '1080p30-30s',
      spec: '30 s 1080p30 H.264/AAC, 2 s GOP',
      goalS: 2,
      complete: true,
      make: (f) => makeClip(f, { duration: 30, width: 1920, height: 1080, fps: 30, video: h264(60) }),
    },
    {
      name: '1080p30-10min',
      spec: '10 min 1080p30 H.264/AAC (the 30 s one looped 20×, stream copy)',
      goalS: 2,
      complete: false,
      make: async (f) => {
        await run(paths.ffmpegPath, ['-v', 'error', '-y', '-stream_loop', '19', '-i', base, '-c', 'copy', f]);
        return f;
      },
    },
    {
      name: '1080p60-4s',
      spec: '4 s 1080p60 H.264/AAC, 2 s GOP',
      goalS: 2,
      complete: true,
      make: (f) => makeClip(f, { duration: 4, width: 1920, height: 1080, fps: 60, video: h264(120) }),
    },
    {
      name: 'portrait-1080x1920-8s',
      spec: '8 s 1080×1920 30 fps H.264/AAC, 2 s GOP',
      goalS: 2,
      complete: true,
      make: (f) => makeClip(f, { duration: 8, width: 1080, height: 1920, fps: 30, video: h264(60) }),
    },
    {
      name: 'hevc10-hdr-720p-6s',
      spec: '6 s 1280×720 HEVC 10-bit PQ',
      goalS: 4,
      complete: true,
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
    {
      name: '2160p-4s',
      spec: '4 s 3840×2160 30 fps H.264/AAC',
      goalS: 4,
      complete: true,
      make: (f) => makeClip(f, { duration: 4, width: 3840, height: 2160, fps: 30, video: h264(60) }),
    },
  ];
}

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

/** Video bitrate (whole file, bits/s) and SSIM against the source scaled to the rung's size. */
export async function quality(
  paths: Paths,
  rung: string,
  source: string,
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
      `[1:v]scale=${w}:${h}:flags=bicubic,format=yuv420p[ref];[0:v]format=yuv420p[d];[d][ref]ssim`,
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

/** The naive ladder: one ffmpeg per rung, each decoding the source again, x264 veryfast at the same CRF and caps. */
async function naiveLadder(paths: Paths, source: string, record: FileRecord, outDir: string) {
  const plan = planLadder(record.metadata!);
  const t0 = performance.now();
  const rungs: { name: string; width: number; height: number; dir: string }[] = [];
  for (const r of plan.rungs) {
    const dir = path.join(outDir, r.name);
    fs.mkdirSync(dir, { recursive: true });
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
      `scale=${r.width}:${r.height},format=yuv420p`,
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
      String(4 * Math.round(record.metadata!.video?.fps ?? 30)),
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
  return { seconds: round((performance.now() - t0) / 1000, 2), rungs };
}

export async function benchEncodeMatrix(server: TestServer, paths: Paths, scratch: string) {
  const dir = path.join(scratch, 'matrix');
  fs.mkdirSync(dir, { recursive: true });
  const results: Record<string, unknown>[] = [];
  let shortPlayable: number | null = null;
  let ladder: Record<string, unknown> | null = null;
  for (const source of sources(paths, dir)) {
    const file = path.join(dir, `src-${source.name}.mp4`);
    await source.make(file);
    // A fresh token per source: the whole section outlives one.
    const tok = await server.token();
    const { fileId, record } = await uploadToReady(server, tok, fs.readFileSync(file), path.basename(file));
    const timing = await timeJob(server, tok, fileId, source.complete);
    if (source.name === '1080p30-30s') shortPlayable = timing.playableS;
    log(
      `encodeMatrix ${source.name}: playable ${timing.playableS} s (${JSON.stringify(timing.steps)}), completed ${timing.completedS} s`,
    );
    results.push({
      source: source.name,
      spec: source.spec,
      goalPlayableS: source.goalS,
      ...timing,
      metGoal: timing.playableS <= source.goalS,
      ...(source.name === '1080p30-10min' && shortPlayable
        ? { vsShort: ratio(timing.playableS, shortPlayable), goalVsShort: 1.2 }
        : {}),
    });
    if (source.name === '1080p30-30s' && process.env.BENCH_MATRIX_LADDER !== '0') {
      // Same source, same run: Vodkit's whole job against the naive per-rung loop, then quality per rung.
      const naive = await naiveLadder(paths, file, record, path.join(dir, 'naive'));
      const videoDir = path.join(server.dataDir, 'videos', timing.videoId);
      const rungs = [];
      for (const r of naive.rungs) {
        const ours = path.join(dir, `ours-${r.name}.mp4`);
        const theirs = path.join(dir, `naive-${r.name}.mp4`);
        joinRendition(path.join(videoDir, r.name), ours);
        joinRendition(r.dir, theirs);
        const d = record.metadata!.duration;
        const [q, b] = await Promise.all([
          quality(paths, ours, file, r.width, r.height, d),
          quality(paths, theirs, file, r.width, r.height, d),
        ]);
        rungs.push({ rung: r.name, vodkit: q, naive: b, ssimDrop: round(b.ssim - q.ssim, 5) });
      }
      ladder = {
        method:
          'Vodkit job (POST → completed) vs one ffmpeg per rung run in sequence (x264 veryfast, same CRF/maxrate/bufsize, AAC 128k, 4 s HLS), same source; SSIM: ffmpeg ssim filter against the source scaled (bicubic) to the rung',
        vodkitS: timing.completedS,
        naiveS: naive.seconds,
        ratio: ratio(timing.completedS ?? Number.NaN, naive.seconds),
        goal: 0.75,
        rungs,
      };
      log(
        `encodeMatrix ladder: vodkit ${timing.completedS} s vs naive ${naive.seconds} s: ${JSON.stringify(rungs)}`,
      );
    }
  }
  return {
    method:
      'POST /v1/encoder/jobs {fileId} on a tus-uploaded file; playable = master, its first variant and that variant’s first segment all answer 200 over HTTP (50 ms polling)',
    sources: results,
    ladder,
  };
}
