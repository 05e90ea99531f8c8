import fs from 'node:fs';
import path from 'node:path';
import { deinterlaceFilters } from './deinterlace.ts';
import type { FfmpegPaths } from './ffmpeg.ts';
import type { SourceInput } from './source.ts';
import {
  even,
  rangeSeek,
  runPictureFfmpeg,
  type SourcePicture,
  stillOutputOptions,
  TONE_MAP_FILTERS,
} from './thumbnails.ts';

/** Output names inside the video folder (also the URLs under /stream/:videoId/). */
export const STORYBOARD_VTT = 'storyboard.vtt';
export const STORYBOARD_SHEET = 'storyboard.jpg';

/** At most this many tiles, whatever the length (see docs/architecture.md). */
export const MAX_TILES = 100;
/** Never closer than this: below it, neighbouring keyframes would repeat anyway. */
export const MIN_INTERVAL_MS = 1000;
/** The long side of a tile, pixels: 160×90 for 16:9, 90×160 for portrait. */
export const TILE_LONG_SIDE = 160;
export const MAX_COLUMNS = 10;

export interface StoryboardPlan {
  /** Number of tiles (cues). */
  count: number;
  /** Milliseconds between tiles. */
  intervalMs: number;
  tileWidth: number;
  tileHeight: number;
  columns: number;
  rows: number;
  /** Seconds: the last cue ends here. */
  durationS: number;
}

/**
 * Tiles for a video: one every `duration ÷ 100` (at least 1 s, rounded up to 0.1 s), so every video
 * of 100 s or more gets 100 tiles and shorter ones one a second. One sprite sheet of at most 10×10.
 * Null when there is nothing to show (no picture, no duration).
 */
export function planStoryboard(durationS: number, source: SourcePicture | null): StoryboardPlan | null {
  if (!source || !(durationS > 0) || source.width <= 0 || source.height <= 0) return null;
  const durationMs = Math.round(durationS * 1000);
  const intervalMs = Math.max(MIN_INTERVAL_MS, Math.ceil(durationMs / MAX_TILES / 100) * 100);
  const count = Math.max(1, Math.min(MAX_TILES, Math.ceil(durationMs / intervalMs)));
  const portrait = source.height > source.width;
  const tileWidth = portrait ? even((TILE_LONG_SIDE * source.width) / source.height) : TILE_LONG_SIDE;
  const tileHeight = portrait ? TILE_LONG_SIDE : even((TILE_LONG_SIDE * source.height) / source.width);
  const columns = Math.min(MAX_COLUMNS, count);
  return { count, intervalMs, tileWidth, tileHeight, columns, rows: Math.ceil(count / columns), durationS };
}

/** `HH:MM:SS.mmm` */
export function vttTime(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(Math.round(ms) % 1000, 3)}`;
}

/** The WebVTT: cue k covers [k·interval, (k+1)·interval) and points at tile k of the sheet. */
export function storyboardVtt(plan: StoryboardPlan, sheet = STORYBOARD_SHEET): string {
  const endMs = Math.round(plan.durationS * 1000);
  const cues: string[] = [];
  for (let k = 0; k < plan.count; k++) {
    const start = k * plan.intervalMs;
    const end = k === plan.count - 1 ? Math.max(endMs, start + 1) : (k + 1) * plan.intervalMs;
    const x = (k % plan.columns) * plan.tileWidth;
    const y = Math.floor(k / plan.columns) * plan.tileHeight;
    cues.push(
      `${vttTime(start)} --> ${vttTime(end)}\n${sheet}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}`,
    );
  }
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

export interface StoryboardOptions {
  paths: FfmpegPaths;
  input: SourceInput;
  source: SourcePicture;
  maxPixels?: number | undefined;
  plan: StoryboardPlan;
  /** The video folder: the sheet and the VTT go here. */
  outDir: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Default true. False decodes every frame: the bench's baseline, never the product. */
  keyframesOnly?: boolean;
  nice?: number | undefined;
}

/**
 * Renders the sheet from keyframes only (`-skip_frame nokey`: the decoder skips every other frame,
 * which is most of the work), then writes the VTT. `fps` samples one frame per interval (repeating the
 * last keyframe between sparse ones), `tpad` holds the last keyframe to the end so there are always
 * `count` frames, `tile` lays them out. Both files appear atomically, the VTT last: once it exists,
 * the sheet does too.
 */
export async function renderStoryboard(options: StoryboardOptions): Promise<void> {
  const { plan, outDir } = options;
  const sheet = path.join(outDir, STORYBOARD_SHEET);
  const vtt = path.join(outDir, STORYBOARD_VTT);
  const chain = [
    // Before tpad/fps repeat frames: bwdif reads a repeated frame as still, and would weave its fields.
    ...deinterlaceFilters(options.source.interlaced),
    'setpts=PTS-STARTPTS',
    `tpad=stop_mode=clone:stop_duration=${Math.ceil(plan.durationS + 1)}`,
    `fps=1000/${plan.intervalMs}`,
    `trim=end_frame=${plan.count}`,
    ...(options.source.hdr ? TONE_MAP_FILTERS : []),
    `scale=${plan.tileWidth}:${plan.tileHeight}:flags=bicubic`,
    'setsar=1',
    `tile=${plan.columns}x${plan.rows}`,
  ];
  const tmp = `${sheet}.tmp`;
  try {
    await runPictureFfmpeg({
      paths: options.paths,
      input: options.input,
      maxPixels: options.maxPixels,
      inputOptions: [
        // A clip's storyboard covers its span only (issue 15).
        ...rangeSeek(options.source),
        ...(options.keyframesOnly === false ? [] : ['-skip_frame', 'nokey']),
      ],
      filterComplex: `[0:V:0]${chain.join(',')}[out]`,
      outputs: [{ target: tmp, options: ['-map', '[out]', ...stillOutputOptions('jpg')] }],
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      nice: options.nice,
    });
    await fs.promises.rename(tmp, sheet);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
  await fs.promises.writeFile(`${vtt}.tmp`, storyboardVtt(plan));
  await fs.promises.rename(`${vtt}.tmp`, vtt);
}
