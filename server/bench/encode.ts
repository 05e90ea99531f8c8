import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EncoderJob, MediaMetadata } from '@vodkit/api';
import { planLadder } from '../src/media/ladder.ts';
import type { TestServer } from '../test/server.ts';
import { foreignCpuMeter } from './machine.ts';
import type { Paths } from './probe.ts';
import { log, ratio, round, sleep } from './stats.ts';

const JOB_POLL_MS = 100;
const FILE_POLL_MS = 50;

async function api<T>(server: TestServer, token: string, pathname: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.baseUrl}${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface VodkitEncodeRun {
  /** From POST /v1/encoder/jobs until GET job first shows `playback` URLs (client-side, 100 ms polling). */
  playbackS: number;
  /** From POST until GET job shows `completed`. */
  completedS: number;
  /** Server-side: createdAt → startedAt (queue pickup). */
  queueS: number | null;
  /** Server-side: startedAt → finishedAt. */
  serverEncodeS: number | null;
  renditions: string[];
  /** Share of the machine's CPU that other processes took during this run (0–1; null off Linux). */
  foreignCpuShare?: number | null;
}

/** One full-ladder job through the real API: no presets means the whole ladder up to the source. */
export async function vodkitEncode(
  server: TestServer,
  token: string,
  fileId: string,
): Promise<VodkitEncodeRun> {
  const t0 = performance.now();
  const created = await api<EncoderJob>(server, token, '/v1/encoder/jobs', { fileId });
  let playbackAt: number | null = null;
  for (;;) {
    const job = await api<EncoderJob>(server, token, `/v1/encoder/jobs/${created.jobId}`);
    const now = performance.now();
    if (job.playback && playbackAt === null) playbackAt = now;
    if (job.status === 'completed') {
      const ts = (s: string | null) => (s ? Date.parse(s) : null);
      const createdAt = ts(job.createdAt)!;
      const started = ts(job.startedAt);
      const finished = ts(job.finishedAt);
      return {
        playbackS: round(((playbackAt ?? now) - t0) / 1000, 2),
        completedS: round((now - t0) / 1000, 2),
        queueS: started === null ? null : round((started - createdAt) / 1000, 2),
        serverEncodeS: started === null || finished === null ? null : round((finished - started) / 1000, 2),
        renditions: job.renditions.map((r) => `${r.name}:${r.width}x${r.height}`),
      };
    }
    if (job.status === 'failed' || job.status === 'cancelled') {
      throw new Error(`encode job ${job.status}: ${JSON.stringify(job.error)}`);
    }
    await sleep(JOB_POLL_MS);
  }
}

/**
 * The baseline: ffmpeg encoding ONLY the top rung (same size, CRF, VBV cap, keyframe cadence, AAC
 * bitrate and x264 preset as Vodkit's ladder gives it) to fMP4 HLS — no split, no other rungs, no
 * poster. Parameters come from planLadder so the baseline follows the ladder if it is retuned.
 */
export function baselineArgs(metadata: MediaMetadata, input: string, outDir: string): string[] {
  const plan = planLadder(metadata);
  const top = plan.rungs.at(-1)!;
  const seg = plan.segmentSeconds;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input, '-map', '0:v:0'];
  if (plan.audio.length > 0) args.push('-map', '0:a:0');
  args.push(
    '-map_metadata',
    '-1',
    '-vf',
    `scale=${top.width}:${top.height},setsar=1,format=yuv420p`,
    '-c:v',
    'libx264',
    '-preset',
    plan.x264Preset,
    '-profile:v',
    'high',
    '-crf',
    String(top.crf),
    '-maxrate',
    String(top.maxrate),
    '-bufsize',
    String(top.bufsize),
    '-force_key_frames',
    `expr:gte(t,n_forced*${seg})`,
    '-sc_threshold',
    '0',
    '-g',
    String(seg * 60 * 2),
  );
  const audio = plan.audio[0];
  if (audio) {
    args.push('-c:a', 'aac', '-ac', String(audio.channels), '-ar', String(audio.sampleRate));
    args.push('-b:a', String(audio.bitrate));
  }
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(seg),
    '-hls_playlist_type',
    'event',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments+temp_file',
    '-hls_segment_filename',
    path.join(outDir, 'seg_%05d.m4s'),
    path.join(outDir, 'index.m3u8'),
  );
  return args;
}

export interface BaselineEncodeRun {
  /** Until index.m3u8 exists (written after the first segment), 50 ms polling. */
  firstPlaylistS: number;
  completedS: number;
  foreignCpuShare?: number | null;
}

