import type { FfmpegPaths } from './ffmpeg.ts';
import { annexBPictureTypes, NAL_IDR } from './h264.ts';
import { mp4Keyframes } from './mp4-index.ts';
import { capture, captureBytes } from './process.ts';
import { MAX_COPY_FIRST_SEGMENT_S } from './schedule.ts';
import { type SourceInput, sourceInputOptions, sourceTarget } from './source.ts';

/** Where the source's own video keyframes are: packet flags only, nothing decoded. */
export interface SourceKeyframes {
  /** Seconds from the first video frame, ascending; starts with 0. */
  times: number[];
  /** First video frame minus the container's start, seconds (what ffmpeg's encoders count from). */
  offsetS: number;
  /** Interlaced (field order tt/bb/tb/bt): browsers would show it combed, so it is never copied. */
  interlaced: boolean;
  /** The container's start (`format.start_time`), seconds: keyframe `k` is at `startS + offsetS + times[k]` in the file's clock. */
  startS?: number;
}

/**
 * Reads the keyframe instants of the first video stream: from an MP4's sample tables when it has them
 * (the same cost at any length; from a signed URL, a few ranged GETs), else from a packet-level
 * ffprobe pass (I/O only, nothing decoded; over a URL that reads the whole source once).
 */
export async function probeKeyframes(
  paths: FfmpegPaths,
  source: SourceInput,
  timeoutMs: number,
  stats?: { gets: number },
): Promise<SourceKeyframes> {
  const fromIndex = await mp4Keyframes(source, stats);
  if (fromIndex) {
    // The field order and the start times are in the headers: no packet is read. The first frame's
    // instant in the encoders' clock (ffmpeg counts from the format's start) includes any empty edit
    // before the video, which the sample tables alone do not give.
    const headers = await capture(
      paths.ffprobePath,
      [
        '-v',
        'error',
        ...sourceInputOptions(source),
        '-select_streams',
        'V:0',
        '-show_entries',
        'format=start_time:stream=field_order,start_time',
        '-of',
        'json',
        sourceTarget(source),
      ],
      timeoutMs,
    );
    return { ...fromIndex, ...parseHeaders(headers, fromIndex.offsetS) };
  }
  const out = await capture(
    paths.ffprobePath,
    [
      '-v',
      'error',
      ...sourceInputOptions(source),
      '-select_streams',
      'V:0',
      '-show_entries',
      'format=start_time:packet=pts_time,flags:stream=field_order',
      '-of',
      'csv=p=0',
      sourceTarget(source),
    ],
    timeoutMs,
    32 << 20,
  );
  const keys = parseKeyframes(out);
  // Beyond this, no copy is cut anyway (schedule.ts cutsFromKeyframes): nothing to check.
  if (keys.times.length < 2 || keys.times[1]! > MAX_COPY_FIRST_SEGMENT_S) return keys;
  return { ...keys, times: await idrOnly(paths, source, keys.times, keyPacketIndex(out, 2), timeoutMs) };
}

/** The most bytes of elementary stream read up to the second keyframe (≤ 2.5 s of a copyable source). */
const IDR_CHECK_BYTES = 32 << 20;

/**
 * Copy only at IDR frames: the packet flags cannot tell an IDR from an open GOP's recovery-point
 * I-frame, whose segments do not decode on their own. The stream is copied (not decoded) as Annex B up
 * to and including the second keyframe's packet, and its pictures' slice types are read
 * (media/h264.ts). The first keyframe not an IDR, or no answer: none kept (the top rung is encoded);
 * the second not one: only the first (copied only when one segment holds the source whole, as
 * mp4-index.ts does).
 */
async function idrOnly(
  paths: FfmpegPaths,
  source: SourceInput,
  times: number[],
  second: number | null,
  timeoutMs: number,
): Promise<number[]> {
  if (second === null) return [];
  let stream: Buffer;
  try {
    stream = await captureBytes(
      paths.ffmpegPath,
      [
        '-v',
        'error',
        ...sourceInputOptions(source),
        '-i',
        sourceTarget(source),
        '-map',
        '0:V:0',
        '-c:v',
        'copy',
        // Every packet from the first, so the picture count matches the packet index.
        '-copyinkf',
        '-bsf:v',
        'h264_mp4toannexb',
        '-frames:v',
        String(second + 1),
        '-f',
        'h264',
        'pipe:1',
      ],
      timeoutMs,
      IDR_CHECK_BYTES,
    );
  } catch {
    return [];
  }
  const types = annexBPictureTypes(stream, second + 1);
  if (types.length !== second + 1 || types[0] !== NAL_IDR) return [];
  return types[second] === NAL_IDR ? times : times.slice(0, 1);
}

/** The index, in stream order, of the `n`th (from 1) packet flagged a keyframe in `pts_time,flags` lines; null when there are fewer. */
export function keyPacketIndex(csv: string, n: number): number | null {
  let packet = 0;
  let keys = 0;
  for (const line of csv.split('\n')) {
    // A packet's line: pts_time, its flags (K or _ first), and (TS) an empty side-data field.
    const flags = line.trim().split(',')[1];
    if (flags === undefined || !/^[K_]/.test(flags)) continue;
    if (flags.startsWith('K') && ++keys === n) return packet;
    packet++;
  }
  return null;
}

/** ffprobe's JSON of the video stream's field order and start, and the format's start. */
export function parseHeaders(
  json: string,
  fallbackOffsetS: number,
): { offsetS: number; interlaced: boolean; startS: number } {
  let parsed: { format?: { start_time?: string }; streams?: { field_order?: string; start_time?: string }[] };
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = {};
  }
  const stream = parsed.streams?.[0];
  const start = Number(stream?.start_time);
  const formatStart = Number(parsed.format?.start_time ?? 0);
  return {
    offsetS: Number.isFinite(start) && Number.isFinite(formatStart) ? start - formatStart : fallbackOffsetS,
    interlaced: /^(tt|bb|tb|bt)/.test(stream?.field_order ?? ''),
    startS: Number.isFinite(formatStart) ? formatStart : 0,
  };
}

/** `pts_time,flags` lines, the stream's field order, the format's `start_time` → keyframes from the first frame. */
export function parseKeyframes(csv: string): SourceKeyframes {
  const keys: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let formatStart = 0;
  let interlaced = false;
  for (const line of csv.split('\n')) {
    const [a, b] = line.trim().split(',');
    if (!a) continue;
    if (/^(tt|bb|tb|bt)$/.test(a)) interlaced = true;
    const t = Number(a);
    if (!Number.isFinite(t)) continue;
    if (b === undefined) {
      formatStart = t;
      continue;
    }
    first = Math.min(first, t);
    if (b.startsWith('K')) keys.push(t);
  }
  if (!Number.isFinite(first)) return { times: [], offsetS: 0, interlaced, startS: formatStart };
  const times = [...new Set(keys.map((k) => Math.round((k - first) * 1e6) / 1e6))].sort((x, y) => x - y);
  return { times, offsetS: Math.max(0, first - formatStart), interlaced, startS: formatStart };
}
