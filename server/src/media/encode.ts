import fs from 'node:fs';
import path from 'node:path';
import {
  buildEncodeArgs,
  type EncodeGroup,
  encodeGroups,
  HANDOFF_SEGMENTS,
  scheduleOf,
} from './encode-args.ts';
import type { FfmpegPaths } from './ffmpeg.ts';
import { Handoff } from './handoff.ts';
import type { EncodePlan } from './ladder.ts';
import { audioFolder, variantPlaylist } from './layout.ts';
import { EncodeError, type RunHandle, type RunOptions, renice, runFfmpeg, runFfmpegWhen } from './process.ts';
import {
  PlaylistPublisher,
  type PublishSink,
  type RenditionResult,
  type RenditionSpec,
} from './publisher.ts';
import { gridCut } from './schedule.ts';
import { type SourceInput, sourceRedactions } from './source.ts';

export { EncodeError } from './process.ts';
export type { RenditionResult } from './publisher.ts';

export interface EncodeOptions {
  paths: FfmpegPaths;
  /** The source (untrusted): a local file, or a URL storage/ signed (media/source.ts). */
  input: SourceInput;
  /** Created when missing; should hold none of the encoder's outputs (a restart re-encodes from scratch). */
  outDir: string;
  plan: EncodePlan;
  /** Probed duration, seconds: the denominator of progress. */
  durationS: number;
  /**
   * The most media a source may hold. ffmpeg reads at most OVERRUN_S past it, whatever the header says,
   * and an output longer than this fails the encode with `too_long`: never a silent cut.
   */
  maxDurationS: number;
  /** `-max_pixels` on every decode: a frame larger than this fails the encode with `too_many_pixels`. */
  maxPixels?: number;
  /** The threads of each process's decoder, filter graph and x264 rungs (`VOD_ENCODE_THREADS`); absent: ffmpeg's choice. */
  threads?: number | null;
  /** ffmpeg is SIGKILLed after this and `done` rejects with `encode_timeout`. */
  timeoutMs: number;
  /** Ran with 0–100 (100 only once ffmpeg has exited cleanly and the playlists are closed). */
  onProgress?: (percent: number) => void;
  /** Called once when the master playlist and the first segment of the start group's renditions are on disk. */
  onPlayable?: () => void;
  /** Called with each ffmpeg's pid right after it started (one per group, see encodeGroups). */
  onSpawn?: (pid: number) => void;
  /** Scaled out: where segments and playlists are stored as they are published (outDir is scratch). */
  sink?: PublishSink;
  /** The logo of `plan.watermark`: a local file, or a URL storage/ signed. */
  watermarkInput?: SourceInput;
  /**
   * Per-title (media/per-title.ts): the plan of the last group (the rest of the ladder), which starts once
   * it is known (the complexity probe runs beside the start group). Must not reject. Absent: `plan`.
   */
  laterPlan?: Promise<EncodePlan>;
}

export interface EncodeResult {
  /** The longest rendition's real duration, seconds: what the video really holds. */
  durationS: number;
  renditions: RenditionResult[];
}

export interface EncodeHandle {
  /** Resolves when ffmpeg exited cleanly and every playlist is closed; rejects with EncodeError. */
  done: Promise<EncodeResult>;
  cancel(): void;
  /** The pid of the process that runs longest (the last group's). */
  pid(): number | null;
  /** Every ffmpeg of this encode that has started. */
  pids(): number[];
}

/** How often the output folder is listed while ffmpeg runs; more often until the video is playable. */
export const PUBLISH_MS = 150;
export const PUBLISH_EARLY_MS = 40;
/**
 * How far past maxDurationS ffmpeg reads: enough for the output to show the source is longer (a
 * source exactly at the limit ends within a frame or an AAC priming of it), so it fails, not truncates.
 */
export const OVERRUN_S = 1;
const OVERRUN_SLACK_S = 0.5;
/**
 * Niceness of the start group and of the rest: the start group goes first until the video is playable
 * (Linux shares the CPU per thread, and the rest has several encoders' threads), then it is lowered to
 * the rest's level, the usual 10 (below the HTTP server). Only ever lowered: raising a priority back
 * needs privileges, so the rest never starts below 10 (under foreign load it would starve).
 */
