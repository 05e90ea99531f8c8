import fs from 'node:fs';
import os from 'node:os';
import type { SourceRange } from '@vodkit/api';
import { deinterlaceFilters } from './deinterlace.ts';
import { type FfmpegPaths, ffmpegCommand } from './ffmpeg.ts';
import { type SourceInput, sourceInputOptions, sourceRedactions, sourceTarget } from './source.ts';

/**
 * Still pictures of a video: the poster, single frames at a time (job thumbnails, on-demand
 * thumbnails). Each is its own small ffmpeg process, separate from the HLS encode, seeking on the
 * input side (`-ss` before `-i`) so only the GOP around the wanted instant is decoded.
 */

export type PictureFormat = 'jpg' | 'webp';

export type PictureErrorCode = 'picture_failed' | 'picture_timeout' | 'picture_aborted' | 'picture_empty';

export class PictureError extends Error {
  override readonly name = 'PictureError';
  constructor(
    readonly code: PictureErrorCode,
    message: string,
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface PictureRunOptions {
  paths: FfmpegPaths;
  /** The source (untrusted): a local file or a URL storage/ signed (media/source.ts). */
  input: SourceInput;
  /** Extra input options, e.g. `-ss 12.5` or `-skip_frame nokey`; they go before `-i`. */
  inputOptions?: string[];
  /** `-max_pixels`: the decoder refuses a larger frame than the upload policy accepts (issue 19 #5). */
  maxPixels?: number | undefined;
  filterComplex?: string;
  outputs: { target: string; options: string[] }[];
  timeoutMs: number;
  /** Aborting SIGKILLs ffmpeg; the promise then rejects with `picture_aborted`. */
  signal?: AbortSignal | undefined;
  /** Process niceness, default 10 (the encode's): pictures that nobody waits for run lower. */
  nice?: number | undefined;
}

const TAIL_LINES = 12;
const NOISE = /deprecated pixel format used|bitrate tolerance .* too small/;

/**
 * Runs one short ffmpeg for pictures: nice 10 or lower (the HTTP server comes first), our own
 * SIGKILL timeout, killed on abort. Resolves once ffmpeg exited cleanly; always settles after the
 * process is gone.
 */
export function runPictureFfmpeg(options: PictureRunOptions): Promise<void> {
  const cmd = ffmpegCommand(options.paths, sourceTarget(options.input))
    .inputOptions(
      ...sourceInputOptions(options.input),
      ...(options.maxPixels ? ['-max_pixels', String(options.maxPixels)] : []),
      ...(options.inputOptions ?? []),
    )
    .addOptions('-hide_banner', '-nostdin', '-loglevel', 'error');
  if (options.filterComplex) cmd.complexFilter(options.filterComplex);
  for (const out of options.outputs) cmd.output(out.target).outputOptions(...out.options);

  return new Promise<void>((resolve, reject) => {
    const tail: string[] = [];
    let stop: 'timeout' | 'abort' | null = null;
    let proc: { pid?: number | undefined; kill(signal: NodeJS.Signals): boolean } | null = null;
    const kill = () => proc?.kill('SIGKILL');
    const onAbort = () => {
      stop ??= 'abort';
      kill();
    };
    if (options.signal?.aborted) {
      reject(new PictureError('picture_aborted', 'aborted before start'));
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      stop ??= 'timeout';
      kill();
    }, options.timeoutMs);
    timer.unref();
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    cmd.on('start', () => {
      proc = (cmd as unknown as { ffmpegProc?: typeof proc }).ffmpegProc ?? null;
      if (stop) kill();
      else if (proc?.pid) {
        try {
          os.setPriority(proc.pid, options.nice ?? 10);
        } catch {
          // not permitted here: normal priority
        }
      }
    });
    cmd.on('stderr', (line: string) => {
      const trimmed = line.trim();
      if (!trimmed || NOISE.test(trimmed)) return;
      let kept = trimmed;
      for (const [from, to] of sourceRedactions(options.input)) kept = kept.replaceAll(from, to);
      tail.push(kept);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    cmd.on('error', (err: Error) => {
      settle();
      if (stop === 'abort') reject(new PictureError('picture_aborted', 'aborted', [...tail]));
      else if (stop === 'timeout') {
        reject(
          new PictureError('picture_timeout', `ffmpeg ran longer than ${options.timeoutMs} ms`, [...tail]),
        );
      } else {
        const head = err.message.split(':')[0] ?? err.message;
        reject(new PictureError('picture_failed', tail.at(-1) ? `${head}: ${tail.at(-1)}` : head, [...tail]));
      }
    });
    cmd.on('end', () => {
      settle();
      if (stop === 'abort') reject(new PictureError('picture_aborted', 'aborted', [...tail]));
      else resolve();
    });
    cmd.run();
  });
}

/** PQ/HLG → BT.709 8-bit, as the encode does, so HDR pictures are not washed out. */
export const TONE_MAP_FILTERS = [
  'zscale=t=linear:npl=100',
  'format=gbrpf32le',
  'zscale=p=bt709',
  'tonemap=tonemap=hable:desat=0',
  'zscale=t=bt709:m=bt709:r=tv',
  'format=yuv420p',
];

/** Encoder options of one still picture in a temp file (no extension: the format is told, not guessed). */
export function stillOutputOptions(format: PictureFormat): string[] {
  const codec =
    format === 'jpg'
      ? ['-c:v', 'mjpeg', '-q:v', '3', '-pix_fmt', 'yuvj420p']
      : ['-c:v', 'libwebp', '-quality', '80', '-compression_level', '4'];
  return ['-frames:v', '1', '-an', '-sn', '-dn', ...codec, '-f', 'image2', '-update', '1'];
}

/** Even, at least 2. */
export const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

export interface SourcePicture {
  /** Display size of the source (rotation applied). */
  width: number;
  height: number;
  hdr: boolean;
  /** Interlaced (the probe's field order): deinterlaced first, like the encode. */
  interlaced?: boolean;
  /**
   * A clip's span of the source (issue 15): every time given for this picture counts from `start`,
   * and nothing past `end` is read.
   */
  range?: SourceRange | undefined;
}

/** Input options that make a picture's times count from a clip's start (none for a whole video). */
export function rangeSeek(source: SourcePicture): string[] {
  const r = source.range;
  return r ? ['-ss', r.start.toFixed(6), '-t', (r.end - r.start).toFixed(6)] : [];
}

/** Height for `width` keeping the source's display aspect ratio. */
export function heightFor(source: SourcePicture, width: number): number {
  return even((width * source.height) / source.width);
}

export interface FrameOutput {
  file: string;
  width: number;
  height: number;
  format: PictureFormat;
}

export interface RenderFramesOptions {
  paths: FfmpegPaths;
  input: SourceInput;
  source: SourcePicture;
  maxPixels?: number | undefined;
  /** Seconds from the start. */
  timeS: number;
  outputs: FrameOutput[];
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  nice?: number | undefined;
}

/**
 * One frame at `timeS`, written in every size and format asked for by ONE ffmpeg (one seek, one
 * decode, `split` into the scalers). Each file is written to `<file>.tmp` and renamed, so a reader
 * never sees half a picture. Rejects with `picture_empty` when the instant has no frame.
 */
export async function renderFrames(options: RenderFramesOptions): Promise<void> {
  const { outputs } = options;
  if (outputs.length === 0) return;
  const pre = [
    ...deinterlaceFilters(options.source.interlaced),
    ...(options.source.hdr ? TONE_MAP_FILTERS : []),
    `split=${outputs.length}`,
  ];
  const filters = [`[0:V:0]${pre.join(',')}${outputs.map((_, i) => `[s${i}]`).join('')}`];
  outputs.forEach((o, i) => {
    filters.push(`[s${i}]scale=${o.width}:${o.height}:flags=bicubic,setsar=1[o${i}]`);
  });
  const tmp = outputs.map((o) => `${o.file}.tmp`);
  try {
    await runPictureFfmpeg({
      paths: options.paths,
      input: options.input,
      maxPixels: options.maxPixels,
      // Input-side seek: jump to the keyframe before, decode only up to the instant.
      inputOptions: ['-ss', (options.timeS + (options.source.range?.start ?? 0)).toFixed(3)],
      filterComplex: filters.join(';'),
      outputs: outputs.map((o, i) => ({
        target: tmp[i]!,
        options: ['-map', `[o${i}]`, ...stillOutputOptions(o.format)],
      })),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      nice: options.nice,
    });
    for (const [i, o] of outputs.entries()) {
      const size = await fileSize(tmp[i]!);
      if (size === 0) throw new PictureError('picture_empty', `no frame at ${options.timeS} s`);
      await fs.promises.rename(tmp[i]!, o.file);
    }
  } finally {
    await Promise.all(tmp.map((t) => fs.promises.rm(t, { force: true })));
  }
}

export interface RenderPosterOptions {
  paths: FfmpegPaths;
  input: SourceInput;
  source: SourcePicture;
  maxPixels?: number | undefined;
  durationS: number;
  file: string;
  width: number;
  height: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  nice?: number | undefined;
  /** Told the chosen frame's time (seconds from the start), when it is known: animated previews start there. */
  onChosen?: ((timeS: number) => void) | undefined;
}

/** Frames whose luma entropy is below this are (near) uniform: black, white, a flat fade colour. */
export const MIN_ENTROPY = 0.2;
/** Frames whose average luma is at or below this (8-bit, limited range: black is 16) are too dark. */
export const MIN_LUMA = 40;
/** How far into the video the poster is looked for. */
export const POSTER_WINDOW_S = 30;

export type PosterPass = 'keyframes' | 'decoded' | 'fallback';

/**
 * A representative poster: ffmpeg's `thumbnail` filter (the frame closest to the average histogram)
 * over frames of the first 30 s that are neither near-uniform (`entropy`) nor dark (`signalstats`).
 * Tries the keyframes first (cheap: only they are decoded or analysed), then every half second of the first 20 s
 * fully decoded, then falls back to the frame at 10% of the duration. Says which pass won.
 */
export async function renderPoster(options: RenderPosterOptions): Promise<PosterPass> {
  const { width, height } = options;
  const pick = (window: number, keyframesOnly: boolean, sampler: string[]) => {
    const chain = [
      // Deinterlaced before the sampler: bwdif needs the frames next to each one.
      ...deinterlaceFilters(options.source.interlaced),
      ...sampler,
      ...(options.source.hdr ? TONE_MAP_FILTERS : []),
      `scale=${width}:${height}:flags=bicubic`,
      'setsar=1',
      'entropy',
      `metadata=mode=select:key=lavfi.entropy.normalized_entropy.normal.Y:value=${MIN_ENTROPY}:function=greater`,
      'signalstats',
      `metadata=mode=select:key=lavfi.signalstats.YAVG:value=${MIN_LUMA}:function=greater`,
      'thumbnail=n=100',
      // The chosen frame's time, printed to a file beside the poster (the log level hides showinfo).
      ...(timeFile ? [`metadata=mode=print:key=lavfi.signalstats.YAVG:file=${timeFile}`] : []),
    ];
    return renderTo(
      options,
      [
        ...(options.source.range ? ['-ss', options.source.range.start.toFixed(6)] : []),
        ...(keyframesOnly ? ['-skip_frame', 'nokey'] : []),
        '-t',
        String(window),
      ],
      chain,
    );
  };
  // A path the filter graph takes as is (no `:`, `,`, quotes or brackets to escape); else no time.
  const timeFile = options.onChosen && /^[\w./-]+$/.test(options.file) ? `${options.file}.time` : null;
  const chosen = async (): Promise<void> => {
    if (!timeFile) return;
    const text = await fs.promises.readFile(timeFile, 'utf8').catch(() => '');
    await fs.promises.rm(timeFile, { force: true });
    const m = /pts_time:(\d+(?:\.\d+)?)/.exec(text);
    if (m) options.onChosen?.(Number(m[1]));
  };
  const window = Math.max(0.1, Math.min(options.durationS || POSTER_WINDOW_S, POSTER_WINDOW_S));
  // `select`: decoders that ignore `-skip_frame` (VP9's among them) hand over every frame, and the analysis
  // below is most of this pass's cost (a 12 s 1080p VP9: 3.0 CPU-s with every frame, decode 1.6).
  if (await pick(window, true, ["select='key+eq(pict_type\\,I)'"])) {
    await chosen();
    return 'keyframes';
  }
  if (await pick(Math.min(window, 20), false, ['fps=2'])) {
    await chosen();
    return 'decoded';
  }
  if (timeFile) await fs.promises.rm(timeFile, { force: true });
  const at = options.durationS > 0 ? options.durationS * 0.1 : 0;
  options.onChosen?.(at);
  await renderFrames({
    paths: options.paths,
    input: options.input,
    maxPixels: options.maxPixels,
    source: options.source,
    timeS: at,
    outputs: [{ file: options.file, width, height, format: 'jpg' }],
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    nice: options.nice,
  });
  return 'fallback';
}

/** Runs one selection pass; true when it produced a picture (none passed the filters otherwise). */
async function renderTo(
  options: RenderPosterOptions,
  inputOptions: string[],
  chain: string[],
): Promise<boolean> {
  const tmp = `${options.file}.tmp`;
  try {
    await runPictureFfmpeg({
      paths: options.paths,
      input: options.input,
      maxPixels: options.maxPixels,
      inputOptions,
      filterComplex: `[0:V:0]${chain.join(',')}[out]`,
      outputs: [{ target: tmp, options: ['-map', '[out]', ...stillOutputOptions('jpg')] }],
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      nice: options.nice,
    });
    if ((await fileSize(tmp)) === 0) return false;
    await fs.promises.rename(tmp, options.file);
    return true;
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}
