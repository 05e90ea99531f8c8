import os from 'node:os';
import type { ChunkTaskRow, JobRow } from '../db/repositories.ts';
import { newId } from '../ids.ts';
import { findEncoderProcesses, isEncoderProcess, warmUp } from '../media/process.ts';
import { chunkStoreFor } from '../storage/chunk-store.ts';
import { MAX_CHUNK_TRIES } from './chunk-queue.ts';
import { ChunkRun } from './chunk-run.ts';
import { JobRun, type RunDeps, type StopReason } from './job-run.ts';

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

export const DEFAULT_TIMINGS: QueueTimings = {
  leaseMs: 30_000,
  renewMs: 10_000,
  pollMs: 2_000,
  progressMs: 1_000,
};

export interface WorkerDeps extends RunDeps {
  timings: QueueTimings;
  /**
   * Wakes idle workers when another process queued a job (PostgreSQL LISTEN/NOTIFY: `JobWaker`);
   * jobs queued by this process wake them through `wake()`. Without one, an idle worker looks every `pollMs`.
   */
  waker?: { next(timeoutMs: number): Promise<unknown> } | undefined;
}

/**
 * The side of the queue that claims and runs: `encodeConcurrency` in-process workers, each claiming
 * a job with a lease, renewing it while the job runs (services/job-run.ts), and handing it back on
 * shutdown. A job survives a crash (its lease runs out and it restarts from scratch, or the next boot
 * on this host reclaims it at once).
 */
export class EncodingWorker {
  /** Lease owner id: host and pid let a reboot on the same host reclaim a dead process's jobs at once. */
  readonly owner = `${os.hostname()}:${process.pid}:${newId(8)}`;
  readonly #running = new Map<string, JobRun>();
  /** Chunk tasks this process encodes for any job's owner (issue 17 #2), by `jobId/attempt/index`. */
  readonly #chunks = new Map<string, ChunkRun>();
  readonly #wakers = new Set<() => void>();
  #workers: Promise<void>[] = [];
  #renewTimer: NodeJS.Timeout | null = null;
  #chunkTimer: NodeJS.Timeout | null = null;
  #renewingChunks: Promise<void> | null = null;
  /** The renewal pass under way: a slow database must not stack passes. */
  #renewing: Promise<void> | null = null;
  #stopping = false;

  constructor(readonly deps: WorkerDeps) {}