export const START_NICE = 5;
export const REST_NICE = 10;

/**
 * The end of an encode, once every ffmpeg exited cleanly: the playlists closed, and what they hold
 * checked (some media, not longer than the source may be).
 */
export async function closeOutput(
  publisher: PlaylistPublisher,
  options: Pick<EncodeOptions, 'maxDurationS' | 'onProgress'>,
): Promise<EncodeResult> {
  await publisher.refresh(true);
  const renditions = publisher.results();
  if (!publisher.playable || !publisher.complete) {
    throw new EncodeError('source_truncated', 'ffmpeg wrote no media: the source holds no readable frames');
  }
  const durationS = Math.max(0, ...renditions.map((r) => r.durationS));
  if (durationS > options.maxDurationS + OVERRUN_SLACK_S) {
    throw new EncodeError(
      'too_long',
      `the source holds more than the ${options.maxDurationS} s accepted (its header did not say so)`,
    );
  }
  options.onProgress?.(100);
  return { durationS, renditions };
}

const handoffFailed = (err: unknown) =>
  new EncodeError('encode_failed', `handoff: ${err instanceof Error ? err.message : String(err)}`);

/** The renditions a plan produces, in folder terms, for the publisher and the job's renditions. */
export function renditionSpecs(plan: EncodePlan): RenditionSpec[] {
  return [
    ...plan.rungs.map(
      (r): RenditionSpec => ({
        kind: 'video',
        folder: r.name,
        width: r.width,
        height: r.height,
        maxBitrate: r.maxrate,
        frameRate: r.fps ?? plan.sourceFps,
      }),
    ),
    ...plan.audio.map(
      (a): RenditionSpec => ({
        kind: 'audio',
        folder: audioFolder(a.index),
        name: a.name,
        language: a.language,
        default: a.default,
        bitrate: a.bitrate,
        channels: a.channels,
      }),
    ),
  ];
}

/** The media playlists a plan produces (relative paths). */
export const playlistsOf = (plan: EncodePlan): string[] =>
  renditionSpecs(plan).map((s) => variantPlaylist(s.folder));

/**
 * The renditions of each group as indices into renditionSpecs(plan), and the variant a player starts
 * on while encoding: the usual start rung when the start group makes it, else the start group's rung
 * just under it, else its lowest.
 */
export function earlyStart(plan: EncodePlan, groups: readonly EncodeGroup[]) {
  const first = groups[0]!;
  const renditions = [...first.rungs, ...first.audio.map((a) => plan.rungs.length + a)];
  const below = first.rungs.filter((i) => i <= plan.startRung);
  const startIndex = below.length > 0 ? Math.max(...below) : Math.min(...first.rungs);
  return { renditions, startIndex: Number.isFinite(startIndex) ? startIndex : 0 };
}

/**
 * Starts the ffmpeg processes of the ladder (encodeGroups: the start group, then the rest), every audio
 * track and the poster, and publishes as they go.
 */
