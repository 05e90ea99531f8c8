import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FfmpegPaths, ffmpegCommand, SAFE_INPUT_OPTIONS } from './ffmpeg.ts';
import type { EncodePlan } from './ladder.ts';

/** Output layout of one video folder (relative paths, also used in URLs). */
export const MASTER_PLAYLIST = 'master.m3u8';
export const POSTER_FILE = 'poster.jpg';
/** Folder of the single rendition of an audio-only source. */
export const AUDIO_ONLY_VARIANT = 'audio';

export const variantPlaylist = (variant: string): string => `${variant}/index.m3u8`;

/** The variant folders a plan produces, smallest first. */
export function variantNames(plan: EncodePlan): string[] {
  return plan.rungs.length > 0 ? plan.rungs.map((r) => r.name) : [AUDIO_ONLY_VARIANT];
}

export type EncodeErrorCode = 'encode_failed' | 'encode_timeout' | 'encode_cancelled';

export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly code: EncodeErrorCode,
    message: string,
    /** The last meaningful lines ffmpeg printed, oldest first. */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface EncodeOptions {
  paths: FfmpegPaths;
  /** Local source file (untrusted: opened with SAFE_INPUT_OPTIONS). */
  input: string;
  /** Created when missing; should be empty (a restart re-encodes from scratch). */
  outDir: string;
  plan: EncodePlan;
  /** Probed duration, seconds: the denominator of progress. */
  durationS: number;
  /** ffmpeg is SIGKILLed after this and `done` rejects with `encode_timeout`. */
  timeoutMs: number;
  /** Ran at most about twice a second with 0–100 (100 only once ffmpeg has exited cleanly). */
  onProgress?: (percent: number) => void;
  /** Called once when the master playlist and the first segment of every variant are on disk. */
  onPlayable?: () => void;
}

export interface EncodeHandle {
  /** Resolves when ffmpeg exited cleanly; rejects with EncodeError, always after the process is gone. */
  done: Promise<void>;
  /** SIGKILLs ffmpeg (or stops it from starting); `done` then rejects with `encode_cancelled`. */
  cancel(): void;
  /** The ffmpeg process id once spawned. */
  pid(): number | null;
}

/** ffmpeg's periodic stats line; it also carries `time=` — the furthest point written across outputs. */
const STATS_LINE = /^\s*(frame|size)=.*time=/;
const TIME = /time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/;
/** Harmless swscale chatter about the JPEG (full-range) pixel format of the poster. */
const NOISE = /deprecated pixel format used|Bandwidth info not available/;
const TAIL_LINES = 20;
const PLAYABLE_CHECK_MS = 300;

export interface FfmpegArgs {
  filterComplex: string;
  /** One entry per output file: its options, then its target path. */
  outputs: { options: string[]; target: string }[];
}

/**
 * The ffmpeg command for a plan: one decode feeding every rung (split → scale → yuv420p), the HLS
 * muxer writing fMP4 segments and EVENT playlists for all rungs at once, and the poster as a second
 * output of the same process. Pure: unit-testable without ffmpeg.
 */