export async function baselineEncode(
  paths: Paths,
  args: string[],
  outDir: string,
): Promise<BaselineEncodeRun> {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const playlist = path.join(outDir, 'index.m3u8');
  const t0 = performance.now();
  const child = spawn(paths.ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Vodkit runs its ffmpeg at nice 10; so does the baseline, so that neither has an edge.
  child.on('spawn', () => {
    try {
      if (child.pid) os.setPriority(child.pid, 10);
    } catch {
      // not permitted: both run at the same priority anyway
    }
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  let firstPlaylistAt: number | null = null;
  let exited = false;
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      resolve(code);
    }),
  );
  while (!exited && firstPlaylistAt === null) {
    if (fs.existsSync(playlist)) firstPlaylistAt = performance.now();
    else await sleep(FILE_POLL_MS);
  }
  const code = await done;
  const end = performance.now();
  if (code !== 0) throw new Error(`baseline ffmpeg exited ${code}: ${stderr.slice(-500)}`);
  return {
    firstPlaylistS: round(((firstPlaylistAt ?? end) - t0) / 1000, 2),
    completedS: round((end - t0) / 1000, 2),
  };
}

export interface EncodeFigures {
  source: string;
  durationS: number;
  n: number;
  method: string;
  vodkit: {
    runs: VodkitEncodeRun[];
    playbackS: number;
    completedS: number;
    realtimeFactor: number;
  };
  baseline: {
    description: string;
    command: string;
    runs: BaselineEncodeRun[];
    firstPlaylistS: number;
    completedS: number;
    realtimeFactor: number;
  };
  /** vodkit completed / baseline completed: what the whole ladder + poster costs over the top rung alone. */
  ratio: number;
  /** vodkit playback / baseline first playlist. */
  playbackRatio: number;
}

export async function benchEncode(
  server: TestServer,
  token: string,
  paths: Paths,
  fileId: string,
  file: string,
  metadata: MediaMetadata,
  n: number,
  scratchDir: string,
): Promise<EncodeFigures> {
  const outDir = path.join(scratchDir, 'baseline-hls');
  const args = baselineArgs(metadata, `file:${file}`, outDir);
  const v: VodkitEncodeRun[] = [];
  const b: BaselineEncodeRun[] = [];
  for (let i = 0; i < n; i++) {
    // Alternate the order so drift (thermal, other load) does not always favour one side.
    const order = i % 2 === 0 ? ['baseline', 'vodkit'] : ['vodkit', 'baseline'];
    for (const which of order) {
      const meter = foreignCpuMeter();
      if (which === 'baseline') {
        const r = await baselineEncode(paths, args, outDir);
        r.foreignCpuShare = meter()?.foreignShare ?? null;
        b.push(r);
        log(`encode ${i + 1}/${n}: baseline top rung ${r.completedS} s (playlist at ${r.firstPlaylistS} s)`);
      } else {
        const r = await vodkitEncode(server, token, fileId);
        r.foreignCpuShare = meter()?.foreignShare ?? null;
        v.push(r);
        log(`encode ${i + 1}/${n}: vodkit ladder ${r.completedS} s (playback at ${r.playbackS} s)`);
      }
    }
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const med = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const mid = Math.floor(s.length / 2);
    return round(s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, 2);
  };
  const vPlay = med(v.map((r) => r.playbackS));
  const vDone = med(v.map((r) => r.completedS));
  const bPlay = med(b.map((r) => r.firstPlaylistS));
  const bDone = med(b.map((r) => r.completedS));
  const d = metadata.duration;
  return {
    source: `${metadata.video?.width}x${metadata.video?.height} ${metadata.video?.fps} fps ${metadata.video?.codec}/${metadata.audio?.codec}, ${round(d, 2)} s`,
    durationS: round(d, 3),
    n,
    method:
      'vodkit: POST /v1/encoder/jobs {fileId} (no presets = whole ladder + poster) on a tus-uploaded file, GET job every 100 ms; baseline: one ffmpeg process, top rung only, same x264 settings, nice 10 like Vodkit; runs alternate; median of runs',
    vodkit: { runs: v, playbackS: vPlay, completedS: vDone, realtimeFactor: round(d / vDone, 2) },
    baseline: {
      description: 'plain ffmpeg: the top rung alone to fMP4 HLS, same preset/CRF/VBV/keyframes/AAC',
      command: `${paths.ffmpegPath} ${args
        .map((a) => a.replaceAll(scratchDir, '$TMP'))
        .map((a) => (/[\s()'*,$]/.test(a) ? `'${a}'` : a))
        .join(' ')}`,
      runs: b,
      firstPlaylistS: bPlay,
      completedS: bDone,
      realtimeFactor: round(d / bDone, 2),
    },
    ratio: ratio(vDone, bDone),
    playbackRatio: ratio(vPlay, bPlay),
  };
}