export function startEncode(options: EncodeOptions): EncodeHandle {
  const { plan, outDir } = options;
  const groups = encodeGroups(plan, options.durationS);
  let jobs: ReturnType<typeof buildEncodeArgs>[];
  let built: Parameters<typeof buildEncodeArgs>[1];
  try {
    const o = {
      input: options.input,
      outDir,
      maxDurationS: options.maxDurationS + OVERRUN_S,
      ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}),
      ...(options.watermarkInput ? { watermarkInput: options.watermarkInput } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    };
    jobs = groups.map((g) => buildEncodeArgs(plan, o, g));
    built = o;
    fs.mkdirSync(outDir, { recursive: true });
    // The first master lists every rendition's (empty) playlist: a later group that starts late (per-title)
    // has not made its folders yet.
    for (const spec of renditionSpecs(plan))
      fs.mkdirSync(path.join(outDir, spec.folder), { recursive: true });
  } catch (err) {
    const error = new EncodeError('encode_failed', err instanceof Error ? err.message : String(err));
    return { done: Promise.reject(error), cancel: () => {}, pid: () => null, pids: () => [] };
  }
  // Every process but the last is the start group's (its rung, and with a handoff the audio and copy).
  const starting = groups.slice(0, -1);
  const startGroup: EncodeGroup = {
    rungs: starting.flatMap((g) => g.rungs),
    audio: starting.flatMap((g) => g.audio),
    poster: false,
  };
  const handedOver = groups.at(-1)!.handoff?.[0];
  const handoff =
    handedOver !== undefined ? new Handoff(outDir, plan.rungs[handedOver]!.name, HANDOFF_SEGMENTS) : null;
  let startEnded = false;
  const publisher = new PlaylistPublisher(
    outDir,
    renditionSpecs(plan),
    plan.rungs.length > 0 ? plan.startRung : 0,
    plan.targetDuration,
    () => {
      for (const h of handles.slice(0, -1)) {
        const pid = h.pid();
        if (pid) renice(pid, REST_NICE);
      }
      options.onPlayable?.();
    },
    options.sink ?? null,
    groups.length > 1 ? earlyStart(plan, [startGroup]) : undefined,
    (n) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n),
  );
  const expected = Math.min(options.durationS, options.maxDurationS);
  // Progress is the slowest process's time (a start group that hands over stops early: not counted).
  const times = groups.map((g) => (g.untilS !== undefined ? Number.POSITIVE_INFINITY : 0));
  const handles: RunHandle[] = jobs.map((job, g) => {
    const run: RunOptions = {
      paths: options.paths,
      timeoutMs: options.timeoutMs,
      nice: g < groups.length - 1 ? START_NICE : REST_NICE,
      ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
      onTime: (t) => {
        if (groups[g]!.untilS !== undefined) return;
        times[g] = t;
        const slowest = Math.min(...times);
        if (expected > 0) options.onProgress?.(Math.min(99.9, Math.max(0, (slowest / expected) * 100)));
      },
      redact: [
        ...sourceRedactions(options.input),
        ...(options.watermarkInput ? sourceRedactions(options.watermarkInput) : []),
        [outDir, 'output'],
      ],
    };
    // Per-title: the last group (the rest of the ladder) waits for its tuned plan.
    const { laterPlan } = options;
    if (g === 0 || g < groups.length - 1 || !laterPlan) return runFfmpeg(job, run);
    return runFfmpegWhen(
      laterPlan.then((p) => buildEncodeArgs(p, built, groups[g])),
      run,
    );
  });
  const cancel = () => {
    for (const h of handles) h.cancel();
  };
  let timer: NodeJS.Timeout;
  if (handoff) {
    handles[0]!.done.then(
      () => {
        startEnded = true;
      },
      () => {},
    );
  }
  // A failed handoff (the processes' segments do not continue each other) fails the encode.
  let handoffError: unknown = null;
  const moveHandoff = () =>
    handoff?.step(startEnded).catch((err: unknown) => {
      handoffError ??= err;
      cancel();
    }) ?? Promise.resolve();
  const tick = () => {
    void moveHandoff()
      .then(() => publisher.refresh())
      .catch(() => {})
      .then(() => {
        if (stopped) return;
        timer = setTimeout(tick, publisher.playable ? PUBLISH_MS : PUBLISH_EARLY_MS);
        timer.unref();
      });
  };
  let stopped = false;
  timer = setTimeout(tick, PUBLISH_EARLY_MS);
  timer.unref();

  // One process failing fails the encode: the others are killed, and `done` waits until all are gone.
  const all = Promise.all(
    handles.map((h) =>
      h.done.catch((err: unknown) => {
        cancel();
        throw err;
      }),
    ),
  );
  // Handled here, rethrown below once every process is gone.
  all.catch(() => {});
  const done = Promise.allSettled(handles.map((h) => h.done)).then(async () => {
    stopped = true;
    clearTimeout(timer);
    if (handoffError) throw handoffFailed(handoffError);
    await all;
    await handoff?.finish().catch((err: unknown) => Promise.reject(handoffFailed(err)));
    return closeOutput(publisher, options);
  });
  return {
    done,
    cancel,
    pid: () => handles.at(-1)!.pid(),
    pids: () => handles.map((h) => h.pid()).filter((p): p is number => p !== null),
  };
}
