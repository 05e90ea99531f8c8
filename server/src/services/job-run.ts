import type { Download, EncodePreset, JobErrorCode, Rendition, Resolution, VideoPictures } from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { FileRow } from '../db/files.ts';
import type { ChunkTasksRepository, FilesRepository, JobRow, JobsRepository } from '../db/repositories.ts';
import { posterChunkOf, startChunkedEncode } from '../media/chunked-encode.ts';
import { type ChunkPlan, planChunks } from '../media/chunks.ts';
import { makeAudioDownload, makeDownload } from '../media/downloads.ts';
import { EncodeError, type EncodeHandle, startEncode } from '../media/encode.ts';
import { scheduleOf } from '../media/encode-args.ts';
import { probeKeyframes, type SourceKeyframes } from '../media/keyframes.ts';
import { type AudioTrackInfo, type EncodePlan, planLadder } from '../media/ladder.ts';
import { AUDIO_DOWNLOAD, audioFolder, downloadFile, variantPlaylist } from '../media/layout.ts';
import { isPublishedComplete } from '../media/publisher.ts';
import { gridCut } from '../media/schedule.ts';
import type { SourceInput } from '../media/source.ts';
import { probeAudioTracks } from '../media/tracks.ts';
import { chunkStoreFor } from '../storage/chunk-store.ts';
import type { LocalStorage } from '../storage/local.ts';
import type { OutputSink, VideoOutputs } from '../storage/outputs.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';
import { SharedChunkQueue } from './chunk-queue.ts';
import type { VideoEventBus } from './events.ts';
import { type JobMedia, JobMediaError, prepareJobMedia } from './job-media.ts';
import { perTitleLaterPlan } from './per-title.ts';
import { playbackUrls } from './videos.ts';

/*
 * One claimed job, run to its end by the worker (services/encoding-worker.ts), in named phases:
 * plan → start group (the video is playable) → ladder → publish (MP4 downloads) → pictures → finish.
 * Each phase records its own failure on the job and says whether the run goes on; `run()` is only
 * their sequence, and never throws.
 */

/**
 * An output this much shorter than the probe promised means the source ended early (a cut download,
 * a header that lies): the job fails with `source_truncated` instead of completing with a stub.
 */
const TRUNCATED_RATIO = 0.9;
const TRUNCATED_SLACK_S = 0.5;

/** What a run needs: where the bytes are, the records, and who hears of changes. */
export interface RunDeps {
  config: Config;
  storage: LocalStorage;
  files: FilesRepository;
  jobs: JobsRepository;
  events: VideoEventBus;
  log: FastifyBaseLogger;
  /** Where sources are read (storage/uploads-store.ts); absent: the local upload path. */
  uploads?: Pick<UploadsStore, 'source'> | undefined;
  /** Poster, storyboard and thumbnails, made beside the encode (services/pictures.ts), into its sink. */
  pictures?:
    | {
        jobStarted(job: JobRow, sink?: OutputSink, begin?: Promise<void>): Promise<void>;
        describe(videoId: string): Promise<VideoPictures>;
      }
    | undefined;
  outputs: VideoOutputs;
  /**
   * The queue's chunk tasks (issue 17 #2): a chunked job's chunks are encoded by any worker. Absent:
   * this process encodes them all.
   */
  chunkTasks?: ChunkTasksRepository | undefined;
  /** The queue's leases (services/encoding-worker.ts); chunk tasks are held as jobs are. */
  timings?: { leaseMs: number; renewMs: number } | undefined;
  /** Wakes this process's idle workers (chunk tasks were queued). */
  wakeWorkers?: (() => void) | undefined;
}

/** Why a run is stopped early: the outcome is then ours to record, not ffmpeg's. */
export type StopReason = 'cancel' | 'shutdown' | 'lease_lost';

/** What the plan phase decided. */
export interface PlannedJob {
  file: FileRow;
  /** A presigned URL when sources are in S3 (a worker on another machine), else the local path. */
  input: SourceInput;
  /** A previous attempt's encode is complete: keep it and resume after it (embedded only). */
  resumed: boolean;
  sink: OutputSink;
  plan: EncodePlan;
  renditions: Rendition[];
  /** The source's keyframes (H.264 sources): where chunks may be cut. */
  keyframes: SourceKeyframes | undefined;
  /** A clip's span, a watermark (services/job-media.ts): what the job adds to its source. */
  media: JobMedia;
}

