import os from 'node:os';
import type {
  CreateJobRequest,
  Download,
  EncodePreset,
  EncoderJob,
  JobErrorCode,
  Page,
  Rendition,
  Resolution,
  VideoPictures,
} from '@vodkit/api';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { JobRequest } from '../db/jobs.ts';
import type { FilesRepository, JobRow, JobsRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import { isValidId, newId } from '../ids.ts';
import { makeAudioDownload, makeDownload } from '../media/downloads.ts';
import { EncodeError, type EncodeHandle, startEncode } from '../media/encode.ts';
import type { SourceKeyframes } from '../media/keyframes.ts';
import { probeKeyframes } from '../media/keyframes.ts';
import { type AudioTrackInfo, planLadder } from '../media/ladder.ts';
import { AUDIO_DOWNLOAD, audioFolder, downloadFile, variantPlaylist } from '../media/layout.ts';
import { findEncoderProcesses, isEncoderProcess, warmUp } from '../media/process.ts';
import { isPublishedComplete } from '../media/publisher.ts';
import { probeAudioTracks } from '../media/tracks.ts';
import type { LocalStorage } from '../storage/local.ts';
import { LocalOutputs, type OutputSink, type VideoOutputs } from '../storage/outputs.ts';
import type { UploadsStore } from '../storage/uploads-store.ts';
import type { Principal } from './auth.ts';
import type { VideoEventBus } from './events.ts';
import { checkJobMedia, JobMediaError, prepareJobMedia } from './job-media.ts';
import { parseTimestamp, validateRequest } from './job-request.ts';
import { tooManyJobs } from './quotas.ts';
import { downloadUrls, playbackUrls } from './videos.ts';

/**
 * An output this much shorter than the probe promised means the source ended early (a cut download,
 * a header that lies): the job fails with `source_truncated` instead of completing with a stub.
 */
const TRUNCATED_RATIO = 0.9;
const TRUNCATED_SLACK_S = 0.5;

export interface EncodingServiceDeps {
  config: Config;
  storage: LocalStorage;
  files: FilesRepository;
  jobs: JobsRepository;
  events: VideoEventBus;
  log: FastifyBaseLogger;
  /** Queue timings; the defaults suit production, tests shorten them. */
  timings?: Partial<QueueTimings>;
  /** Where sources are read (storage/uploads-store.ts); absent: the local upload path. */
  uploads?: Pick<UploadsStore, 'source'>;
  /** Poster, storyboard and thumbnails, made beside the encode (services/pictures.ts), into its sink. */
  pictures?: {
    jobStarted(job: JobRow, sink?: OutputSink, begin?: Promise<void>): Promise<void>;
    describe(videoId: string): Promise<VideoPictures>;
  };
  /** Where outputs go (storage/outputs.ts); default the video folders of `storage`. */
  outputs?: VideoOutputs;
  /**
   * Wakes idle workers when another process queued a job (PostgreSQL LISTEN/NOTIFY: `JobWaker`);
   * jobs queued by this process wake them in-process. Without one, an idle worker looks every `pollMs`.
   */
  waker?: { next(timeoutMs: number): Promise<unknown> };
}

export interface QueueTimings {
  /** A claimed job belongs to its worker this long without renewal; then it is presumed dead. */
  leaseMs: number;
  /** How often a running job's lease is renewed (well under leaseMs). */
  renewMs: number;
  /** How often an idle worker looks for work it was not woken for (requeued leases, other processes). */
  pollMs: number;
  /** Minimum interval between two `progress` events (and database writes) of one job. */
  progressMs: number;
}

const DEFAULT_TIMINGS: QueueTimings = { leaseMs: 30_000, renewMs: 10_000, pollMs: 2_000, progressMs: 1_000 };

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** A job this process is running right now. */
interface Running {
  job: JobRow;
  handle: EncodeHandle | null;
  /** Why we stop it early, if we do: the outcome is then ours to record, not ffmpeg's. */
  stop: 'cancel' | 'shutdown' | 'lease_lost' | null;
  playable: boolean;
  lastProgressAt: number;
  lastProgress: number;
  /** Resolves when the job's run is over and its outcome recorded. */
  finished: Promise<void>;
  /**
   * The job's writes made from ffmpeg's callbacks (pid, progress, playable), one after the other, so
   * they land in order and are all in before the outcome is recorded.
   */
  writes: Promise<void>;
}

/**
 * The encoding queue: jobs in SQLite with leases, `encodeConcurrency` in-process workers, one ffmpeg
 * per job. A job survives a crash (its lease runs out and it restarts from scratch) and a clean
 * shutdown (it is handed back to the queue). Knows nothing of HTTP.
 */
export class EncodingService {
  /** Lease owner id: host and pid let a reboot on the same host reclaim a dead process's jobs at once. */
  readonly #owner = `${os.hostname()}:${process.pid}:${newId(8)}`;
  readonly #timings: QueueTimings;
  readonly #running = new Map<string, Running>();
  readonly #wakers = new Set<() => void>();
  #workers: Promise<void>[] = [];
  #renewTimer: NodeJS.Timeout | null = null;
  /** The renewal pass under way: a slow database must not stack passes. */
  #renewing: Promise<void> | null = null;
  #stopping = false;

  readonly #outputs: VideoOutputs;

  constructor(readonly deps: EncodingServiceDeps) {
    this.#timings = { ...DEFAULT_TIMINGS, ...deps.timings };
    this.#outputs = deps.outputs ?? new LocalOutputs(deps.storage);
  }

  /** `clip`: what a clip adds to the request (services/clips.ts), checked by its caller. */
  async create(
    principal: Principal,
    body: CreateJobRequest,
    clip?: Pick<JobRequest, 'sourceRange' | 'title'>,
  ): Promise<EncoderJob> {
    const request: JobRequest = { ...validateRequest(body), ...clip };
    const file = isValidId(request.fileId) ? await this.deps.files.get(request.fileId) : undefined;
    if (!file || file.apiKey !== principal.apiKey) {
      throw new ApiError('not_found', `no file ${request.fileId}`);
    }
    if (file.status === 'probing') {
      throw new ApiError('file_not_ready', 'the file is still being probed: retry in a moment');
    }
    if (file.status === 'rejected' || !file.metadata) {
      const reason = file.reason ?? { code: 'probe_failed', message: 'the file was rejected' };
      throw new ApiError('file_rejected', `the file was rejected: ${reason.message}`, reason);
    }
    await checkJobMedia(this.deps.files, principal.apiKey, request, file.metadata);
    if (request.presets?.some((p) => p.format === 'mp4') && !file.metadata.video) {
      throw new ApiError('validation_failed', 'MP4 downloads need a video: this file has only audio');
    }
    const duration = file.metadata.duration;
    if (request.thumbnails?.length && !file.metadata.video) {
      throw new ApiError('validation_failed', '"thumbnails" needs a video stream: this file has only audio');
    }
    for (const t of request.thumbnails ?? []) {
      if (duration > 0 && parseTimestamp(t.timestamp) > duration) {
        throw new ApiError(
          'validation_failed',
          `thumbnail timestamp ${t.timestamp} is past the end of the video (${duration.toFixed(3)} s)`,
        );
      }
    }
    // Count and insert in one step: concurrent creates, on any API node, cannot pass the key's limit.
    const limit = this.deps.config.maxActiveJobsPerKey;
    const row = await this.deps.jobs.insertWithin(
      { jobId: newId(), videoId: newId(), fileId: file.fileId, apiKey: principal.apiKey, request },
      limit,
    );
    if (!row) throw tooManyJobs(limit);
    this.#wake();
    return this.#toJob(row);
  }

  async get(principal: Principal, jobId: string): Promise<EncoderJob> {
    return this.#toJob(await this.#owned(principal, jobId));
  }

  async list(principal: Principal, page: number, perPage: number): Promise<Page<EncoderJob>> {
    const { rows, total } = await this.deps.jobs.list(principal.apiKey, page, perPage);
    return {
      data: await Promise.all(rows.map((r) => this.#toJob(r))),
      pageInfo: { page, perPage, total, lastPage: Math.max(1, Math.ceil(total / perPage)) },
    };
  }

  /**
   * Cancels a queued or running job; a running ffmpeg is killed and gone before this resolves,
   * and the partial output is removed. A job that already ended is a 409.
   */
  async cancel(principal: Principal, jobId: string): Promise<EncoderJob> {
    const job = await this.#owned(principal, jobId);
    if (FINAL.has(job.status) || !(await this.deps.jobs.cancel(jobId, 'cancelled by request'))) {
      const now = (await this.deps.jobs.get(jobId)) ?? job;
      throw new ApiError('conflict', `job ${jobId} already ended (${now.status}): nothing to cancel`);
    }
    const running = this.#running.get(jobId);
    if (running) {
      running.stop ??= 'cancel';
      running.handle?.cancel();
      await running.finished;
    }
    // A cancelled video is gone for good: every feature's output goes with it.
    await this.#outputs.removeVideo(job.videoId);
    const cancelled = (await this.deps.jobs.get(jobId))!;
    this.deps.events.emit({
      type: 'failed',
      videoId: job.videoId,
      data: { jobId, status: 'cancelled', error: cancelled.error },
    });
    return this.#toJob(cancelled);
  }

  /** Starts the workers; jobs left `processing` by a dead process go back to the queue first. */
  start(): void {
    if (this.#workers.length > 0 || this.#stopping) return;
    // The first encode after boot must not wait for fluent-ffmpeg's capability check.
    void warmUp(this.deps.config);
    // Leftover encoders of dead processes are killed before their jobs are requeued and claimed again.
    const reclaimed = this.#reclaimDead().catch((err: unknown) => {
      this.deps.log.error({ err }, 'encoding queue: reclaiming dead jobs failed');
    });
    this.#renewTimer = setInterval(() => {
      this.#renewing ??= this.#renewLeases().finally(() => {
        this.#renewing = null;
      });
    }, this.#timings.renewMs);
    this.#renewTimer.unref();
    for (let i = 0; i < this.deps.config.encodeConcurrency; i++) {
      this.#workers.push(reclaimed.then(() => this.#work()));
    }
  }

  /**
   * Kills running encodes and hands their jobs back to the queue (the next boot restarts them);
   * resolves once every ffmpeg is gone and every worker has returned.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    for (const running of this.#running.values()) {
      running.stop ??= 'shutdown';
      running.handle?.cancel();
    }
    this.#wake();
    await Promise.all(this.#workers);
    await this.#renewing;
    this.#workers = [];
  }

  /** Running jobs of this process and their ffmpeg pids (for health and tests). */
  runningPids(): Map<string, number | null> {
    return new Map([...this.#running].map(([id, r]) => [id, r.handle?.pid() ?? null]));
  }

  async #work(): Promise<void> {
    while (!this.#stopping) {
      let job: JobRow | undefined;
      try {
        for (const requeued of await this.deps.jobs.requeueExpired()) {
          this.deps.log.warn({ jobId: requeued.jobId }, 'encoding job lease expired: requeued');
        }
        job = await this.deps.jobs.claimNext(this.#owner, this.#timings.leaseMs);
      } catch (err) {
        this.deps.log.error({ err }, 'encoding queue: claim failed');
      }
      if (job) await this.#run(job);
      else await this.#sleep(this.#timings.pollMs);
    }
  }

  /** Runs one claimed job to its end. Never throws: every outcome is recorded on the job. */
  async #run(job: JobRow): Promise<void> {
    let finish!: () => void;
    const running: Running = {
      job,
      handle: null,
      stop: null,
      playable: false,
      lastProgressAt: 0,
      lastProgress: -1,
      finished: new Promise((resolve) => {
        finish = resolve;
      }),
      writes: Promise.resolve(),
    };
    this.#running.set(job.jobId, running);
    const { jobs, files, storage, config, log, events } = this.deps;
    let sink: OutputSink | null = null;
    let beginPictures!: () => void;
    const picturesGate = new Promise<void>((resolve) => {
      beginPictures = resolve;
    });
    try {
      const file = await files.get(job.fileId);
      if (file?.status !== 'ready' || !file.metadata) {
        await this.#fail(job, 'source_missing', 'the source file is gone or not ready');
        return;
      }
      // A presigned URL when sources are in S3 (a worker on another machine), else the local path.
      const source = async (fileId: string) =>
        this.deps.uploads ? await this.deps.uploads.source(fileId) : storage.uploadPath(fileId);
      const input = await source(job.fileId);
      // A previous attempt finished the encode (its duration is recorded and every playlist is closed)
      // and died after (making downloads or pictures): keep its output and resume from there. Embedded
      // only: scaled out, each attempt writes a prefix of its own and starts from scratch.
      const resumed =
        this.#outputs.kind === 'local' &&
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
        this.#outputs.openSink(job.videoId, job.attempts, { keepEncode: resumed }),
      ]);
      if (opened.status === 'rejected') throw opened.reason;
      sink = opened.value;
      if (tracks.status === 'fulfilled' && tracks.value.length > 0) audioTracks = tracks.value;
      if (keys.status === 'fulfilled') keyframes = keys.value;
      // A clip's span, a watermark: what the job adds to its source (services/job-media.ts).
      const media = await prepareJobMedia({ config, files, source }, job, file.metadata, input, keyframes);
      const plan = planLadder(file.metadata, {
        resolutions: requestedResolutions(job.request.presets),
        ...(audioTracks ? { audioTracks } : {}),
        ...(keyframes ? { keyframes } : {}),
        ...media.ladder,
      });
      const renditions: Rendition[] = plan.rungs.map((r) => ({
        name: r.name,
        width: r.width,
        height: r.height,
        maxBitrate: r.maxrate,
        playlist: variantPlaylist(r.name),
      }));
      if (running.stop) return await this.#stopped(running, sink);
      // Pictures are registered now (requests for the storyboard wait for them) but start once the
      // video is playable: until then their ffmpegs would take CPU from the first segments.
      const pictures = this.deps.pictures?.jobStarted(job, sink, picturesGate);

      const started = Date.now();
      events.emit({
        type: 'started',
        videoId: job.videoId,
        data: { jobId: job.jobId, attempt: job.attempts },
      });
      const probed = media.durationS;
      let result: { durationS: number };
      if (resumed) {
        log.info({ jobId: job.jobId }, 'encoding job: the encode was complete, resuming after it');
        result = { durationS: job.outputDuration! };
      } else {
        running.handle = startEncode({
          paths: config,
          input,
          outDir: sink.dir,
          sink,
          plan,
          durationS: probed,
          maxDurationS: config.maxDurationSeconds,
          maxPixels: config.maxPixels,
          timeoutMs: config.encodeTimeoutMs,
          ...(media.watermarkInput ? { watermarkInput: media.watermarkInput } : {}),
          onSpawn: (pid) => this.#write(running, () => jobs.setEncoderPid(job.jobId, this.#owner, pid)),
          onProgress: (p) => this.#onProgress(running, p),
          onPlayable: () => {
            beginPictures();
            running.playable = true;
            this.#write(running, async () => {
              if (!(await jobs.markPlayable(job.jobId, this.#owner, renditions))) return;
              log.info({ jobId: job.jobId, ms: Date.now() - started }, 'video playable');
              events.emit({
                type: 'playable',
                videoId: job.videoId,
                data: { jobId: job.jobId, playback: playbackUrls(config.publicUrl, job.videoId), renditions },
              });
            });
          },
        });
        try {
          result = await running.handle.done;
        } catch (err) {
          this.#write(running, () => jobs.setEncoderPid(job.jobId, this.#owner, null));
          await running.writes;
          if (running.stop) return await this.#stopped(running, sink);
          // Not ffmpeg's (a failed upload of the output sink, a disk error): logged, never shown, as it
          // may name internal hosts and paths.
          if (!(err instanceof EncodeError))
            log.warn({ jobId: job.jobId, err }, 'encoding job: outputs failed');
          const e =
            err instanceof EncodeError
              ? err
              : new EncodeError('encode_failed', 'storing the outputs failed', []);
          log.warn({ jobId: job.jobId, code: e.code, stderr: e.stderrTail }, 'encoding job failed');
          // A source over the limits has shown what it is: nothing of it stays served (issue 19 #5),
          // from before the job says `failed`; what its pictures wrote until the failure stopped them
          // goes after.
          const overLimits = e.code === 'too_many_pixels' || e.code === 'too_long';
          if (overLimits) await this.#outputs.removeVideo(job.videoId);
          await this.#fail(job, e.code === 'encode_cancelled' ? 'encode_failed' : e.code, e.message);
          if (overLimits) {
            beginPictures();
            await pictures;
            await this.#outputs.removeVideo(job.videoId);
          }
          return;
        }
        this.#write(running, () => jobs.setEncoderPid(job.jobId, this.#owner, null));
        await running.writes;
        if (running.stop) return await this.#stopped(running, sink);
        const expected = Math.min(probed, config.maxDurationSeconds);
        if (result.durationS < expected * TRUNCATED_RATIO - TRUNCATED_SLACK_S) {
          log.warn({ jobId: job.jobId, probed, output: result.durationS }, 'encoding job: source truncated');
          await this.#fail(
            job,
            'source_truncated',
            `the source ends early: its header promises ${probed.toFixed(3)} s, its media hold ${result.durationS.toFixed(3)} s`,
          );
          return;
        }
        await jobs.setOutputDuration(job.jobId, this.#owner, round3(result.durationS));
      }
      beginPictures();
      const wanted = mp4Resolutions(job.request.presets);
      const audio = plan.audio.find((a) => a.default);
      const m4a = audio && job.request.presets?.some((p) => p.format === 'm4a');
      if ((wanted && plan.rungs.length > 0) || m4a) {
        let rungs = wanted ? plan.rungs.filter((r) => wanted.includes(r.name)) : [];
        if (wanted && rungs.length === 0 && plan.rungs.length > 0) rungs = [plan.rungs.at(-1)!];
        const downloads: Download[] = [];
        try {
          for (const r of rungs) {
            if (running.stop) return await this.#stopped(running, sink);
            const bytes = await makeDownload(
              config,
              sink.dir,
              r.name,
              audio ? audioFolder(audio.index) : null,
              config.encodeTimeoutMs,
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
          if (m4a && audio && !running.stop) {
            const bytes = await makeAudioDownload(
              config,
              sink.dir,
              audioFolder(audio.index),
              config.encodeTimeoutMs,
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
          if (running.stop) return await this.#stopped(running, sink);
          log.warn({ jobId: job.jobId, err }, 'encoding job: a download failed');
          await this.#fail(job, 'encode_failed', 'making a download (MP4, m4a) failed');
          return;
        }
        await jobs.setDownloads(job.jobId, this.#owner, downloads);
      }
      // The job's thumbnails are part of it: `completed` lists them (pictures never reject).
      await pictures;
      if (running.stop) return await this.#stopped(running, sink);
      try {
        // What no playlist names (poster, MP4 downloads) is stored now; embedded, nothing moves.
        // The scratch dir goes before the job says `completed`.
        await sink.finish();
        await sink.close();
      } catch (err) {
        if (running.stop) return await this.#stopped(running, sink);
        log.warn({ jobId: job.jobId, err }, 'encoding job: storing the outputs failed');
        await this.#fail(job, 'encode_failed', 'storing the outputs failed');
        return;
      }
      if (!running.playable) await jobs.markPlayable(job.jobId, this.#owner, renditions);
      if (await jobs.finish(job.jobId, this.#owner, 'completed')) {
        log.info({ jobId: job.jobId, ms: Date.now() - started }, 'encoding job completed');
        // Earlier attempts (lost leases, restarts) are nobody's now.
        await this.#outputs.removeOtherAttempts(job.videoId, job.attempts).catch((err: unknown) => {
          log.warn({ err, videoId: job.videoId }, 'removing earlier attempts failed');
        });
        events.emit({
          type: 'completed',
          videoId: job.videoId,
          data: {
            jobId: job.jobId,
            playback: playbackUrls(config.publicUrl, job.videoId),
            renditions,
            duration: round3(result.durationS),
            ...(await this.deps.pictures?.describe(job.videoId)),
          },
        });
      }
    } catch (err) {
      if (err instanceof JobMediaError) {
        await this.#fail(job, err.code, err.message);
        return;
      }
      log.error({ err, jobId: job.jobId }, 'encoding job crashed');
      try {
        await running.writes;
        await this.#fail(job, 'internal', 'internal error while encoding');
      } catch {
        // the database itself is failing: the lease will expire and the job will be retried
      }
    } finally {
      // A failed or stopped job's pictures were aborted: let their pipeline see it and end.
      beginPictures();
      await sink?.close().catch((err: unknown) => log.warn({ err }, 'removing the scratch dir failed'));
      this.#running.delete(job.jobId);
      finish();
    }
  }

  /** The run ended because we stopped it: record why (a cancel was recorded by cancel()). */
  async #stopped(running: Running, sink?: OutputSink | null): Promise<void> {
    const { job } = running;
    // A lost or handed-back attempt's partial outputs are nobody's (scaled out; embedded: no-op).
    void sink?.abandon().catch(() => {});
    await running.writes;
    if (running.stop === 'shutdown') {
      await this.deps.jobs.release(job.jobId, this.#owner);
      this.deps.log.info({ jobId: job.jobId }, 'encoding job handed back to the queue (shutdown)');
    } else if (running.stop === 'lease_lost') {
      this.deps.log.warn({ jobId: job.jobId }, 'encoding job lease lost: ffmpeg stopped');
    }
  }

  async #fail(job: JobRow, code: JobErrorCode, message: string): Promise<void> {
    if (!(await this.deps.jobs.finish(job.jobId, this.#owner, 'failed', { code, message }))) return;
    this.deps.events.emit({
      type: 'failed',
      videoId: job.videoId,
      data: { jobId: job.jobId, status: 'failed', error: { code, message } },
    });
  }

  #onProgress(running: Running, progress: number): void {
    const now = Date.now();
    const rounded = Math.round(progress * 10) / 10;
    if (rounded === running.lastProgress || rounded >= 100) return;
    if (now - running.lastProgressAt < this.#timings.progressMs) return;
    running.lastProgressAt = now;
    running.lastProgress = rounded;
    this.#write(running, () => this.deps.jobs.updateProgress(running.job.jobId, this.#owner, rounded));
    this.deps.events.emit({
      type: 'progress',
      videoId: running.job.videoId,
      data: { jobId: running.job.jobId, progress: rounded },
    });
  }

  /** Queues one of a running job's writes behind the previous ones; a failure is logged, not thrown. */
  #write(running: Running, write: () => Promise<unknown>): void {
    running.writes = running.writes.then(write).then(
      () => {},
      (err: unknown) =>
        this.deps.log.error({ err, jobId: running.job.jobId }, 'encoding job: a write failed'),
    );
  }

  async #renewLeases(): Promise<void> {
    for (const running of [...this.#running.values()]) {
      try {
        if (await this.deps.jobs.renewLease(running.job.jobId, this.#owner, this.#timings.leaseMs)) continue;
      } catch (err) {
        this.deps.log.error({ err }, 'encoding queue: lease renewal failed');
        continue;
      }
      // Cancelled elsewhere, or requeued because we stalled: the job is not ours any more.
      running.stop ??= 'lease_lost';
      running.handle?.cancel();
    }
  }

  /**
   * Jobs held by a process of this host that no longer exists (killed, crashed) go back to the
   * queue now instead of when their lease runs out, after their orphaned ffmpeg (if it still writes
   * the job's folder) is killed. Other hosts' jobs wait for their leases.
   */
  async #reclaimDead(): Promise<void> {
    const host = os.hostname();
    for (const job of await this.deps.jobs.listProcessing()) {
      const [owner, pid] = (job.leaseOwner ?? '').split(':');
      if (owner !== host || !pid || isAlive(Number(pid))) continue;
      await killOrphan(job.encoderPid, this.#outputs.workDirMarker(job.videoId, job.attempts));
      if (await this.deps.jobs.release(job.jobId, job.leaseOwner!)) {
        this.deps.log.warn(
          { jobId: job.jobId, orphan: job.encoderPid },
          'encoding job of a dead process: requeued',
        );
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
      // Another process's job (PostgreSQL NOTIFY) ends the nap too.
      this.deps.waker?.next(ms).then(done, done);
    });
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  async #owned(principal: Principal, jobId: string): Promise<JobRow> {
    const job = isValidId(jobId) ? await this.deps.jobs.get(jobId) : undefined;
    if (!job || job.apiKey !== principal.apiKey) throw new ApiError('not_found', `no job ${jobId}`);
    return job;
  }

  async #toJob(row: JobRow): Promise<EncoderJob> {
    return toEncoderJob(row, this.deps.config.publicUrl, await this.deps.pictures?.describe(row.videoId));
  }
}

export function toEncoderJob(
  row: JobRow,
  publicUrl: string,
  pictures: VideoPictures = { storyboard: null, thumbnails: [] },
): EncoderJob {
  return {
    jobId: row.jobId,
    videoId: row.videoId,
    fileId: row.fileId,
    status: row.status,
    progress: row.progress,
    renditions: row.renditions,
    playback: row.playable ? playbackUrls(publicUrl, row.videoId) : null,
    downloads: downloadUrls(publicUrl, row.videoId, row.downloads),
    error: row.error,
    thumbnails: pictures.thumbnails,
    storyboard: pictures.storyboard,
    userData: row.userData,
    webhookUrl: row.webhookUrl,
    protected: row.protected,
    watermark: row.request.watermark ?? null,
    sourceRange: row.request.sourceRange ?? null,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * SIGKILLs the leftover ffmpegs of a dead server (the recorded pid and any other process of the
 * encode's groups) and waits until they are gone. A pid is only trusted when that process is an ffmpeg
 * writing `outDir`: pids are recycled.
 */
async function killOrphan(pid: number | null, outDir: string): Promise<void> {
  const pids = new Set(await findEncoderProcesses(outDir));
  if (pid !== null && (await isEncoderProcess(pid, outDir))) pids.add(pid);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      pids.delete(p);
    }
  }
  for (const p of pids) {
    for (let i = 0; i < 100 && (await isEncoderProcess(p, outDir)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
function requestedResolutions(presets: EncodePreset[] | undefined): Resolution[] | undefined {
  const hls = (presets ?? []).filter((p) => p.format !== 'mp4' && p.format !== 'm4a');
  if (hls.length === 0 || hls.some((p) => !p.resolutions?.length)) return undefined;
  const all = new Set((presets ?? []).flatMap((p) => p.resolutions ?? []));
  return [...all];
}
