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
  if (fromIndex && fromIndex.times.length > 0) {
    // The field order is in the stream headers: no packet is read.
    const order = await capture(
      paths.ffprobePath,
      [
        '-v',
        'error',
        ...sourceInputOptions(source),
        '-select_streams',
        'V:0',
        '-show_entries',
        'stream=field_order',
        '-of',
        'csv=p=0',
        sourceTarget(source),
      ],
      timeoutMs,
    );
    return { ...fromIndex, interlaced: /^(tt|bb|tb|bt)/m.test(order.trim()) };
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
