import fs from 'node:fs';
import { buildEncodeArgs } from './encode-args.ts';
import type { FfmpegPaths } from './ffmpeg.ts';
import type { EncodePlan } from './ladder.ts';
import { audioFolder, variantPlaylist } from './layout.ts';
import { EncodeError, runFfmpeg } from './process.ts';
import {
  PlaylistPublisher,
  type PublishSink,
  type RenditionResult,
  type RenditionSpec,
} from './publisher.ts';
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
  /** ffmpeg stops reading the source here, whatever its header says. */
  maxDurationS: number;
  /** ffmpeg is SIGKILLed after this and `done` rejects with `encode_timeout`. */
  timeoutMs: number;
  /** Ran with 0–100 (100 only once ffmpeg has exited cleanly and the playlists are closed). */
  onProgress?: (percent: number) => void;
  /** Called once when the master playlist and the first segment of every rendition are on disk. */
  onPlayable?: () => void;
  /** Called once with ffmpeg's pid right after it started. */
  onSpawn?: (pid: number) => void;
  /** Scaled out: where segments and playlists are stored as they are published (outDir is scratch). */
  sink?: PublishSink;
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
  pid(): number | null;
}

/** How often the output folder is listed while ffmpeg runs. */
const PUBLISH_MS = 150;

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

/** Starts ONE ffmpeg process for the whole ladder, every audio track and the poster, and publishes as it goes. */
export function startEncode(options: EncodeOptions): EncodeHandle {
  const { plan, outDir } = options;
  let job: ReturnType<typeof buildEncodeArgs>;
  try {
    job = buildEncodeArgs(plan, { input: options.input, outDir, maxDurationS: options.maxDurationS });
    fs.mkdirSync(outDir, { recursive: true });
  } catch (err) {
    const error = new EncodeError('encode_failed', err instanceof Error ? err.message : String(err));
    return { done: Promise.reject(error), cancel: () => {}, pid: () => null };
  }
  const publisher = new PlaylistPublisher(
    outDir,
    renditionSpecs(plan),
    plan.rungs.length > 0 ? plan.startRung : 0,
    plan.targetDuration,
    () => options.onPlayable?.(),
    options.sink ?? null,
  );
  const expected = Math.min(options.durationS, options.maxDurationS);
  const handle = runFfmpeg(job, {
    paths: options.paths,
    timeoutMs: options.timeoutMs,
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
    onTime: (t) => {
      if (expected > 0) options.onProgress?.(Math.min(99.9, Math.max(0, (t / expected) * 100)));
    },
    redact: [...sourceRedactions(options.input), [outDir, 'output']],
  });
  const timer = setInterval(() => {
    void publisher.refresh().catch(() => {});
  }, PUBLISH_MS);
  timer.unref();

  const done = handle.done.then(
    async () => {
      clearInterval(timer);
      await publisher.refresh(true);
      const renditions = publisher.results();
      if (!publisher.playable) {
        throw new EncodeError(
          'source_truncated',
          'ffmpeg wrote no media: the source holds no readable frames',
        );
      }
      options.onProgress?.(100);
      return { durationS: Math.max(0, ...renditions.map((r) => r.durationS)), renditions };
    },
    (err: unknown) => {
      clearInterval(timer);
      throw err;
    },
  );
  return { done, cancel: handle.cancel, pid: handle.pid };
}
