import type { ChunkTasksRepository } from '../db/repositories.ts';
import type { ChunkQueue } from '../media/chunked-encode.ts';
import type { ChunkPlan } from '../media/chunks.ts';
import { EncodeError } from '../media/encode.ts';
import type { EncodePlan } from '../media/ladder.ts';
import type { ChunkStore } from '../storage/chunk-store.ts';

/*
 * Chunks as tasks of the shared queue (issue 17 #2), the owner's side: the worker that planned a job
 * puts its chunks in the queue (db chunk_tasks), holds the first itself (the start group), claims
 * more for its own lane, and collects the chunks other workers finished into its `.chunks/` for the
 * joiner (media/chunked-encode.ts). Any idle worker claims the rest (services/chunk-run.ts).
 */

/** What any worker needs to encode one chunk, stored with its task (JSON). */
export interface ChunkSpec {
  plan: EncodePlan;
  chunk: ChunkPlan;
  /** The grid's origin in ffmpeg's clock (media/chunked-encode.ts `originS`). */
  originS: number;
  durationS: number;
  /** This chunk renders the encode's poster. */
  poster: boolean;
}

/** A chunk is tried this many times (a crash, a timeout, an ffmpeg error) before its job fails. */
export const MAX_CHUNK_TRIES = 3;
/** The database is asked at most this often when it had no chunk to claim, and for other workers' finished chunks. */
const ASK_MS = 400;
/** A finished chunk that cannot be fetched this many times fails the job. */
const MAX_FETCH_FAILURES = 5;

export interface SharedChunkQueueDeps {
  tasks: ChunkTasksRepository;
  store: ChunkStore;
  owner: string;
  job: { jobId: string; videoId: string; attempt: number };
  leaseMs: number;
  renewMs: number;
}

export class SharedChunkQueue implements ChunkQueue {
  /** Chunks this process holds (their leases are renewed here). */
  readonly #held = new Set<number>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #askedClaimAt = 0;
  #askedCollectAt = 0;
  readonly #fetchFailures = new Map<number, number>();

  constructor(readonly deps: SharedChunkQueueDeps) {}

  /** Queues every chunk but the first, which this process holds; false when the job is not ours any more. */
  async plan(specs: readonly ChunkSpec[]): Promise<boolean> {
    const { tasks, owner, job, leaseMs, renewMs } = this.deps;
    const ok = await tasks.plan(
      job.jobId,
      job.attempt,
      owner,
      job.videoId,
      specs.map((spec) => ({ index: spec.chunk.index, spec, ownerRuns: spec.chunk.index === 0 })),
      leaseMs,
    );
    if (!ok) return false;
    this.#held.add(0);
    this.#timer = setInterval(() => void this.#renew(), renewMs);
    this.#timer.unref();
    return true;
  }

  #key(index: number) {
    return { jobId: this.deps.job.jobId, attempt: this.deps.job.attempt, index };
  }

  async #renew(): Promise<void> {
    for (const k of [...this.#held]) {
      // A lost chunk (the job was cancelled) stops with the job; nothing to do here.
      await this.deps.tasks.renew(this.#key(k), this.deps.owner, this.deps.leaseMs).catch(() => false);
    }
  }

  async claim(): Promise<number | null> {
    const now = Date.now();
    if (this.#closed || now - this.#askedClaimAt < ASK_MS) return null;
    this.#askedClaimAt = now;
    const { tasks, owner, job, leaseMs } = this.deps;
    // A dead worker's chunk comes back here too when no other worker is left to requeue it.
    await tasks.requeueExpired(MAX_CHUNK_TRIES);
    const task = await tasks.claim(owner, leaseMs, job.jobId);
    if (!task) return null;
    // Only an empty answer waits ASK_MS: a lane that just took a chunk takes the next at once.
    this.#askedClaimAt = 0;
    this.#held.add(task.index);
    return task.index;
  }

  async finished(k: number): Promise<void> {
    this.#held.delete(k);
    // False: our lease ran out meanwhile and another worker has it; our copy is as good.
    await this.deps.tasks.complete(this.#key(k), this.deps.owner);
  }

  async failed(k: number, err: unknown): Promise<void> {
    this.#held.delete(k);
    const message = err instanceof Error ? err.message : String(err);
    await this.deps.tasks.giveBack(this.#key(k), this.deps.owner, message.slice(0, 500), MAX_CHUNK_TRIES);
  }

  async collect(done: readonly boolean[], into: (k: number) => string): Promise<number[]> {
    const now = Date.now();
    if (this.#closed || now - this.#askedCollectAt < ASK_MS) return [];
    this.#askedCollectAt = now;
    const { tasks, store, job } = this.deps;
    const collected: number[] = [];
    for (const t of await tasks.list(job.jobId, job.attempt)) {
      if (t.status === 'failed') {
        throw new EncodeError(
          'encode_failed',
          `chunk ${t.index} of the video failed ${t.tries} times: ${t.error ?? 'no reason given'}`,
        );
      }
      if (t.status !== 'done' || done[t.index] || this.#held.has(t.index)) continue;
      try {
        await store.fetch(job.videoId, job.attempt, t.index, into(t.index));
      } catch (err) {
        // A store that fails now may answer on the next tick (its client already retried); not forever.
        const failures = (this.#fetchFailures.get(t.index) ?? 0) + 1;
        this.#fetchFailures.set(t.index, failures);
        if (failures >= MAX_FETCH_FAILURES) {
          const reason = err instanceof Error ? err.message : String(err);
          throw new EncodeError(
            'encode_failed',
            `fetching chunk ${t.index} failed ${failures} times: ${reason}`,
          );
        }
        continue;
      }
      collected.push(t.index);
    }
    return collected;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