/** One claimed job being run by this process. */
export class JobRun {
  handle: EncodeHandle | null = null;
  stop: StopReason | null = null;
  playable = false;
  /** Resolves when the run is over and its outcome recorded. */
  readonly finished: Promise<void>;
  #finish!: () => void;
  /**
   * The job's writes made from ffmpeg's callbacks (pid, progress, playable), one after the other, so
   * they land in order and are all in before the outcome is recorded.
   */
  #writes: Promise<void> = Promise.resolve();
  #lastProgressAt = 0;
  #lastProgress = -1;
  #sink: OutputSink | null = null;
  #startedAt = 0;
  /** Pictures start once the video is playable (or the encode is over): their ffmpegs would slow it. */
  #beginPictures!: () => void;
  readonly #picturesGate = new Promise<void>((resolve) => {
    this.#beginPictures = resolve;
  });
  #pictures: Promise<void> | undefined;

  constructor(
    readonly job: JobRow,
    readonly deps: RunDeps,
    /** The lease owner (this process's worker id). */
    readonly owner: string,
    /** Minimum interval between two `progress` events (and database writes). */
    readonly progressMs: number,
    /** Called once the run is over, right before `finished` resolves. */
    readonly onEnd: () => void = () => {},
  ) {
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Stops the run early (its ffmpegs are killed); the first reason given is the one recorded. */
  halt(reason: StopReason): void {
    this.stop ??= reason;
    this.handle?.cancel();
  }

  /** Runs the job to its end. Never throws: every outcome is recorded on the job. */
  async run(): Promise<void> {
    const { job, deps } = this;
    try {
      const planned = await this.plan();
      if (!planned) return;
      if (this.stop) return await this.#stopped();
      // Pictures are registered now (requests for the storyboard wait for them) but start once the
      // video is playable: until then their ffmpegs would take CPU from the first segments.
      this.#pictures = deps.pictures?.jobStarted(job, planned.sink, this.#picturesGate);
      this.#startedAt = Date.now();
      deps.events.emit({
        type: 'started',
        videoId: job.videoId,
        data: { jobId: job.jobId, attempt: job.attempts },
      });
      const durationS = await this.ladder(planned);
      if (durationS === null) return;
      this.#beginPictures();
      if (!(await this.publish(planned))) return;
      if (!(await this.pictures())) return;
      await this.finish(planned, durationS);
    } catch (err) {
      deps.log.error({ err, jobId: job.jobId }, 'encoding job crashed');
      try {
        await this.#writes;
        await this.fail('internal', 'internal error while encoding');
      } catch {
        // the database itself is failing: the lease will expire and the job will be retried
      }
    } finally {
      // A failed or stopped job's pictures were aborted: let their pipeline see it and end.
      this.#beginPictures();
      await this.#sink
        ?.close()
        .catch((err: unknown) => deps.log.warn({ err }, 'removing the scratch dir failed'));
      this.onEnd();
      this.#finish();
    }
  }

  /**
   * Plan: the source, whether an earlier attempt's encode can be kept, the attempt's sink, the ladder.
   * Null when the job failed here (recorded).
   */
  async plan(): Promise<PlannedJob | null> {
    const { job, deps } = this;
    const { files, storage, config } = deps;
    const file = await files.get(job.fileId);
    if (file?.status !== 'ready' || !file.metadata) {
      await this.fail('source_missing', 'the source file is gone or not ready');
      return null;
    }
    const source = async (fileId: string) =>
      deps.uploads ? await deps.uploads.source(fileId) : storage.uploadPath(fileId);
    const input = await source(job.fileId);
    // A previous attempt finished the encode (its duration is recorded and every playlist is closed)
    // and died after (making downloads or pictures): keep its output and resume from there. Embedded
    // only: scaled out, each attempt writes a prefix of its own and starts from scratch.
    const resumed =
      deps.outputs.kind === 'local' &&
      job.outputDuration !== null &&
      (await isPublishedComplete(storage.videoDir(job.videoId)));
    let audioTracks: AudioTrackInfo[] | undefined;
    let keyframes: SourceKeyframes | undefined;
    // The upload probe keeps only the first audio stream (the audio group wants them all) and no
    // keyframes (remux-first wants them, for H.264 sources). Meanwhile the attempt's sink opens
    // (embedded: a previous attempt's half ladder goes; scaled out: a fresh prefix and scratch dir).
    const [tracks, keys, opened] = await Promise.allSettled([
      file.metadata.audio ? probeAudioTracks(config, input, config.probeTimeoutMs) : Promise.resolve([]),
      file.metadata.video?.codec === 'h264'
        ? probeKeyframes(config, input, config.probeTimeoutMs)
        : Promise.resolve(undefined),
      deps.outputs.openSink(job.videoId, job.attempts, { keepEncode: resumed }),
    ]);
    if (opened.status === 'rejected') throw opened.reason;
    this.#sink = opened.value;
    if (tracks.status === 'fulfilled' && tracks.value.length > 0) audioTracks = tracks.value;
    if (keys.status === 'fulfilled') keyframes = keys.value;
    let media: JobMedia;
    try {
      media = await prepareJobMedia({ config, files, source }, job, file.metadata, input, keyframes);
    } catch (err) {
      if (!(err instanceof JobMediaError)) throw err;
      await this.fail(err.code, err.message);
      return null;
    }
    const plan = planLadder(file.metadata, {
      resolutions: requestedResolutions(job.request.presets),
      ...(audioTracks ? { audioTracks } : {}),
      ...(keyframes ? { keyframes } : {}),
      ...media.ladder,
    });
    return {
      file,
      input,
      resumed,
      sink: opened.value,
      plan,
      renditions: renditionsOf(plan),
      keyframes,
      media,
    };
  }

  /**
   * Start group: its renditions have their first segments and the master is out. The video is
   * playable: recorded, announced, and the pictures may start.
   */
  startGroupPlayable(renditions: Rendition[]): void {
    const { job, deps } = this;
    this.#beginPictures();
    this.playable = true;
    this.#write(async () => {
      if (!(await deps.jobs.markPlayable(job.jobId, this.owner, renditions))) return;
      deps.log.info({ jobId: job.jobId, ms: Date.now() - this.#startedAt }, 'video playable');
      deps.events.emit({
        type: 'playable',
        videoId: job.videoId,
        data: { jobId: job.jobId, playback: playbackUrls(deps.config.publicUrl, job.videoId), renditions },
      });
    });
  }

  /**
   * Ladder: every rendition encoded and published, and the duration the output really holds checked
   * and recorded. Returns it, or null when the run ended here (failure or stop, recorded).
   */
  async ladder(p: PlannedJob): Promise<number | null> {
    const { job, deps } = this;
    const { jobs, config, log } = deps;
    if (p.resumed) {
      log.info({ jobId: job.jobId }, 'encoding job: the encode was complete, resuming after it');
      return job.outputDuration!;
    }
    const encode = {
      paths: config,
      input: p.input,
      outDir: p.sink.dir,
      sink: p.sink,
      plan: p.plan,
      durationS: p.media.durationS,
      maxDurationS: config.maxDurationSeconds,
      maxPixels: config.maxPixels,
      threads: config.encodeThreads,
      timeoutMs: config.encodeTimeoutMs,
      ...(p.media.watermarkInput ? { watermarkInput: p.media.watermarkInput } : {}),
      onSpawn: (pid: number) => this.#write(() => jobs.setEncoderPid(job.jobId, this.owner, pid)),
      onProgress: (percent: number) => this.#onProgress(percent),
      onPlayable: () => this.startGroupPlayable(p.renditions),
    };
    const chunks = chunksOf(p, config.chunkSeconds);
    // Per-title (services/per-title.ts): whole encodes only, for now. Its probe ends with the encode.
    const probe = new AbortController();
    const laterPlan = chunks
      ? undefined
      : perTitleLaterPlan(
          config,
          p.input,
          p.file.metadata!,
          p.plan,
          p.media.durationS,
          log,
          job.jobId,
          probe.signal,
        );
    let queue: SharedChunkQueue | null = null;
    if (chunks && p.keyframes && deps.chunkTasks) {
      queue = await this.#queueChunks(p, chunks, p.keyframes.offsetS, deps.chunkTasks);
      if (!queue) return await this.#stopped(null);
    }
    this.handle =
      chunks && p.keyframes
        ? startChunkedEncode({
            ...encode,
            chunks,
            originS: p.keyframes.offsetS,
            // Queued, this process's worker slot is one lane: the other workers claim the rest.
            parallel: queue ? 1 : config.encodeConcurrency,
            ...(queue ? { queue } : {}),
          })
        : startEncode({ ...encode, ...(laterPlan ? { laterPlan } : {}) });
    let result: { durationS: number };
    try {
      result = await this.handle.done.finally(() => {
        probe.abort();
        queue?.close();
        // What other workers stored for us was fetched (or is nobody's now).
        if (queue) void queue.deps.store.clear(job.videoId, job.attempts).catch(() => {});
      });
    } catch (err) {
      this.#write(() => jobs.setEncoderPid(job.jobId, this.owner, null));
      await this.#writes;
      if (this.stop) return await this.#stopped(null);
      // Not ffmpeg's (a failed upload of the output sink, a disk error): logged, never shown, as it
      // may name internal hosts and paths.
      if (!(err instanceof EncodeError)) log.warn({ jobId: job.jobId, err }, 'encoding job: outputs failed');
      const e =
        err instanceof EncodeError ? err : new EncodeError('encode_failed', 'storing the outputs failed', []);
      log.warn({ jobId: job.jobId, code: e.code, stderr: e.stderrTail }, 'encoding job failed');
      // A source over the limits has shown what it is: nothing of it stays served (issue 19 #5),
      // from before the job says `failed`; what its pictures wrote until the failure stopped them
      // goes after.
      const overLimits = e.code === 'too_many_pixels' || e.code === 'too_long';
      if (overLimits) await deps.outputs.removeVideo(job.videoId);
      await this.fail(e.code === 'encode_cancelled' ? 'encode_failed' : e.code, e.message);
      if (overLimits) {
        this.#beginPictures();
        await this.#pictures;
        await deps.outputs.removeVideo(job.videoId);
      }
      return null;
    }
    this.#write(() => jobs.setEncoderPid(job.jobId, this.owner, null));
    await this.#writes;
    if (this.stop) return await this.#stopped(null);
    const probed = p.media.durationS;
    const short = truncation(result.durationS, probed, config.maxDurationSeconds);
    if (short) {
      log.warn({ jobId: job.jobId, probed, output: result.durationS }, 'encoding job: source truncated');
      await this.fail('source_truncated', short);
      return null;
    }
    if (laterPlan) {
      // The renditions' caps are the tuned ones (finish() records them when the video was not playable yet).
      p.plan = await laterPlan;
      p.renditions = renditionsOf(p.plan);
      if (this.playable) await jobs.markPlayable(job.jobId, this.owner, p.renditions);
    }
    await jobs.setOutputDuration(job.jobId, this.owner, round3(result.durationS));
    return result.durationS;
  }

  /**
   * Chunks as tasks of the shared queue: every chunk but the first (this process's start group) is
   * claimable by any worker. Null when the job is no longer ours (recorded as a lost lease).
   */
  async #queueChunks(
    p: PlannedJob,
    chunks: ChunkPlan[],
    originS: number,
    tasks: ChunkTasksRepository,
  ): Promise<SharedChunkQueue | null> {
    const { job, deps } = this;
    const timings = deps.timings ?? { leaseMs: 30_000, renewMs: 10_000 };
    const queue = new SharedChunkQueue({
      tasks,
      store: chunkStoreFor(deps.outputs, deps.storage),
      owner: this.owner,
      job: { jobId: job.jobId, videoId: job.videoId, attempt: job.attempts },
      leaseMs: timings.leaseMs,
      renewMs: timings.renewMs,
    });
    const poster = posterChunkOf(p.plan, chunks, originS);
    const specs = chunks.map((chunk) => ({
      plan: p.plan,
      chunk,
      originS,
      durationS: p.media.durationS,
      poster: chunk.index === poster,
    }));
    if (!(await queue.plan(specs))) {
      this.stop ??= 'lease_lost';
      return null;
    }
    deps.wakeWorkers?.();
    return queue;
  }

  /** Publish: the MP4 and m4a downloads, remuxed from the finished HLS renditions. False when the run ended here. */
  async publish(p: PlannedJob): Promise<boolean> {
    const { job, deps } = this;
    const rungs = downloadRungs(p.plan, job.request.presets);
    const audio = p.plan.audio.find((a) => a.default);
    const m4a = audio && job.request.presets?.some((preset) => preset.format === 'm4a');
    if (rungs.length === 0 && !m4a) return true;
    const downloads: Download[] = [];
    try {
      for (const r of rungs) {
        if (this.stop) return await this.#stopped(false);
        const bytes = await makeDownload(
          deps.config,
          p.sink.dir,
          r.name,
          audio ? audioFolder(audio.index) : null,
          deps.config.encodeTimeoutMs,
        );
        downloads.push({
          name: r.name,
          format: 'mp4',
          width: r.width,
          height: r.height,
          bytes,
          url: downloadFile(r.name),
        });
      }
      if (m4a && audio) {
        if (this.stop) return await this.#stopped(false);
        const bytes = await makeAudioDownload(
          deps.config,
          p.sink.dir,
          audioFolder(audio.index),
          deps.config.encodeTimeoutMs,
        );
        downloads.push({
          name: 'audio',
          format: 'm4a',
          width: null,
          height: null,
          bytes,
          url: AUDIO_DOWNLOAD,
        });
      }
    } catch (err) {
      if (this.stop) return await this.#stopped(false);
      deps.log.warn({ jobId: job.jobId, err }, 'encoding job: a download failed');
      await this.fail('encode_failed', 'making a download (MP4, m4a) failed');
      return false;
    }
    await deps.jobs.setDownloads(job.jobId, this.owner, downloads);
    return true;
  }

  /** Pictures: the job's thumbnails are part of it, `completed` lists them (pictures never reject). */
  async pictures(): Promise<boolean> {
    await this.#pictures;
    if (this.stop) return await this.#stopped(false);
    return true;
  }

  /** Finish: what no playlist names is stored, and the job is `completed`. */
  async finish(p: PlannedJob, durationS: number): Promise<void> {
    const { job, deps } = this;
    const { jobs, log, events, config } = deps;
    try {
      // What no playlist names (poster, MP4 downloads) is stored now; embedded, nothing moves.
      // The scratch dir goes before the job says `completed`.
      await p.sink.finish();
      await p.sink.close();
    } catch (err) {
      if (this.stop) return void (await this.#stopped(null));
      log.warn({ jobId: job.jobId, err }, 'encoding job: storing the outputs failed');
      await this.fail('encode_failed', 'storing the outputs failed');
      return;
    }
    if (!this.playable) await jobs.markPlayable(job.jobId, this.owner, p.renditions);
    if (!(await jobs.finish(job.jobId, this.owner, 'completed'))) return;
    log.info({ jobId: job.jobId, ms: Date.now() - this.#startedAt }, 'encoding job completed');
    // Earlier attempts (lost leases, restarts) are nobody's now.
    await deps.outputs.removeOtherAttempts(job.videoId, job.attempts).catch((err: unknown) => {
      log.warn({ err, videoId: job.videoId }, 'removing earlier attempts failed');
    });
    events.emit({
      type: 'completed',
      videoId: job.videoId,
      data: {
        jobId: job.jobId,
        playback: playbackUrls(config.publicUrl, job.videoId),
        renditions: p.renditions,
        duration: round3(durationS),
        ...(await deps.pictures?.describe(job.videoId)),
      },
    });
  }

  /** Ends the job `failed` (when it is still ours) and says so. */
  async fail(code: JobErrorCode, message: string): Promise<void> {
    const { job, deps } = this;
    if (!(await deps.jobs.finish(job.jobId, this.owner, 'failed', { code, message }))) return;
    deps.events.emit({
      type: 'failed',
      videoId: job.videoId,
      data: { jobId: job.jobId, status: 'failed', error: { code, message } },
    });
  }

  /**
   * The run ended because we stopped it: record why (a cancel was recorded by the cancel itself).
   * Resolves to `outcome`, so that a phase can end with `return await this.#stopped(...)`.
   */
  async #stopped<T>(outcome: T = undefined as T): Promise<T> {
    const { job, deps } = this;
    // A lost or handed-back attempt's partial outputs are nobody's (scaled out; embedded: no-op).
    void this.#sink?.abandon().catch(() => {});
    await this.#writes;
    if (this.stop === 'shutdown') {
      await deps.jobs.release(job.jobId, this.owner);
      deps.log.info({ jobId: job.jobId }, 'encoding job handed back to the queue (shutdown)');
    } else if (this.stop === 'lease_lost') {
      deps.log.warn({ jobId: job.jobId }, 'encoding job lease lost: ffmpeg stopped');
    }
    return outcome;
  }

  #onProgress(progress: number): void {
    const { job, deps } = this;
    const now = Date.now();
    const rounded = Math.round(progress * 10) / 10;
    if (rounded === this.#lastProgress || rounded >= 100) return;
    if (now - this.#lastProgressAt < this.progressMs) return;
    this.#lastProgressAt = now;
    this.#lastProgress = rounded;
    this.#write(() => deps.jobs.updateProgress(job.jobId, this.owner, rounded));
    deps.events.emit({
      type: 'progress',
      videoId: job.videoId,
      data: { jobId: job.jobId, progress: rounded },
    });
  }

  /** Queues one of the job's writes behind the previous ones; a failure is logged, not thrown. */
  #write(write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).then(
      () => {},
      (err: unknown) => this.deps.log.error({ err, jobId: this.job.jobId }, 'encoding job: a write failed'),
    );
  }
}