export function buildEncodeArgs(plan: EncodePlan, outDir: string): FfmpegArgs {
  if (outDir.includes('%')) {
    // The HLS muxer expands %v/%d patterns in its paths; a literal % would be misread.
    throw new EncodeError('encode_failed', `output folder must not contain "%": ${outDir}`);
  }
  const seg = plan.segmentSeconds;
  const filters: string[] = [];
  const hls: string[] = [];
  const poster = plan.poster;
  const hasVideo = plan.rungs.length > 0;

  if (hasVideo) {
    const pre: string[] = [];
    if (plan.toneMap) {
      // PQ/HLG → linear light → BT.709 primaries → Hable tone curve → BT.709 8-bit limited range.
      pre.push(
        'zscale=t=linear:npl=100',
        'format=gbrpf32le',
        'zscale=p=bt709',
        'tonemap=tonemap=hable:desat=0',
        'zscale=t=bt709:m=bt709:r=tv',
        'format=yuv420p',
      );
    }
    if (plan.fps !== null) pre.push(`fps=${plan.fps}`);
    const branches = plan.rungs.map((_, i) => `[s${i}]`);
    if (poster.kind === 'frame') branches.push('[sp]');
    filters.push(`[0:V:0]${[...pre, `split=${branches.length}`].join(',')}${branches.join('')}`);
    plan.rungs.forEach((r, i) => {
      filters.push(`[s${i}]scale=${r.width}:${r.height},setsar=1,format=yuv420p[v${i}]`);
    });
    if (poster.kind === 'frame') {
      // trim ends this branch after one frame so split stops feeding it.
      filters.push(
        `[sp]select='gte(t\\,${poster.atSeconds})',trim=end_frame=1,scale=${poster.width}:${poster.height},setsar=1[poster]`,
      );
    }
  }
  if (poster.kind === 'waveform' && plan.audio) {
    filters.push(`[0:a:0]showwavespic=s=${poster.width}x${poster.height}:colors=0x4f8cff[poster]`);
  }

  // Audio is muxed into every rung (see docs): one playlist per variant plays the same everywhere.
  const streamMap: string[] = [];
  plan.rungs.forEach((r, i) => {
    hls.push('-map', `[v${i}]`);
    if (plan.audio) hls.push('-map', '0:a:0');
    streamMap.push(plan.audio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`);
  });
  // The master lists variants in var_stream_map order; the start rung goes first (stream indexes stay).
  const start = streamMap.splice(plan.startRung, 1);
  streamMap.unshift(...start);
  if (!hasVideo && plan.audio) {
    hls.push('-map', '0:a:0');
    streamMap.push(`a:0,name:${AUDIO_ONLY_VARIANT}`);
  }
  // Location and other tags from phones stay out of what we publish.
  hls.push('-map_metadata', '-1', '-map_chapters', '-1');

  if (hasVideo) {
    hls.push(
      '-c:v',
      'libx264',
      '-preset',
      plan.x264Preset,
      '-profile:v',
      'high',
      // Every rung cuts a keyframe at the same instants: segments line up across rungs.
      '-force_key_frames',
      `expr:gte(t,n_forced*${seg})`,
      '-sc_threshold',
      '0',
      // Long enough never to insert a keyframe of its own before the next forced one (≤ 60 fps).
      '-g',
      String(seg * 60 * 2),
      // Keep the source timing (VFR stays VFR) but drop frames with duplicate timestamps.
      '-fps_mode',
      'vfr',
    );
    plan.rungs.forEach((r, i) => {
      hls.push(`-crf:v:${i}`, String(r.crf), `-maxrate:v:${i}`, String(r.maxrate));
      hls.push(`-bufsize:v:${i}`, String(r.bufsize));
    });
    if (plan.toneMap) {
      hls.push('-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709');
    }
  }
  if (plan.audio) {
    hls.push('-c:a', 'aac', '-ac', String(plan.audio.channels), '-ar', String(plan.audio.sampleRate));
    if (hasVideo) {
      plan.rungs.forEach((r, i) => {
        hls.push(`-b:a:${i}`, String(r.audioBitrate));
      });
    } else hls.push('-b:a', String(plan.audio.bitrate));
  }
  hls.push(
    '-f',
    'hls',
    '-hls_time',
    String(seg),
    '-hls_playlist_type',
    'event',
    '-hls_segment_type',
    'fmp4',
    // temp_file: segments AND playlists (master included) are written to *.tmp and renamed.
    '-hls_flags',
    'independent_segments+temp_file',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    path.join(outDir, '%v', 'seg_%05d.m4s'),
    '-master_pl_name',
    MASTER_PLAYLIST,
    '-var_stream_map',
    streamMap.join(' '),
  );

  const outputs = [{ options: hls, target: path.join(outDir, '%v', 'index.m3u8') }];
  if (filters.some((f) => f.endsWith('[poster]'))) {
    outputs.push({
      // atomic_writing: poster.jpg.tmp then rename, like the segments.
      options: ['-map', '[poster]', '-frames:v', '1', '-q:v', '3', '-update', '1', '-atomic_writing', '1'],
      target: path.join(outDir, POSTER_FILE),
    });
  }
  return { filterComplex: filters.join(';'), outputs };
}

/** Starts ONE ffmpeg process for the whole ladder and the poster. */
export function startEncode(options: EncodeOptions): EncodeHandle {
  const { plan, outDir } = options;
  let args: FfmpegArgs;
  try {
    args = buildEncodeArgs(plan, outDir);
    fs.mkdirSync(outDir, { recursive: true });
  } catch (err) {
    const error = err instanceof EncodeError ? err : new EncodeError('encode_failed', String(err));
    return { done: Promise.reject(error), cancel: () => {}, pid: () => null };
  }

  // Options go in as separate arguments: given one array, fluent-ffmpeg splits any "a b" item in two
  // (which would break -var_stream_map and paths with a space).
  // `file:` so that a name containing a colon is never read as another protocol.
  const cmd = ffmpegCommand(options.paths, `file:${options.input}`)
    .inputOptions(...SAFE_INPUT_OPTIONS)
    // -stats prints progress even at loglevel warning; -nostdin: ffmpeg must never wait for a key.
    .addOptions('-hide_banner', '-nostdin', '-loglevel', 'warning', '-stats');
  if (args.filterComplex) cmd.complexFilter(args.filterComplex);
  for (const out of args.outputs) cmd.output(out.target).outputOptions(...out.options);

  const tail: string[] = [];
  let stopReason: 'cancel' | 'timeout' | null = null;
  let spawned: { pid?: number | undefined; kill(signal: NodeJS.Signals): boolean } | null = null;
  let playable = false;
  let checking = false;
  let lastCheck = 0;

  const kill = () => {
    // fluent-ffmpeg's kill() is a no-op before spawn; the 'start' handler covers that window.
    if (spawned) spawned.kill('SIGKILL');
  };

  const playlists = [MASTER_PLAYLIST, ...variantNames(plan).map(variantPlaylist)].map((p) =>
    path.join(outDir, p),
  );
  // ffmpeg writes a variant playlist only after that variant's first segment, and the master last.
  const checkPlayable = async (force = false): Promise<void> => {
    if (playable || (checking && !force) || !options.onPlayable) return;
    checking = true;
    try {
      await Promise.all(playlists.map((p) => fs.promises.access(p)));
      if (playable) return;
      playable = true;
      options.onPlayable();
    } catch {
      // not yet
    } finally {
      checking = false;
    }
  };

  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stopReason ??= 'timeout';
      kill();
    }, options.timeoutMs);
    timer.unref();

    cmd.on('start', () => {
      spawned = (cmd as unknown as { ffmpegProc?: typeof spawned }).ffmpegProc ?? null;
      if (stopReason) kill();
      else if (spawned?.pid) {
        try {
          // Lower priority: the HTTP server stays responsive while ffmpeg takes every core.
          os.setPriority(spawned.pid, 10);
        } catch {
          // not permitted here: run at normal priority
        }
      }
    });
    cmd.on('stderr', (line: string) => {
      if (STATS_LINE.test(line)) {
        const m = TIME.exec(line);
        if (m && options.durationS > 0 && options.onProgress) {
          const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
          options.onProgress(Math.min(99.9, Math.max(0, (t / options.durationS) * 100)));
        }
        const now = Date.now();
        if (now - lastCheck >= PLAYABLE_CHECK_MS) {
          lastCheck = now;
          void checkPlayable();
        }
        return;
      }
      const trimmed = line.trim();
      if (!trimmed || NOISE.test(trimmed)) return;
      tail.push(trimmed);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    cmd.on('error', (err: Error) => {
      clearTimeout(timer);
      if (stopReason === 'cancel') {
        reject(new EncodeError('encode_cancelled', 'the encode was cancelled', [...tail]));
      } else if (stopReason === 'timeout') {
        reject(
          new EncodeError(
            'encode_timeout',
            `ffmpeg ran longer than ${Math.round(options.timeoutMs / 1000)} s and was killed`,
            [...tail],
          ),
        );
      } else {
        const last = tail.at(-1);
        // fluent-ffmpeg's message is "ffmpeg exited with code N: <its own guess>"; ours ends with the real
        // last line, without our paths (the message reaches API clients; the raw tail goes to the log).
        const head = err.message.split(':')[0] ?? err.message;
        const shown = last
          ? `${head}: ${last.replaceAll(`file:${options.input}`, 'source').replaceAll(options.input, 'source').replaceAll(outDir, 'output')}`
          : head;
        reject(new EncodeError('encode_failed', shown, [...tail]));
      }
    });
    cmd.on('end', () => {
      clearTimeout(timer);
      void (async () => {
        // A clip shorter than one progress tick finishes before any check ran.
        await checkPlayable(true);
        if (stopReason === 'cancel') {
          reject(new EncodeError('encode_cancelled', 'the encode was cancelled', [...tail]));
          return;
        }
        options.onProgress?.(100);
        resolve();
      })();
    });
  });

  cmd.run();

  return {
    done,
    cancel: () => {
      stopReason ??= 'cancel';
      kill();
    },
    pid: () => spawned?.pid ?? null,
  };
}
