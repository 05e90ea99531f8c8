import fs from 'node:fs';
import path from 'node:path';
import {
  ANIMATED_PREVIEW,
  type MediaMetadata,
  type Resolution,
  type Thumbnail,
  type ThumbnailRequest,
  type VideoPictures,
} from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Config } from '../config.ts';
import type { FilesRepository, JobRow, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId } from '../ids.ts';
import { type AnimatedFormat, renderAnimated } from '../media/animated.ts';
import { isInterlaced } from '../media/deinterlace.ts';
import { POSTER_FILE } from '../media/layout.ts';
import { planStoryboard, renderStoryboard, STORYBOARD_SHEET, STORYBOARD_VTT } from '../media/storyboard.ts';
import {
  even,
  heightFor,
  PictureError,
  type PictureFormat,
  renderFrames,
  renderPoster,
  type SourcePicture,
} from '../media/thumbnails.ts';
import type { LocalStorage } from '../storage/local.ts';
import {
  LocalOutputs,
  LocalSink,
  ObjectStoreOutputs,
  type OutputSink,
  PICTURES_MANIFEST,
  type StoredOutput,
  type VideoOutputs,
} from '../storage/outputs.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';
import type { VideoEventBus } from './events.ts';

export interface PictureLimits {
  /** On-demand renders running at once (`VOD_THUMBNAIL_CONCURRENCY`). */
  renderConcurrency: number;
  /**
   * On-demand renders waiting for a slot; beyond that a request gets 503 `render_busy` (unless a
   * render of the same width and format is cached: the nearest in time is served instead).
   */
  renderQueue: number;
  /** New on-demand renders one client address may start per window; then 429 `too_many_renders`. */
  renderBudget: number;
  /** The window of `renderBudget` (fixed when the service starts). */
  renderBudgetWindowMs: number;
  /** One on-demand render is killed after this: 503 `render_timeout`. */
  renderTimeoutMs: number;
  /** Bytes of on-demand renders kept on disk (`VOD_THUMBNAIL_CACHE_MB`); least recently used go first. */
  cacheBytes: number;
  /** One step of a job's pictures (poster, storyboard, one thumbnail instant) is killed after this. */
  stepTimeoutMs: number;
  /** How long a request for the poster or storyboard waits for one that is being made. */
  waitMs: number;
}

export interface PictureServiceDeps {
  config: Config;
  storage: LocalStorage;
  files: FilesRepository;
  jobs: JobsRepository;
  events: VideoEventBus;
  log: FastifyBaseLogger;
  limits?: Partial<PictureLimits>;
  /** Where the job's pictures are stored (default the video folders of `storage`). */
  outputs?: VideoOutputs;
  /** Where sources are read (storage/uploads-store.ts); absent: the local upload path. */
  uploads?: Pick<UploadsStore, 'source'>;
}

/** The representative poster is at most this wide (like the encode's). */
const POSTER_MAX_WIDTH = 1280;
/** The job's poster lives here; the encode's `poster.jpg` is the fallback until it exists. */
export const JOB_POSTER = 'thumbs/poster.jpg';
const MIN_WIDTH = 16;
/**
 * On-demand widths: a request is served at the first of these at or above the asked width (the
 * source's own width above the last that fits), so arbitrary widths cannot each cost a render.
 */
export const THUMBNAIL_WIDTHS = [96, 160, 320, 480, 640, 960, 1280, 1920, 2560, 3840] as const;
/** On-demand times snap to a grid of about this many instants per video, 0.1 s apart at the finest. */
export const THUMBNAIL_GRID_POINTS = 500;
/** Client addresses whose render budget is remembered (least recently seen out first). */
const BUDGET_CLIENTS = 10_000;
const JOB_NICE = 10;
const FINAL = new Set(['failed', 'cancelled']);

/** What the pipeline has finished for a video, stored beside the outputs (`.pictures.json`). */
interface Manifest {
  poster: boolean;
  /** Where the representative poster's frame is (seconds); absent in manifests older than it. */
  posterTimeS?: number;
  storyboard: boolean;
  thumbnails: StoredThumb[];
}
type StoredThumb = Omit<Thumbnail, 'url'> & { file: string };

interface Pipeline {
  abort: AbortController;
  poster: Promise<void>;
  storyboard: Promise<void>;
  done: Promise<void>;
}

export interface OnDemandRequest {
  /** Seconds; default the middle of the video. */
  time?: number | undefined;
  /** Pixels; default the source width. */
  width?: number | undefined;
  format: PictureFormat;
  /** Who asks (the client address): each has a budget of new renders. */
  client?: string | undefined;
}

