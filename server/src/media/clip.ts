import type { SourceRange } from '@vodkit/api';
import type { FfmpegPaths } from './ffmpeg.ts';
import type { SourceKeyframes } from './keyframes.ts';
import { capture } from './process.ts';
import { type SourceInput, sourceInputOptions, sourceTarget } from './source.ts';

/*
 * Clips (issue 15): a job that encodes `[start, end)` of its source, seconds from the source's start
 * (the timeline a player shows). The range is read with input options (`-ss`, `-t`): ffmpeg seeks to
 * the keyframe at or before `-ss` and trims every decoded stream to the frame (accurate seek), so
 * encoded rungs and the audio start exactly there, in one decode; the decoded video also ends with a
 * `trim=end` on its own clock (`-t` counts a video's length from its first frame kept, which is after
 * `start` when `start` falls between two frames: one frame too many). Where both ends fall on the
 * source's keyframes (or `end` is the end of the video), the top rung copies the frames in between
 * instead: a copy starts at the keyframe the seek lands on (ffmpeg 5.1 does not drop a copy's packets
 * before `-ss`: it must land exactly there) and stops after exactly the frames of the range
 * (`-frames:v`; `-t` alone would let a copy run on, as it compares decode times). The same range is
 * what a later chunked encoder cuts a source into.
 */

/**
 * `-ss` goes this far past `start`: a keyframe time read back to the µs may be a hair under the
 * keyframe's real timestamp, and a seek to a target under it lands on the keyframe before. Less
 * than half a tick of any time base a source uses (90 kHz: 11 µs), so the frame at `start` still
 * rounds to the clip's 0 and is kept by the accurate seek's trim.
 */
const SEEK_NUDGE_S = 1e-6;
/** A cut within this of a keyframe is taken as on it (user input is in ms; times are rounded to µs). */
const ON_KEYFRAME_S = 1e-3;

/** The input options that read only `range` of the source (before its `-i`). */
export function rangeInputOptions(range: SourceRange | null, maxDurationS: number): string[] {
  if (!range) return ['-t', String(maxDurationS)];
  return ['-ss', seekOf(range).toFixed(6), '-t', Math.min(clipEnd(range), maxDurationS).toFixed(6)];
}

/** The first filter of a clip's decoded video: it ends where the clip does (frames before `end` only). */
export const rangeVideoFilters = (range: SourceRange | null): string[] =>
  range ? [`trim=end=${clipEnd(range).toFixed(6)}`] : [];

const seekOf = (range: SourceRange): number => range.start + SEEK_NUDGE_S;
/** `end` in the clip's clock (0 at `-ss`). */
const clipEnd = (range: SourceRange): number => range.end - seekOf(range);

/**
 * The clip's own keyframes when it can be copied: `start` on a source keyframe, and `end` on one or at
 * the end of the video. Times from the clip's first frame; undefined when it must be encoded.
 */
export function clipKeyframes(
  keyframes: SourceKeyframes,
  range: SourceRange,
  durationS: number,
): SourceKeyframes | undefined {
  // Keyframe times count from the first frame; the range from the source's start.
  const at = (t: number) =>
    keyframes.times.findIndex((k) => Math.abs(k + keyframes.offsetS - t) <= ON_KEYFRAME_S);
  const first = at(range.start);
  if (first < 0) return undefined;
  if (!atEnd(range, durationS) && at(range.end) < 0) return undefined;
  const start = keyframes.times[first]!;
  const times = keyframes.times
    .filter((k) => k >= start && k + keyframes.offsetS < range.end - ON_KEYFRAME_S)
    .map((k) => Math.round((k - start) * 1e6) / 1e6);
  // The clip's first frame is its 0 in the encoders' clock.
  return { times, offsetS: 0, interlaced: keyframes.interlaced, startS: 0 };
}

/** `end` is the end of the video: nothing after it to leave out. */
export const atEnd = (range: SourceRange, durationS: number): boolean =>
  range.end >= durationS - ON_KEYFRAME_S;

/** Every packet timestamp the count reads is one short line; a range of hours stays far under this. */
const COUNT_MAX_BYTES = 16 << 20;

/**
 * How many video frames the source holds in `[start, end)` (packets only, nothing decoded): what a
 * copied clip stops after. Between two IDR keyframes, the frames in decode order are exactly those
 * shown between them, so this is the packets from the keyframe at `start` to the one at `end`.
 */
export async function countFrames(
  paths: FfmpegPaths,
  source: SourceInput,
  keyframes: SourceKeyframes,
  range: SourceRange,
  timeoutMs: number,
): Promise<number> {
  // The file's own clock: the container's start plus the range (which counts from it).
  const base = keyframes.startS ?? 0;
  const from = base + range.start - ON_KEYFRAME_S;
  const to = base + range.end - ON_KEYFRAME_S;
  const out = await capture(
    paths.ffprobePath,
    [
      '-v',
      'error',
      ...sourceInputOptions(source),
      '-read_intervals',
      `${from.toFixed(6)}%${to.toFixed(6)}`,
      '-select_streams',
      'V:0',
      '-show_entries',
      'packet=pts_time',
      '-of',
      'csv=p=0',
      sourceTarget(source),
    ],
    timeoutMs,
    COUNT_MAX_BYTES,
  );
  return countIn(out, from, to);
}

/** Packets of `pts_time` lines within `[from, to)`. */
export function countIn(csv: string, from: number, to: number): number {
  let n = 0;
  for (const line of csv.split('\n')) {
    const t = Number(line.trim().split(',')[0]);
    if (line.trim() && Number.isFinite(t) && t >= from && t < to) n++;
  }
  return n;
}
