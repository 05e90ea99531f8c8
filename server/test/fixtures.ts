import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClipOptions {
  /** Seconds, default 3. */
  duration?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Video codec args, default H.264 (libx264 ultrafast, yuv420p). */
  video?: string[] | null;
  /** Audio codec args, default AAC; null for no audio. */
  audio?: string[] | null;
  /** Extra output args (e.g. `-metadata:s:v rotate=90`). */
  extra?: string[];
  /** What the picture shows (contentSource): testsrc2 unless said. */
  content?: Content;
}

/**
 * Pictures of known encoding difficulty (per-title quality, issue 17 #3): `static` is a still detailed
 * picture (a Mandelbrot frame) with a small moving testsrc2 inset, like a talking head; `average` is
 * testsrc2 (moving pattern, text, gradients); `motion` is testsrc2 under strong temporal noise, every
 * pixel changing every frame, like sports under grain.
 */
export type Content = 'static' | 'average' | 'motion';

/** The lavfi graph of `content` at a size, rate and duration. */
export function contentSource(content: Content, w: number, h: number, fps: number, d: number): string {
  const base = `testsrc2=size=${w}x${h}:rate=${fps}:duration=${d}`;
  if (content === 'average') return base;
  if (content === 'motion') return `${base},noise=alls=24:allf=t+u`;
  const inset = Math.max(16, Math.round(Math.min(w, h) / 3 / 2) * 2);
  return [
    `mandelbrot=size=${w}x${h}:rate=${fps}:maxiter=256,trim=end_frame=1,loop=loop=-1:size=1,setpts=N/${fps}/TB[bg]`,
    `testsrc2=size=${inset}x${inset}:rate=${fps}[fg]`,
    `[bg][fg]overlay=x='${Math.round(w / 2 - inset / 2)}+${Math.round(w / 40)}*sin(t)':y='${Math.round(h / 2 - inset / 2)}+${Math.round(h / 50)}*cos(1.3*t)',trim=duration=${d}`,
  ].join(';');
}

const tempDirs: string[] = [];

/**
 * A fresh temp directory, removed when the test process exits (a caller may remove it sooner): a
 * suite run makes dozens, some with encoded ladders, which would otherwise pile up in /tmp.
 */
