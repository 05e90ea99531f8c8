import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MediaMetadata } from '@vodkit/api';
import type { FfmpegPaths } from './ffmpeg.ts';
import { captureOutput } from './process.ts';
import { type SourceInput, sourceInputOptions, sourceTarget } from './source.ts';

/*
 * The per-title complexity probe (issue 17 #3): a few short samples of the source, scaled down once
 * to a small lossless intermediate, then encoded by x264 at a few CRFs around the ladder's, each
 * reporting its size and its own SSIM (x264 `--ssim`: the reconstruction against what it was fed).
 * media/per-title.ts turns the curve into each rung's CRF and cap. Everything here is bounded: the
 * samples (count, seconds, frames), the picture (short side 360), the intermediate's bytes and each
 * process's time; the caller falls back to the fixed ladder when this rejects.
 */

/** One span of the source the probe encodes. */
export interface Sample {
  /** Seconds from the start of the source (where `-ss` seeks; without accurate seek: the keyframe before). */
  startS: number;
  durationS: number;
}

/** The x264 CRF pass at one offset from the ladder's CRF. */
export interface ProbePoint {
  /** Added to each rung's CRF of the fixed ladder (media/ladder.ts RATES). */
  crfOffset: number;
  /** x264's mean luma SSIM of the samples at this CRF. */
  ssim: number;
  /** Mean bits per frame at the probe's size. */
  bitsPerFrame: number;
}

export interface ComplexityProbe {
  /** The samples' picture size (display orientation), pixels. */
  width: number;
  height: number;
  /** Ascending by `crfOffset`; one entry per PROBE_OFFSETS. */
  points: ProbePoint[];
  /** Wall time of the whole probe. */
  ms: number;
}

export interface ProbeLimits {
  samples: number;
  sampleSeconds: number;
  /** The short side of the samples' picture (never above the source's). */
  shortSide: number;
  /** Samples faster than this are resampled to it (bounds frames per second of sample). */
  maxFps: number;
  /** The intermediate's size limit (ffmpeg's `-fs`). */
  maxBytes: number;
}

export const PROBE_LIMITS: ProbeLimits = {
  samples: 3,
  sampleSeconds: 1,
  shortSide: 360,
  maxFps: 30,
  maxBytes: 48 << 20,
};

/** CRF offsets encoded by the probe: one below the ladder's (hard content), the ladder's, two above. */
export const PROBE_OFFSETS = [-3, 0, 3, 6] as const;
/** The ladder's CRF for the rungs the probe stands for (media/ladder.ts RATES, 480 and up). */
export const PROBE_BASE_CRF = 23;

/**
 * Where the samples are: `count` spans of `seconds` spread evenly (each centred in its share of the
 * duration, so neither the first frames, often black, nor the credits dominate); a source too short
 * for that gets one sample from its start. Empty for a source with no known duration.
 */
export function chooseSamples(
  durationS: number,
  limits: Pick<ProbeLimits, 'samples' | 'sampleSeconds'>,
): Sample[] {
  if (!(durationS > 0) || !Number.isFinite(durationS)) return [];
  const { samples, sampleSeconds } = limits;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  if (durationS <= samples * sampleSeconds * 2) {
    return [{ startS: 0, durationS: round(Math.min(durationS, samples * sampleSeconds)) }];
  }
  const share = durationS / samples;
  return Array.from({ length: samples }, (_, i) => ({
    startS: round(share * (i + 0.5) - sampleSeconds / 2),
    durationS: sampleSeconds,
  }));
}

/** The probe's picture: the source's display size scaled to `shortSide` (never up), even sides. */
export function probeSize(
  width: number,
  height: number,
  shortSide: number,
): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  const short = Math.min(width, height);
  const k = Math.min(1, shortSide / short);
  return { width: even(width * k), height: even(height * k) };
}

/** The ffmpeg arguments that cut the samples, scale them and store them losslessly in `target`. */
export function sampleArgs(
  input: SourceInput,
  samples: readonly Sample[],
  size: { width: number; height: number },
  o: { fps: number | null; maxPixels?: number; limits: ProbeLimits; target: string },
): string[] {
  const inputs = samples.flatMap((s) => [
    ...sourceInputOptions(input),
    ...(o.maxPixels ? ['-max_pixels', String(o.maxPixels)] : []),
    ...(s.startS > 0 ? ['-noaccurate_seek', '-ss', s.startS.toFixed(3)] : []),
    '-t',
    s.durationS.toFixed(3),
    '-i',
    sourceTarget(input),
  ]);
  const resample = o.fps === null || o.fps > o.limits.maxFps ? `fps=${o.limits.maxFps},` : '';
  const each = samples.map(
    (_, i) =>
      `[${i}:V:0]setpts=PTS-STARTPTS,${resample}scale=${size.width}:${size.height},setsar=1,format=yuv420p[s${i}]`,
  );
  const join = `${samples.map((_, i) => `[s${i}]`).join('')}concat=n=${samples.length}:v=1:a=0[out]`;
  const maxFrames = Math.ceil(samples.length * o.limits.sampleSeconds * o.limits.maxFps);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    ...inputs,
    '-filter_complex',
    [...each, join].join(';'),
    '-map',
    '[out]',
    '-frames:v',
    String(maxFrames),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    '0',
    '-fs',
    String(o.limits.maxBytes),
    '-f',
    'matroska',
    '-y',
    o.target,
  ];
}

