import fs from 'node:fs';
import type { ChunkTaskRow, ChunkTasksRepository } from '../db/repositories.ts';
import { chunkFfmpegJobs } from '../media/chunked-encode.ts';
import { OVERRUN_S, REST_NICE } from '../media/encode.ts';
import { type RunHandle, runFfmpeg } from '../media/process.ts';
import { sourceRedactions } from '../media/source.ts';
import type { ChunkStore } from '../storage/chunk-store.ts';
import { type ChunkSpec, MAX_CHUNK_TRIES } from './chunk-queue.ts';
import type { RunDeps, StopReason } from './job-run.ts';

/*
 * One chunk task claimed by this worker (issue 17 #2), whoever owns its job: every encoded rung of
 * the chunk's frames, into a scratch folder, stored whole (storage/chunk-store.ts) before the task
 * says `done`. Its lease is renewed by the worker (services/encoding-worker.ts); a renewal refused
 * (the job was cancelled or failed, or the task requeued after we stalled) halts it.
 */
export class ChunkRun {
  stop: StopReason | null = null;
  readonly #handles: RunHandle[] = [];

  constructor(
    readonly task: ChunkTaskRow,
    readonly deps: RunDeps & { chunkTasks: ChunkTasksRepository; chunkStore: ChunkStore },
    readonly owner: string,
  ) {}

  get key() {
    return { jobId: this.task.jobId, attempt: this.task.attempt, index: this.task.index };
  }

  halt(reason: StopReason): void {
    this.stop ??= reason;
    for (const h of this.#handles) h.cancel();
  }

  /** Encodes and stores the chunk, or hands it back. Never throws. */
  async run(): Promise<void> {
    const { task, deps } = this;
    const { config, chunkTasks, chunkStore, log } = deps;
    let dir: string | null = null;
    try {
      const job = await deps.jobs.get(task.jobId);
      if (job?.status !== 'processing' || job.attempts !== task.attempt) return;
      const input = deps.uploads
        ? await deps.uploads.source(job.fileId)
        : deps.storage.uploadPath(job.fileId);
      dir = await chunkStore.scratch(task.videoId, task.attempt, task.index);
      const spec = task.spec as ChunkSpec;
      const jobs = chunkFfmpegJobs(
        spec.plan,
        {
          input,
          maxDurationS: config.maxDurationSeconds + OVERRUN_S,
          maxPixels: config.maxPixels,
          ...(config.encodeThreads ? { threads: config.encodeThreads } : {}),
        },
        spec.chunk,
        { originS: spec.originS, durationS: spec.durationS, poster: spec.poster },
        dir,
      );
      const redact = [...sourceRedactions(input), [dir, 'output'] as [string, string]];
      const runs = jobs.map(({ job: ffmpeg }) => {
        const h = runFfmpeg(ffmpeg, {
          paths: config,
          timeoutMs: config.encodeTimeoutMs,
          nice: REST_NICE,
          redact,
        });
        this.#handles.push(h);
        if (this.stop) h.cancel();
        return h.done;
      });
      const outcome = await Promise.allSettled(runs);
      const bad = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (bad) throw bad.reason;
      if (this.stop) throw new Error('stopped');
      await chunkStore.store(task.videoId, task.attempt, task.index, dir);
      dir = null;
      if (!(await chunkTasks.complete(this.key, this.owner))) {
        log.warn({ jobId: task.jobId, chunk: task.index }, 'chunk encoded after its lease was lost');
      }
    } catch (err) {
      if (dir) await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
      if (this.stop === 'lease_lost' || this.stop === 'cancel') return;
      // A shutdown hands the chunk back untried; a failure counts towards MAX_CHUNK_TRIES.
      const message = this.stop ? null : err instanceof Error ? err.message.slice(0, 500) : String(err);
      if (message) log.warn({ jobId: task.jobId, chunk: task.index, err }, 'encoding a chunk failed');
      await chunkTasks.giveBack(this.key, this.owner, message, MAX_CHUNK_TRIES).catch((e: unknown) => {
        log.error({ err: e }, 'handing a chunk back failed: its lease will expire');
      });
    }
  }
}
