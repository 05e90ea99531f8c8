import type { FfmpegPaths } from './ffmpeg.ts';
import { mp4Keyframes } from './mp4-index.ts';
import { capture } from './process.ts';
import { type SourceInput, sourceInputOptions, sourceTarget } from './source.ts';

/** Where the source's own video keyframes are: packet flags only, nothing decoded. */
export interface SourceKeyframes {
  /** Seconds from the first video frame, ascending; starts with 0. */
  times: number[];
  /** First video frame minus the container's start, seconds (what ffmpeg's encoders count from). */
  offsetS: number;
  /** Interlaced (field order tt/bb/tb/bt): browsers would show it combed, so it is never copied. */
  interlaced: boolean;
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
  return parseKeyframes(out);
}

/** ffprobe's JSON of the video stream's field order and start, and the format's start. */
export function parseHeaders(
  json: string,
  fallbackOffsetS: number,
): { offsetS: number; interlaced: boolean } {
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
  if (!Number.isFinite(first)) return { times: [], offsetS: 0, interlaced };
  const times = [...new Set(keys.map((k) => Math.round((k - first) * 1e6) / 1e6))].sort((x, y) => x - y);
  return { times, offsetS: Math.max(0, first - formatStart), interlaced };
}