  /** Starts the workers; jobs left `processing` by a dead process go back to the queue first. */
  start(): void {
    if (this.#workers.length > 0 || this.#stopping) return;
    const { config, log } = this.deps;
    // The first encode after boot must not wait for fluent-ffmpeg's capability check.
    void warmUp(config);
    // Leftover encoders of dead processes are killed before their jobs are requeued and claimed again.
    const reclaimed = this.#reclaimDead().catch((err: unknown) => {
      log.error({ err }, 'encoding queue: reclaiming dead jobs failed');
    });
    this.#renewTimer = setInterval(() => {
      this.#renewing ??= this.#renewLeases().finally(() => {
        this.#renewing = null;
      });
    }, this.deps.timings.renewMs);
    this.#renewTimer.unref();
    // A chunk's lease is renewed more often than a job's: a refusal is how a cancel reaches the
    // workers encoding its chunks, and they must stop promptly.
    const { renewMs, pollMs } = this.deps.timings;
    this.#chunkTimer = setInterval(
      () => {
        this.#renewingChunks ??= this.#renewChunks().finally(() => {
          this.#renewingChunks = null;
        });
      },
      Math.min(renewMs, pollMs),
    );
    this.#chunkTimer.unref();
    for (let i = 0; i < config.encodeConcurrency; i++) {
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
    if (this.#chunkTimer) clearInterval(this.#chunkTimer);
    for (const run of this.#running.values()) run.halt('shutdown');
    for (const run of this.#chunks.values()) run.halt('shutdown');
    this.wake();
    await Promise.all(this.#workers);
    await this.#renewing;
    await this.#renewingChunks;
    this.#workers = [];
  }

  /** Stops the job's run when this process runs it; resolves once its outcome is recorded. */
  async halt(jobId: string, reason: StopReason): Promise<void> {
    // Its chunks encoded here stop too (other processes': at their next chunk lease renewal).
    for (const chunk of this.#chunks.values()) if (chunk.task.jobId === jobId) chunk.halt(reason);
    const run = this.#running.get(jobId);
    if (!run) return;
    run.halt(reason);
    await run.finished;
  }

  /** Running jobs of this process and their ffmpeg pids (for health and tests). */
  runningPids(): Map<string, number | null> {
    return new Map([...this.#running].map(([id, r]) => [id, r.handle?.pid() ?? null]));
  }

  /** Wakes the idle workers: a job was queued by this process. */
  wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  async #work(): Promise<void> {
    const { jobs, log } = this.deps;
    while (!this.#stopping) {
      let job: JobRow | undefined;
      let chunk: ChunkTaskRow | undefined;
      try {
        for (const requeued of await jobs.requeueExpired()) {
          log.warn({ jobId: requeued.jobId }, 'encoding job lease expired: requeued');
        }
        // A chunk first: it finishes a job already under way (and playable) sooner.
        chunk = await this.#claimChunk();
        if (!chunk) job = await jobs.claimNext(this.owner, this.deps.timings.leaseMs);
      } catch (err) {
        log.error({ err }, 'encoding queue: claim failed');
      }
      if (chunk) await this.#runChunk(chunk);
      else if (job) await this.#run(job);
      else await this.#sleep(this.deps.timings.pollMs);
    }
  }

  async #run(job: JobRow): Promise<void> {
    const run = new JobRun(
      job,
      { ...this.deps, wakeWorkers: () => this.wake() },
      this.owner,
      this.deps.timings.progressMs,
      () => this.#running.delete(job.jobId),
    );
    this.#running.set(job.jobId, run);
    await run.run();
  }

  async #claimChunk(): Promise<ChunkTaskRow | undefined> {
    const tasks = this.deps.chunkTasks;
    if (!tasks) return undefined;
    for (const t of await tasks.requeueExpired(MAX_CHUNK_TRIES)) {
      this.deps.log.warn(
        { jobId: t.jobId, chunk: t.index, status: t.status },
        'chunk lease expired: requeued (or failed past its tries)',
      );
    }
    return tasks.claim(this.owner, this.deps.timings.leaseMs);
  }

  async #runChunk(task: ChunkTaskRow): Promise<void> {
    const chunkTasks = this.deps.chunkTasks!;
    const run = new ChunkRun(
      task,
      { ...this.deps, chunkTasks, chunkStore: chunkStoreFor(this.deps.outputs, this.deps.storage) },
      this.owner,
    );
    const id = `${task.jobId}/${task.attempt}/${task.index}`;
    this.#chunks.set(id, run);
    try {
      await run.run();
    } finally {
      this.#chunks.delete(id);
    }
  }

  async #renewChunks(): Promise<void> {
    const tasks = this.deps.chunkTasks;
    if (!tasks) return;
    for (const run of [...this.#chunks.values()]) {
      try {
        if (await tasks.renew(run.key, this.owner, this.deps.timings.leaseMs)) continue;
      } catch (err) {
        this.deps.log.error({ err }, 'encoding queue: chunk lease renewal failed');
        continue;
      }
      // Its job was cancelled or failed, or the chunk was requeued after we stalled.
      run.halt('lease_lost');
    }
  }

  async #renewLeases(): Promise<void> {
    for (const run of [...this.#running.values()]) {
      try {
        if (await this.deps.jobs.renewLease(run.job.jobId, this.owner, this.deps.timings.leaseMs)) continue;
      } catch (err) {
        this.deps.log.error({ err }, 'encoding queue: lease renewal failed');
        continue;
      }
      // Cancelled elsewhere, or requeued because we stalled: the job is not ours any more.
      run.halt('lease_lost');
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
      await killOrphan(job.encoderPid, this.deps.outputs.workDirMarker(job.videoId, job.attempts));
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
}

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