/** A job is cut into at most this many chunks (rows of the queue, processes, joins). */
export const MAX_CHUNKS = 64;

/**
 * Ladder or chunks: the chunks of a planned job's video (media/chunks.ts), or null when it is encoded
 * whole — chunking off, no keyframes known (only H.264 sources are probed for them), no encoded rung,
 * or a source not longer than two chunks.
 */
export function chunksOf(
  p: Pick<PlannedJob, 'plan' | 'keyframes' | 'file'>,
  chunkS: number | null,
): ChunkPlan[] | null {
  if (!chunkS || !p.keyframes || p.keyframes.times.length === 0) return null;
  // A clip's range and a watermark's second input are not carried into chunks (yet): encoded whole.
  if (p.plan.sourceRange || p.plan.watermark) return null;
  if (!p.plan.rungs.some((r) => !r.copy)) return null;
  const { plan } = p;
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const durationS = p.file.metadata?.duration ?? 0;
  // Bounded: a long source gets longer chunks rather than more tasks than MAX_CHUNKS.
  let length = Math.max(chunkS, durationS / MAX_CHUNKS);
  let chunks = planChunks(grid, p.keyframes.times, durationS, length);
  while (chunks.length > MAX_CHUNKS) {
    length *= 1.25;
    chunks = planChunks(grid, p.keyframes.times, durationS, length);
  }
  return chunks.length > 1 ? chunks : null;
}