export function tempDir(prefix = 'vodkit-test-'): string {
  if (tempDirs.length === 0) {
    process.once('exit', () => {
      for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Video options of an x264 clip (fast, 8-bit 4:2:0) with `more` appended: B-frames, GOPs, x264 params. */
export const x264 = (...more: string[]): string[] => [
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-pix_fmt',
  'yuv420p',
  ...more,
];

/**
 * Generates a small clip with ffmpeg's lavfi sources (testsrc2 + sine): made at test time,
 * never committed. Returns its path.
 */
export async function makeClip(file: string, options: ClipOptions = {}): Promise<string> {
  const d = options.duration ?? 3;
  const w = options.width ?? 640;
  const h = options.height ?? 360;
  const fps = options.fps ?? 25;
  const video =
    options.video === undefined
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']
      : options.video;
  const audio = options.audio === undefined ? ['-c:a', 'aac', '-b:a', '96k'] : options.audio;
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', contentSource(options.content ?? 'average', w, h, fps, d));
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${d}`);
  if (video) args.push(...video);
  if (audio) args.push(...audio);
  args.push(...(options.extra ?? []), file);
  await run(process.env.FFMPEG_PATH || 'ffmpeg', args, { timeout: 120_000 });
  return file;
}

/**
 * A still picture (a watermark's logo): `width`×`height` of one colour, encoded with `codec` (`png`,
 * `mjpeg`, `libwebp`). Returns its path.
 */
export async function stillImage(
  file: string,
  codec = 'png',
  color = '0xff0000',
  width = 64,
  height = 32,
): Promise<string> {
  await run(
    process.env.FFMPEG_PATH || 'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `color=${color}:s=${width}x${height}`,
      '-frames:v',
      '1',
      '-c:v',
      codec,
      '-f',
      'image2',
      file,
    ],
    { timeout: 60_000 },
  );
  return file;
}

/** Common fixtures by name. */
export const clips = {
  h264Aac: (dir: string, o: ClipOptions = {}) => makeClip(path.join(dir, 'h264-aac.mp4'), o),
  vp8Vorbis: (dir: string, o: ClipOptions = {}) =>
    makeClip(path.join(dir, 'vp8-vorbis.webm'), {
      video: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M'],
      audio: ['-c:a', 'libvorbis'],
      ...o,
    }),
  audioOnly: (dir: string, o: ClipOptions = {}) =>
    makeClip(path.join(dir, 'audio-only.m4a'), { video: null, ...o }),
  videoOnly: (dir: string, o: ClipOptions = {}) =>
    makeClip(path.join(dir, 'video-only.mp4'), { audio: null, ...o }),
};

/**
 * A copy of `source` that players must turn by a display matrix (a phone held upright). ffmpeg 5.1
 * has no -display_rotation, and turns a `rotate` tag into a matrix only when stream-copying.
 */
export async function rotatedCopy(source: string, file: string, degrees = 90): Promise<string> {
  await run(
    process.env.FFMPEG_PATH || 'ffmpeg',
    ['-v', 'error', '-y', '-i', source, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, file],
    { timeout: 60_000 },
  );
  return file;
}

/**
 * Two MPEG-TS clips joined, 64×64 for 1 s then 1280×720 for 2 s: ffprobe sees only the first (a
 * 4,096-pixel video), the decoder meets the second (issue 19 #5). Video only.
 */
export async function growingTs(dir: string): Promise<string> {
  const part = (name: string, size: string, seconds: number) =>
    makeClip(path.join(dir, name), {
      duration: seconds,
      width: Number(size.split('x')[0]),
      height: Number(size.split('x')[1]),
      audio: null,
      extra: ['-f', 'mpegts'],
    });
  const [small, large] = await Promise.all([part('small.ts', '64x64', 1), part('large.ts', '1280x720', 2)]);
  const file = path.join(dir, 'growing.ts');
  fs.writeFileSync(file, Buffer.concat([fs.readFileSync(small), fs.readFileSync(large)]));
  return file;
}

export interface InterlacedClipOptions {
  width: number;
  height: number;
  /** Seconds, default 2. */
  duration?: number;
  /** Which field comes first in time, default top. */
  order?: 'tff' | 'bff';
  /** Video codec args, default H.264 coded interlaced (MBAFF). */
  video?: string[];
}

/**
 * An interlaced 25i clip (no audio) made from 50p: testsrc2 with a white bar crossing the frame three
 * times a second, its two fields taken 1/50 s apart and interleaved (`tinterlace`), coded interlaced.
 * Every moving edge combs when it is shown as a frame.
 */
export async function interlacedClip(file: string, o: InterlacedClipOptions): Promise<string> {
  const { width: w, height: h } = o;
  const bar = { w: Math.max(4, Math.round(w / 10 / 2) * 2), h: Math.round(h / 2) };
  const order = o.order ?? 'tff';
  const graph = [
    `testsrc2=size=${w}x${h}:rate=50[bg]`,
    `color=white:size=${bar.w}x${bar.h}:rate=50[bar]`,
    `[bg][bar]overlay=x='mod(t*${3 * w}\\,${w - bar.w})':y=${Math.round(h / 4)}:shortest=1,` +
      `tinterlace=${order === 'tff' ? 'interleave_top' : 'interleave_bottom'},setfield=${order}`,
  ].join(';');
  const video = o.video ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-flags', '+ilme+ildct', '-g', '25'];
  const input = ['-f', 'lavfi', '-i', graph, '-t', String(o.duration ?? 2)];
  const top = ['-top', order === 'tff' ? '1' : '0'];
  await run(
    process.env.FFMPEG_PATH || 'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', ...input, ...video, ...top, '-pix_fmt', 'yuv420p', file],
    { timeout: 120_000 },
  );
  return file;
}