export interface AnimatedRequest {
  /** Seconds; default the poster's time. */
  start?: number | undefined;
  /** Seconds; default `start` + 3 s. */
  end?: number | undefined;
  width?: number | undefined;
  fps?: number | undefined;
  format: AnimatedFormat;
  client?: string | undefined;
}

export interface AnimatedPreview {
  file: string;
  cache: 'hit' | 'miss';
  /** What it shows, after snapping. */
  startS: number;
  endS: number;
  width: number;
  height: number;
  fps: number;
}

export interface OnDemandThumbnail {
  file: string;
  /** `hit`/`miss`: the asked (snapped) frame; `nearest`: the slots were busy, a cached neighbour. */
  cache: 'hit' | 'miss' | 'nearest';
  /** What the picture shows: the snapped time (seconds) and width. */
  timeS: number;
  width: number;
}

/** The width a request is served at: the first fixed width at or above it, else the source's. */
export function snapWidth(width: number, sourceWidth: number): number {
  return THUMBNAIL_WIDTHS.find((w) => w >= width && w <= sourceWidth) ?? sourceWidth;
}

/** The grid instant (ms) a time is served at: ~THUMBNAIL_GRID_POINTS per video, never past the end. */
export function snapTimeMs(timeS: number, durationS: number): number {
  const step = Math.max(100, Math.ceil((durationS * 1000) / THUMBNAIL_GRID_POINTS / 100) * 100);
  const snapped = Math.round((timeS * 1000) / step) * step;
  return snapped > durationS * 1000 ? snapped - step : snapped;
}

/** `<ms>-<width>.<format>`: the name of an on-demand render in a video's cache folder. */
const CACHED_RENDER = /^(\d+)-(\d+)\.(jpg|webp)$/;

/** The picture source of a job's video: a clip's pictures count from its start (issue 15). */
const sourceOf = (metadata: MediaMetadata | null | undefined, job: JobRow): SourcePicture | null =>
  metadata?.video
    ? {
        width: metadata.video.width,
        height: metadata.video.height,
        hdr: metadata.video.hdr,
        interlaced: isInterlaced(metadata.video),
        range: job.request.sourceRange,
      }
    : null;

/** The length of a job's video: a clip's span, else the source's. */
const durationOf = (metadata: MediaMetadata, job: JobRow): number => {
  const r = job.request.sourceRange;
  return r ? r.end - r.start : metadata.duration;
};

/**
 * Pictures of a video, each from its own small ffmpeg reading the SOURCE (never the HLS encode):
 * - per job, started by the encoding service once the output folder is fresh: the representative
 *   poster, the storyboard, then the thumbnails the job asked for;
 * - on demand: one frame at `time`, `width`, cached on disk under a size cap, a few at a time.
 * Knows nothing of HTTP.
 */