/** One CRF pass over the samples: x264 as the ladder runs it (veryfast, High), measuring itself. */
export function crfPassArgs(samplesFile: string, crf: number, threads: number | null): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    // x264's summary (frame sizes, SSIM) is printed at the info level.
    '-loglevel',
    'info',
    '-protocol_whitelist',
    'file',
    '-i',
    `file:${samplesFile}`,
    '-map',
    '0:v:0',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-crf',
    String(crf),
    '-g',
    '120',
    '-ssim',
    '1',
    ...(threads ? ['-threads', String(threads)] : []),
    '-f',
    'null',
    '-',
  ];
}

/** x264's end-of-encode summary: mean bits per frame and mean luma SSIM; null when it is not there. */
export function parseX264Summary(log: string): { bitsPerFrame: number; ssim: number; frames: number } | null {
  let frames = 0;
  let bytes = 0;
  for (const m of log.matchAll(/frame [IPB]:(\d+)\s+Avg QP:\s*[\d.]+\s+size:\s*(\d+)/g)) {
    frames += Number(m[1]);
    bytes += Number(m[1]) * Number(m[2]);
  }
  const ssim = Number(/SSIM Mean Y:([\d.]+)/.exec(log)?.[1] ?? Number.NaN);
  if (frames === 0 || !Number.isFinite(ssim)) return null;
  return { bitsPerFrame: (bytes * 8) / frames, ssim, frames };
}

export interface ProbeOptions {
  timeoutMs: number;
  maxPixels?: number;
  /** x264 threads of each pass (`VOD_ENCODE_THREADS`); null: x264's choice. */
  threads: number | null;
  /** Niceness: the probe runs beside the start group and must not slow it. */
  nice: number;
  limits?: ProbeLimits;
  /** Stops the probe (its ffmpegs are killed; it rejects): a cancelled job's. */
  signal?: AbortSignal;
}

/**
 * Runs the probe on a source with video. Rejects when ffmpeg fails, runs out of time or the samples
 * hold no frame; the caller then keeps the fixed ladder.
 */
export async function probeComplexity(
  paths: FfmpegPaths,
  input: SourceInput,
  metadata: MediaMetadata,
  options: ProbeOptions,
): Promise<ComplexityProbe> {
  const started = performance.now();
  const limits = options.limits ?? PROBE_LIMITS;
  const video = metadata.video;
  if (!video) throw new Error('no video to probe');
  const samples = chooseSamples(metadata.duration, limits);
  if (samples.length === 0) throw new Error('the source has no known duration');
  const size = probeSize(video.width, video.height, limits.shortSide);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-complexity-'));
  try {
    const file = path.join(dir, 'samples.mkv');
    const deadline = started + options.timeoutMs;
    const left = () => Math.max(1, Math.round(deadline - performance.now()));
    const signal = options.signal ? { signal: options.signal } : {};
    await captureOutput(
      paths.ffmpegPath,
      sampleArgs(input, samples, size, {
        fps: video.fps,
        limits,
        target: file,
        ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}),
      }),
      { timeoutMs: left(), nice: options.nice, maxBytes: 1 << 16, ...signal },
    );
    const points = await Promise.all(
      PROBE_OFFSETS.map(async (crfOffset) => {
        const { stderr } = await captureOutput(
          paths.ffmpegPath,
          crfPassArgs(file, PROBE_BASE_CRF + crfOffset, options.threads),
          { timeoutMs: left(), nice: options.nice, maxBytes: 1 << 16, ...signal },
        );
        const summary = parseX264Summary(stderr);
        if (!summary) throw new Error('x264 printed no summary: the samples hold no frame');
        return { crfOffset, ssim: summary.ssim, bitsPerFrame: summary.bitsPerFrame };
      }),
    );
    return { ...size, points, ms: Math.round(performance.now() - started) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