/** The job's renditions as the API shows them, from the plan. */
export function renditionsOf(plan: EncodePlan): Rendition[] {
  return plan.rungs.map((r) => ({
    name: r.name,
    width: r.width,
    height: r.height,
    maxBitrate: r.maxrate,
    playlist: variantPlaylist(r.name),
  }));
}

/**
 * Why an output of `outputS` seconds is too short for a source probed at `probedS` (the message of
 * `source_truncated`), or null when it is long enough.
 */
export function truncation(outputS: number, probedS: number, maxDurationS: number): string | null {
  const expected = Math.min(probedS, maxDurationS);
  if (outputS >= expected * TRUNCATED_RATIO - TRUNCATED_SLACK_S) return null;
  return `the source ends early: its header promises ${probedS.toFixed(3)} s, its media hold ${outputS.toFixed(3)} s`;
}

/** The rungs MP4 downloads are made of: those the `mp4` presets name, else the top one; none without one. */
export function downloadRungs(plan: EncodePlan, presets: EncodePreset[] | undefined): EncodePlan['rungs'] {
  const wanted = mp4Resolutions(presets);
  if (!wanted || plan.rungs.length === 0) return [];
  const rungs = plan.rungs.filter((r) => wanted.includes(r.name));
  return rungs.length > 0 ? rungs : [plan.rungs.at(-1)!];
}

/** Resolutions of the `mp4` presets: null when none asks for MP4, [] for "the top rung". */
function mp4Resolutions(presets: EncodePreset[] | undefined): Resolution[] | null {
  const mp4 = (presets ?? []).filter((p) => p.format === 'mp4');
  return mp4.length > 0 ? [...new Set(mp4.flatMap((p) => p.resolutions ?? []))] : null;
}

/**
 * The HLS ladder's resolutions: those the `hls` presets name (plus the rungs MP4 downloads are cut
 * from); undefined (the whole ladder) when no `hls` preset narrows it.
 */
export function requestedResolutions(presets: EncodePreset[] | undefined): Resolution[] | undefined {
  const hls = (presets ?? []).filter((p) => p.format !== 'mp4' && p.format !== 'm4a');
  if (hls.length === 0 || hls.some((p) => !p.resolutions?.length)) return undefined;
  const all = new Set((presets ?? []).flatMap((p) => p.resolutions ?? []));
  return [...all];
}

export const round3 = (n: number): number => Math.round(n * 1000) / 1000;