export class PictureService {
  readonly limits: PictureLimits;
  readonly #pipelines = new Map<string, Pipeline>();
  readonly #renders = new Map<string, Promise<void>>();
  readonly #aborts = new Set<AbortController>();
  /** The on-demand render slots (public so a test can hold one and see the service busy). */
  readonly slots: LimitFunction;
  /** Client address → new renders started in its current window (the entry expires with it). */
  readonly #budgets: LRUCache<string, { count: number }>;
  /** file → [bytes, last use]; loaded from disk on first use. */
  #cache: Map<string, { size: number; usedAt: number }> | null = null;
  #cacheLoading: Promise<void> | null = null;
  #cacheBytes = 0;
  readonly #outputs: VideoOutputs;
  /**
   * Scaled out: manifests read from the store, fresh for 2 s (#storedManifest); a stale one is kept
   * (not deleted on a stale get) so that a failed read can fall back on it.
   */
  readonly #storedManifests = new LRUCache<string, { manifest: Manifest | null }>({
    max: 10_000,
    ttl: 2000,
    noDeleteOnStaleGet: true,
  });

  constructor(readonly deps: PictureServiceDeps) {
    this.#outputs = deps.outputs ?? new LocalOutputs(deps.storage);
    this.limits = {
      renderConcurrency: deps.config.thumbnailConcurrency,
      renderQueue: 16,
      renderTimeoutMs: 20_000,
      cacheBytes: deps.config.thumbnailCacheBytes,
      stepTimeoutMs: 10 * 60_000,
      waitMs: 10_000,
      renderBudget: 60,
      renderBudgetWindowMs: 60_000,
      ...deps.limits,
    };
    this.slots = pLimit(this.limits.renderConcurrency);
    this.#budgets = new LRUCache({
      max: BUDGET_CLIENTS,
      ttl: this.limits.renderBudgetWindowMs,
      // A window starts with the client's first render; counting more does not extend it.
      noUpdateTTL: true,
    });
  }

  // --- per job --------------------------------------------------------------------------------------

  /**
   * Makes the job's pictures. Called by the encoding service when the job starts (its folder just
   * cleared), with `begin`: the work starts once it resolves (the encoding service resolves it when the
   * video is playable, so that pictures do not slow the first segments); resolves when every picture is
   * done or given up, never rejects. The job's `failed`
   * event (failure or cancel) and a cancelled status stop it.
   */
  jobStarted(job: JobRow, sink?: OutputSink, begin: Promise<void> = Promise.resolve()): Promise<void> {
    this.#pipelines.get(job.videoId)?.abort.abort();
    const abort = new AbortController();
    const unsubscribe = this.deps.events.on(job.videoId, (event) => {
      if (event.type === 'failed') abort.abort();
    });
    // A cancel marks the job before anything else happens: stop within a second, mid-ffmpeg too.
    let looking = false;
    const watch = setInterval(() => {
      if (looking) return;
      looking = true;
      this.#ended(job.jobId)
        .then((ended) => ended && abort.abort())
        .catch(() => {})
        .finally(() => {
          looking = false;
        });
    }, 1000);
    watch.unref();
    let posterDone!: () => void;
    let storyboardDone!: () => void;
    const pipeline: Pipeline = {
      abort,
      poster: new Promise((r) => {
        posterDone = r;
      }),
      storyboard: new Promise((r) => {
        storyboardDone = r;
      }),
      done: Promise.resolve(),
    };
    const out = sink ?? new LocalSink(this.deps.storage.videoDir(job.videoId));
    // Registered at once (a request for the storyboard or poster waits for it), run from `begin` on.
    pipeline.done = begin
      .then(() => this.#runJob(job, out, abort.signal, posterDone, storyboardDone))
      .catch((err) => this.deps.log.error({ err, videoId: job.videoId }, 'pictures crashed'))
      .finally(() => {
        posterDone();
        storyboardDone();
        clearInterval(watch);
        unsubscribe();
        if (this.#pipelines.get(job.videoId) === pipeline) this.#pipelines.delete(job.videoId);
      });
    this.#pipelines.set(job.videoId, pipeline);
    return pipeline.done;
  }

  async #runJob(
    job: JobRow,
    out: OutputSink,
    signal: AbortSignal,
    posterDone: () => void,
    storyboardDone: () => void,
  ) {
    const { storage, files, config, log } = this.deps;
    const metadata = (await files.get(job.fileId))?.metadata;
    if (!metadata) return;
    const source = sourceOf(metadata, job);
    const duration = durationOf(metadata, job);
    const input = this.deps.uploads
      ? await this.deps.uploads.source(job.fileId)
      : storage.uploadPath(job.fileId);
    // The attempt's output folder (embedded: the video folder; scaled out: its scratch dir).
    const outDir = out.dir;
    // What an earlier attempt of this job finished (a crash or restart cut it short) is kept, not redone:
    // the same source and request make the same pictures, and each was written whole before it was listed.
    // Scaled out, an attempt's scratch dir and prefix are new: nothing is found, everything is made again.
    const done = await this.#manifest(job.videoId);
    const has = (file: string) => fs.existsSync(path.join(outDir, file));
    const manifest: Manifest = {
      poster: !!done?.poster && has(JOB_POSTER),
      storyboard: !!done?.storyboard && has(STORYBOARD_VTT),
      thumbnails: (done?.thumbnails ?? []).filter((t) => has(t.file)),
    };
    await fs.promises.mkdir(path.join(outDir, 'thumbs'), { recursive: true });
    // Stopped between steps too: a cancel marks the job before it kills anything.
    const stopped = async () => signal.aborted || (await this.#ended(job.jobId));
    const step = async (name: string, work: () => Promise<void>): Promise<boolean> => {
      if (await stopped()) return false;
      const t0 = Date.now();
      try {
        await work();
        log.debug({ videoId: job.videoId, step: name, ms: Date.now() - t0 }, 'picture made');
        return true;
      } catch (err) {
        // A folder removed under us (the video deleted while its pictures ran) is not a failure to report.
        if (!(await stopped()) && fs.existsSync(outDir))
          log.warn({ videoId: job.videoId, step: name, err }, 'picture failed');
        return false;
      }
    };
    // As the encode (nice 10), not below: `completed` waits for these, and on a busy machine a lower
    // priority starved them for minutes. They are cheap (keyframes only, one seek per instant).
    const common = {
      paths: config,
      input,
      maxPixels: config.maxPixels,
      timeoutMs: this.limits.stepTimeoutMs,
      signal,
      nice: JOB_NICE,
    };

    if (source && !manifest.poster) {
      const width = Math.min(even(source.width), POSTER_MAX_WIDTH);
      manifest.poster = await step('poster', async () => {
        await renderPoster({
          ...common,
          onChosen: (timeS) => {
            manifest.posterTimeS = timeS;
          },
          source,
          durationS: duration,
          file: path.join(outDir, JOB_POSTER),
          width,
          height: heightFor(source, width),
        });
        await out.files([JOB_POSTER]);
      });
      if (manifest.poster) await this.#saveManifest(job.videoId, manifest, out);
    }
    posterDone();

    const plan = planStoryboard(duration, source);
    if (manifest.storyboard) {
      // made by an earlier attempt
    } else if (plan && source) {
      manifest.storyboard = await step('storyboard', async () => {
        await renderStoryboard({ ...common, source, plan, outDir });
        await out.files([STORYBOARD_SHEET]);
        await out.files([STORYBOARD_VTT]);
      });
      if (manifest.storyboard) await this.#saveManifest(job.videoId, manifest, out);
    } else if (!(await stopped())) {
      // Nothing to preview (audio only): an empty storyboard, so players asking for one get no 404.
      await out.text(STORYBOARD_VTT, 'WEBVTT\n').catch(() => {});
    }
    storyboardDone();

    if (!source) return;
    for (const request of job.request.thumbnails ?? []) {
      const planned = planThumbnails(request, source);
      if (planned.every((t) => manifest.thumbnails.some((m) => m.file === t.file))) continue;
      const timeS = Math.min(parseTimestamp(request.timestamp), Math.max(0, duration - 0.05));
      const outputs = planned.map((t) => ({ ...t, file: path.join(outDir, t.file) }));
      const render = (at: number) => renderFrames({ ...common, source, timeS: at, outputs });
      const ok = await step(`thumbnail ${request.timestamp}`, async () => {
        // The very last instant may hold no frame (the last one starts earlier): take one a second before.
        await render(timeS).catch((err) =>
          err instanceof PictureError && err.code === 'picture_empty'
            ? render(Math.max(0, timeS - 1))
            : Promise.reject(err),
        );
        await out.files(planned.map((t) => t.file));
      });
      if (!ok) continue;
      manifest.thumbnails.push(...planned.filter((t) => !manifest.thumbnails.some((m) => m.file === t.file)));
      await this.#saveManifest(job.videoId, manifest, out);
    }
  }

  /** The job has ended (cancelled, failed, or gone): its pictures stop. */
  async #ended(jobId: string): Promise<boolean> {
    return FINAL.has((await this.deps.jobs.get(jobId))?.status ?? 'failed');
  }

  async #saveManifest(videoId: string, manifest: Manifest, out: OutputSink): Promise<void> {
    if (this.#outputs.kind !== 'local') {
      this.#rememberManifest(videoId, manifest);
      await out.text(PICTURES_MANIFEST, JSON.stringify(manifest)).catch(() => {});
      return;
    }
    const file = this.deps.storage.pictureManifestPath(videoId);
    try {
      await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(manifest));
      await fs.promises.rename(`${file}.tmp`, file);
    } catch {
      // The folder was removed under us (cancelled, deleted): nothing to record.
    }
  }

  async #manifest(videoId: string): Promise<Manifest | null> {
    if (!isValidId(videoId)) return null;
    if (this.#outputs instanceof ObjectStoreOutputs) return this.#storedManifest(this.#outputs, videoId);
    try {
      return JSON.parse(
        await fs.promises.readFile(this.deps.storage.pictureManifestPath(videoId), 'utf8'),
      ) as Manifest;
    } catch {
      return null;
    }
  }

  #rememberManifest(videoId: string, manifest: Manifest | null): void {
    this.#storedManifests.set(videoId, { manifest });
  }

  /**
   * The video's manifest in the store, cached for 2 s: a job list does not read the store once per row
   * and per poll, and a node that did not make the pictures sees them within 2 s of their storing.
   */
  async #storedManifest(outputs: ObjectStoreOutputs, videoId: string): Promise<Manifest | null> {
    const fresh = this.#storedManifests.get(videoId);
    if (fresh) return fresh.manifest;
    const text = await outputs.readManifest(videoId).catch(() => undefined);
    // A failed read keeps what was known rather than reporting no pictures.
    const known = () => this.#storedManifests.peek(videoId, { allowStale: true })?.manifest ?? null;
    const manifest = text === undefined ? known() : text ? (JSON.parse(text) as Manifest) : null;
    this.#rememberManifest(videoId, manifest);
    return manifest;
  }

  /** The storyboard and thumbnails of a video that are on disk, with their URLs (for the DTOs). */
  async describe(videoId: string): Promise<VideoPictures> {
    const manifest = await this.#manifest(videoId);
    const base = `${this.deps.config.publicUrl}/stream/${videoId}`;
    return {
      storyboard: manifest?.storyboard ? `${base}/${STORYBOARD_VTT}` : null,
      thumbnails: (manifest?.thumbnails ?? []).map(({ file, ...t }) => ({
        ...t,
        url: `${base}/${file}`,
      })),
    };
  }

  /**
   * The storyboard VTT to serve: waits (bounded) for one being made. Null when there is none (unknown
   * video, not generated yet, failed).
   */
  async storyboardFile(videoId: string): Promise<StoredOutput | null> {
    if (this.#outputs.kind !== 'local') {
      const find = () => this.#outputs.locate(videoId, STORYBOARD_VTT, true);
      const found = await find();
      if (found) return found;
      await this.#waitFor(this.#pipelines.get(videoId)?.storyboard);
      return find();
    }
    const file = this.deps.storage.resolveVideoFile(videoId, STORYBOARD_VTT);
    if (!file) return null;
    if (!fs.existsSync(file)) await this.#waitFor(this.#pipelines.get(videoId)?.storyboard);
    return fs.existsSync(file) ? { file } : null;
  }

  /**
   * The poster to serve: the representative one once made (waiting, bounded, while it is being made),
   * else the encode's, else null.
   */
  async posterFile(videoId: string): Promise<StoredOutput | null> {
    if (this.#outputs.kind !== 'local') {
      const find = (rel: string) => this.#outputs.locate(videoId, rel, true);
      const found = await find(JOB_POSTER);
      if (found) return found;
      await this.#waitFor(this.#pipelines.get(videoId)?.poster);
      return (await find(JOB_POSTER)) ?? find(POSTER_FILE);
    }
    const mine = this.deps.storage.resolveVideoFile(videoId, JOB_POSTER);
    const encoded = this.deps.storage.resolveVideoFile(videoId, POSTER_FILE);
    if (!mine || !encoded) return null;
    if (!fs.existsSync(mine)) await this.#waitFor(this.#pipelines.get(videoId)?.poster);
    if (fs.existsSync(mine)) return { file: mine };
    return fs.existsSync(encoded) ? { file: encoded } : null;
  }

  async #waitFor(promise: Promise<void> | undefined): Promise<void> {
    if (!promise) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      promise,
      new Promise<void>((r) => {
        timer = setTimeout(r, this.limits.waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  // --- on demand ------------------------------------------------------------------------------------

  /**
   * The file of one frame near `time` at about `width`, rendered now or from the cache. The width
   * snaps up to THUMBNAIL_WIDTHS and the time to the video's grid (snapTimeMs), so arbitrary values
   * share renders. 404 for an unknown, failed or picture-less video; 400 for a time past the end or a
   * width outside 16…source width; 429 `too_many_renders` when the client started its budget of new
   * renders; when every slot is busy, the cached render of that width and format nearest in time
   * (`nearest`), else a bounded wait: 503 `render_busy` when the queue is full, `render_timeout`.
   */
  async thumbnail(videoId: string, request: OnDemandRequest): Promise<OnDemandThumbnail> {
    const job = isValidId(videoId) ? await this.deps.jobs.getByVideo(videoId) : undefined;
    if (!job || FINAL.has(job.status)) throw new ApiError('not_found', `no video ${videoId}`);
    const metadata = (await this.deps.files.get(job.fileId))?.metadata;
    const source = sourceOf(metadata, job);
    if (!metadata || !source) throw new ApiError('not_found', `video ${videoId} has no picture`);
    const duration = durationOf(metadata, job);
    const time = request.time ?? duration / 2;
    if (!Number.isFinite(time) || time < 0 || time > duration) {
      throw new ApiError(
        'validation_failed',
        `"time" must be from 0 to ${duration.toFixed(3)} (the duration)`,
      );
    }
    const asked = request.width ?? source.width;
    if (!Number.isInteger(asked) || asked < MIN_WIDTH || asked > source.width) {
      throw new ApiError(
        'validation_failed',
        `"width" must be a whole number from ${MIN_WIDTH} to ${source.width}`,
      );
    }
    const width = snapWidth(asked, source.width);
    const ms = snapTimeMs(time, duration);
    const dir = this.deps.storage.thumbnailCacheDir(videoId);
    const file = path.join(dir, `${ms}-${width}.${request.format}`);
    const answer = (at: string, cache: OnDemandThumbnail['cache'], atMs = ms) => ({
      file: at,
      cache,
      timeS: atMs / 1000,
      width,
    });
    const input = () => this.#sourceInput(job.fileId);
    const got = await this.#onDemand({
      file,
      client: request.client,
      what: 'thumbnail',
      nearest: () => this.#nearestCached(dir, ms, width, request.format),
      make: async (signal, timeoutMs) => {
        const render = async (at: number) =>
          renderFrames({
            paths: this.deps.config,
            input: await input(),
            maxPixels: this.deps.config.maxPixels,
            source,
            timeS: at,
            outputs: [{ file, width, height: heightFor(source, width), format: request.format }],
            timeoutMs,
            signal,
          });
        await render(ms / 1000).catch((err) =>
          // At (or a hair before) the very end there may be no frame left: the last second has one.
          err instanceof PictureError && err.code === 'picture_empty'
            ? render(Math.max(0, Math.min(ms / 1000, duration) - 1))
            : Promise.reject(err),
        );
      },
    });
    return got === 'hit' || got === 'miss' ? answer(file, got) : answer(got.file, 'nearest', got.ms);
  }

  /**
   * Animated WebP/GIF of `[start, end)` at `width` and `fps` (issue 15 §6), rendered now or from the
   * on-demand cache, with the thumbnails' slots, queue, client budget, timeout and cache cap. Defaults:
   * `ANIMATED_PREVIEW.defaultDurationS` from the poster's frame (10% in when not known yet), 320 px
   * (or the source's width), 12 fps. Past a limit (10 s, 640 px or the source's width, 24 fps), a span
   * outside the video or `end ≤ start`: 400. Start and end snap to 0.1 s and the width up to
   * THUMBNAIL_WIDTHS, so neighbouring requests share renders; each new one is charged to the client.
   */
  async animated(videoId: string, request: AnimatedRequest): Promise<AnimatedPreview> {
    const job = isValidId(videoId) ? await this.deps.jobs.getByVideo(videoId) : undefined;
    if (!job || FINAL.has(job.status)) throw new ApiError('not_found', `no video ${videoId}`);
    const metadata = (await this.deps.files.get(job.fileId))?.metadata;
    const source = sourceOf(metadata, job);
    if (!metadata || !source) throw new ApiError('not_found', `video ${videoId} has no picture`);
    const duration = durationOf(metadata, job);
    const limits = ANIMATED_PREVIEW;
    const invalid = (message: string) => new ApiError('validation_failed', message);
    const check = (name: string, value: number | undefined, ok: (v: number) => boolean, rule: string) => {
      if (value !== undefined && (!Number.isFinite(value) || !ok(value))) throw invalid(`"${name}" ${rule}`);
    };
    check(
      'start',
      request.start,
      (v) => v >= 0 && v < duration,
      `must be from 0 to below ${duration.toFixed(3)}`,
    );
    check(
      'end',
      request.end,
      (v) => v > 0 && v <= duration,
      `must be from above 0 to ${duration.toFixed(3)}`,
    );
    const maxWidth = Math.min(limits.maxWidth, source.width);
    check(
      'width',
      request.width,
      (v) => Number.isInteger(v) && v >= MIN_WIDTH && v <= maxWidth,
      `must be a whole number from ${MIN_WIDTH} to ${maxWidth}`,
    );
    check(
      'fps',
      request.fps,
      (v) => Number.isInteger(v) && v >= 1 && v <= limits.maxFps,
      `must be a whole number from 1 to ${limits.maxFps}`,
    );
    const posterAt = (await this.#manifest(videoId))?.posterTimeS ?? duration * 0.1;
    let start =
      request.start ??
      (request.end !== undefined ? Math.max(0, request.end - limits.defaultDurationS) : posterAt);
    if (request.start === undefined && request.end === undefined)
      start = Math.min(start, Math.max(0, duration - 0.1));
    const end = request.end ?? Math.min(duration, start + limits.defaultDurationS);
    if (end <= start) throw invalid(`"end" (${end}) must be after "start" (${start})`);
    if (end - start > limits.maxDurationS + 1e-9) {
      throw invalid(
        `an animated preview is at most ${limits.maxDurationS} s long, not ${(end - start).toFixed(3)}`,
      );
    }
    const width = snapWidth(request.width ?? Math.min(limits.defaultWidth, source.width), maxWidth);
    const fps = request.fps ?? limits.defaultFps;
    // A tenth of a second, not the thumbnails' grid (7 s apart on an hour-long video): a span is short.
    const lastMs = Math.max(100, Math.floor(duration * 10) * 100);
    const startMs = Math.min(Math.round(start * 10) * 100, lastMs - 100);
    const endMs = Math.min(Math.max(startMs + 100, Math.round(end * 10) * 100), lastMs);
    const dir = this.deps.storage.thumbnailCacheDir(videoId);
    const file = path.join(dir, `anim-${startMs}-${endMs}-${width}-${fps}.${request.format}`);
    const height = heightFor(source, width);
    const got = await this.#onDemand({
      file,
      client: request.client,
      what: 'animated preview',
      nearest: null,
      make: async (signal, timeoutMs) =>
        renderAnimated({
          paths: this.deps.config,
          input: await this.#sourceInput(job.fileId),
          maxPixels: this.deps.config.maxPixels,
          source,
          startS: startMs / 1000,
          durationS: (endMs - startMs) / 1000,
          width,
          height,
          fps,
          format: request.format,
          file,
          timeoutMs,
          signal,
        }),
    });
    return {
      file,
      cache: got === 'hit' ? 'hit' : 'miss',
      startS: startMs / 1000,
      endS: endMs / 1000,
      width,
      height,
      fps,
    };
  }

  #sourceInput(fileId: string) {
    return this.deps.uploads
      ? this.deps.uploads.source(fileId)
      : Promise.resolve(this.deps.storage.uploadPath(fileId));
  }

  /**
   * One on-demand render through the shared machinery: a cached file is a hit; an identical render in
   * flight is joined; else the client's budget is charged and the render waits for a slot (bounded
   * queue: 503 `render_busy`; while every slot is busy, `nearest()` may answer with a cached
   * neighbour instead), with the render timeout (503 `render_timeout`). The file joins the cache,
   * which is then trimmed to its cap.
   */
  async #onDemand(o: {
    file: string;
    client: string | undefined;
    what: string;
    nearest: (() => { file: string; ms: number } | null) | null;
    make: (signal: AbortSignal, timeoutMs: number) => Promise<void>;
  }): Promise<'hit' | 'miss' | { file: string; ms: number }> {
    const { file } = o;
    await this.#loadCache();
    if (this.#cache!.has(file) && fs.existsSync(file)) {
      this.#touch(file);
      return 'hit';
    }
    let render = this.#renders.get(file);
    if (!render) {
      this.#checkBudget(o.client);
      // `limits` is the one knob, changed at run time too (tests): p-limit follows it.
      if (this.slots.concurrency !== this.limits.renderConcurrency) {
        this.slots.concurrency = this.limits.renderConcurrency;
      }
      if (this.slots.activeCount >= this.slots.concurrency) {
        const near = o.nearest?.();
        if (near) {
          this.#touch(near.file);
          return near;
        }
        if (this.slots.pendingCount >= this.limits.renderQueue) {
          throw new ApiError('render_busy', `too many pictures are being rendered: retry in a moment`);
        }
      }
      this.#charge(o.client);
      render = this.slots(() => this.#render(file, o.what, o.make));
      this.#renders.set(file, render);
      void render.catch(() => {}).finally(() => this.#renders.delete(file));
    }
    await render;
    return 'miss';
  }

  /** Refuses a client that has started its budget of new renders in this window. */
  #checkBudget(client: string | undefined): void {
    if (client === undefined) return;
    const used = this.#budgets.get(client)?.count ?? 0;
    if (used < this.limits.renderBudget) return;
    const wait = Math.max(1, Math.ceil(this.#budgets.getRemainingTTL(client) / 1000));
    throw new ApiError(
      'too_many_renders',
      `this client started ${this.limits.renderBudget} thumbnail renders in ${this.limits.renderBudgetWindowMs / 1000} s: retry in ${wait} s, or ask for times and widths already rendered`,
      { retryAfterS: wait },
    );
  }

  #charge(client: string | undefined): void {
    if (client === undefined) return;
    const entry = this.#budgets.get(client);
    if (entry) entry.count++;
    else this.#budgets.set(client, { count: 1 });
  }

  /**
   * The cached render of this video at the same width and format nearest in time, if any. Only the
   * same width: the page laid the picture out at that size. Scans the index (bounded by the cache
   * cap), and only while the slots are busy.
   */
  #nearestCached(
    dir: string,
    ms: number,
    width: number,
    format: PictureFormat,
  ): { file: string; ms: number } | null {
    let best: { file: string; ms: number } | null = null;
    for (const file of this.#cache!.keys()) {
      if (path.dirname(file) !== dir) continue;
      const m = CACHED_RENDER.exec(path.basename(file));
      if (!m || Number(m[2]) !== width || m[3] !== format) continue;
      const at = Number(m[1]);
      if (!best || Math.abs(at - ms) < Math.abs(best.ms - ms)) best = { file, ms: at };
    }
    return best && fs.existsSync(best.file) ? best : null;
  }

  async #render(
    file: string,
    what: string,
    make: (signal: AbortSignal, timeoutMs: number) => Promise<void>,
  ): Promise<void> {
    const abort = new AbortController();
    this.#aborts.add(abort);
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      try {
        await make(abort.signal, this.limits.renderTimeoutMs);
      } catch (err) {
        if (err instanceof PictureError && err.code === 'picture_timeout') {
          throw new ApiError(
            'render_timeout',
            `the ${what} took longer than ${this.limits.renderTimeoutMs} ms`,
          );
        }
        if (err instanceof PictureError && err.code === 'picture_aborted') {
          throw new ApiError('unavailable', 'the server is shutting down');
        }
        this.deps.log.warn({ err, file }, `on-demand ${what} failed`);
        throw new ApiError('internal', `the ${what} could not be rendered`);
      }
      const size = (await fs.promises.stat(file)).size;
      // Re-rendered after its file vanished (the video's folder was cleared): count it once.
      this.#cacheBytes += size - (this.#cache!.get(file)?.size ?? 0);
      this.#cache!.set(file, { size, usedAt: Date.now() });
      await this.#evict(file);
    } finally {
      this.#aborts.delete(abort);
    }
  }

  async #loadCache(): Promise<void> {
    if (this.#cache) return;
    this.#cacheLoading ??= (async () => {
      const entries = await this.deps.storage.thumbnailCacheEntries();
      const cache = new Map<string, { size: number; usedAt: number }>();
      for (const e of entries) cache.set(e.file, { size: e.size, usedAt: e.mtimeMs });
      this.#cacheBytes = entries.reduce((n, e) => n + e.size, 0);
      this.#cache = cache;
    })();
    await this.#cacheLoading;
  }

  /** LRU by last use; the mtime carries it across restarts. */
  #touch(file: string): void {
    const entry = this.#cache!.get(file)!;
    entry.usedAt = Date.now();
    const now = new Date();
    fs.promises.utimes(file, now, now).catch(() => {});
  }

  /** Drops the least recently used renders until the cache fits (never the one just made). */
  async #evict(keep: string): Promise<void> {
    if (this.#cacheBytes <= this.limits.cacheBytes) return;
    const oldest = [...this.#cache!.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [file, entry] of oldest) {
      if (this.#cacheBytes <= this.limits.cacheBytes) break;
      if (file === keep) continue;
      this.#cache!.delete(file);
      this.#cacheBytes -= entry.size;
      await fs.promises.rm(file, { force: true });
    }
  }

  /** Bytes the on-demand cache holds now (for tests and health). */
  cacheBytes(): number {
    return this.#cacheBytes;
  }

  /** Kills every picture ffmpeg of this process and waits for the job pipelines to wind down. */
  async stop(): Promise<void> {
    for (const p of this.#pipelines.values()) p.abort.abort();
    for (const a of this.#aborts) a.abort();
    await Promise.all([...this.#pipelines.values()].map((p) => p.done));
    await Promise.all([...this.#renders.values()].map((r) => r.catch(() => {})));
  }
}

/** `HH:MM:SS(.mmm)` → seconds (the request was validated when the job was created). */
function parseTimestamp(ts: string): number {
  const [h, m, s] = ts.split(':').map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
}

/**
 * The files one thumbnail request makes: every resolution × format, never above the source (a
 * resolution at or above the source's short side is the source's own size). Without resolutions,
 * the source's own size.
 */
export function planThumbnails(request: ThumbnailRequest, source: SourcePicture): StoredThumb[] {
  const ms = Math.round(parseTimestamp(request.timestamp) * 1000);
  const formats = request.formats ?? ['jpg'];
  const resolutions: (Resolution | null)[] = request.resolutions ?? [null];
  const portrait = source.height > source.width;
  const short = portrait ? source.width : source.height;
  const out: StoredThumb[] = [];
  for (const resolution of resolutions) {
    const r = resolution === null ? short : Math.min(Number(resolution), short);
    const width = r >= short ? source.width : portrait ? even(r) : even((r * source.width) / source.height);
    const height = r >= short ? source.height : portrait ? even((r * source.height) / source.width) : even(r);
    for (const format of formats) {
      out.push({
        timestamp: request.timestamp,
        resolution,
        format,
        width,
        height,
        file: `thumbs/${ms}-${resolution ?? 'source'}.${format}`,
      });
    }
  }
  return out;
}
