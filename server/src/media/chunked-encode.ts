import fs from 'node:fs';
import path from 'node:path';
import { type ChunkPlan, chunkCuts, publishingChunk } from './chunks.ts';
import {
  closeOutput,
  type EncodeHandle,
  type EncodeOptions,
  type EncodeResult,
  earlyStart,
  OVERRUN_S,
  PUBLISH_EARLY_MS,
  PUBLISH_MS,
  REST_NICE,
  renditionSpecs,
  START_NICE,
} from './encode.ts';
import { buildEncodeArgs, type EncodeGroup, scheduleOf } from './encode-args.ts';
import type { EncodePlan } from './ladder.ts';
import { CHUNKS_FOLDER, INIT_FILE, POSTER_FILE, SEGMENT_NAME } from './layout.ts';
import { EncodeError, type FfmpegJob, type RunHandle, renice, runFfmpeg } from './process.ts';
import { PlaylistPublisher, writeAtomic } from './publisher.ts';
import { type Retiming, retimeSegment, retimingFor, takeEditList } from './retime.ts';
import { gridCut } from './schedule.ts';
import { sourceRedactions } from './source.ts';

/*
 * Chunked encoding (issue 17 #2), run in this process: the source's video is cut into chunks
 * (media/chunks.ts), each encoded on every encoded rung by its own ffmpeg into `.chunks/<k>/`; the
 * audio and a copied top rung are made once, whole, by one more process that decodes no video (no AAC
 * priming gap at a join, no copy cut mid-GOP). Chunks are joined in order into the rung folders, the
 * first chunk's segments as they appear (it is the start group: the time to playable does not change),
 * a later chunk's once every chunk before it is done; the publisher then lists them as it lists a
 * whole encode's.
 */

export interface ChunkedEncodeOptions extends EncodeOptions {
  /** At least two, from media/chunks.ts planChunks (instants from the first frame shown). */
  chunks: ChunkPlan[];
  /** The first frame shown, in ffmpeg's clock (seconds from the format's start): the grid's origin. */
  originS: number;
  /** How many chunk encodes run at once here (each with `threads`). */
  parallel: number;
  /**
   * Who encodes the chunks after the first (services/chunk-queue.ts: tasks of the shared queue, any
   * worker); default: this process, in order. The first chunk is always this process's: it is the
   * start group.
   */
  queue?: ChunkQueue;
}

/**
 * The chunks after the first as a queue this process takes from: other workers may take some too,
 * and their finished chunks are collected into `.chunks/<k>/` for the joiner.
 */
export interface ChunkQueue {
  /** The next chunk for this process to encode (claimed for it), or null when none is waiting now. */
  claim(): Promise<number | null>;
  /** This process encoded chunk `k` into `.chunks/<k>/`. */
  finished(k: number): Promise<void>;
  /** This process failed on chunk `k`; throws when the encode must fail now (no retry left). */
  failed(k: number, err: unknown): Promise<void>;
  /**
   * Chunks finished by other workers and not `done` here yet, each fetched into `into(k)` before it is
   * returned; throws an EncodeError when a chunk failed for good.
   */
  collect(done: readonly boolean[], into: (k: number) => string): Promise<number[]>;
  /** The encode is over: nothing more is claimed or renewed. */
  close(): void;
}

/** Every chunk after the first, here, in order: no other worker helps. */
export function localChunkQueue(count: number): ChunkQueue {
  let next = 1;
  return {
    claim: async () => (next < count ? next++ : null),
    finished: async () => {},
    failed: async (_k, err) => {
      throw err;
    },
    collect: async () => [],
    close: () => {},
  };
}

/** What a chunk's processes share with a whole encode's (the source, limits, threads). */
export interface ChunkCommon {
  input: EncodeOptions['input'];
  maxDurationS: number;
  maxPixels?: number;
  threads?: number;
}

/**
 * The ffmpeg processes of one chunk, writing into `dir`: every encoded rung of its frames, keyframes
 * forced on its grid cuts. The first chunk's lowest rung runs alone (`start`: the start group) when
 * there are more; a later chunk's rungs share one process. Used by the owner and by any worker that
 * claimed the chunk (services/chunk-run.ts).
 */
export function chunkFfmpegJobs(
  plan: EncodePlan,
  common: ChunkCommon,
  c: ChunkPlan,
  at: { originS: number; durationS: number; poster: boolean },
  dir: string,
): { job: FfmpegJob; start: boolean }[] {
  const encoded = plan.rungs.flatMap((r, i) => (r.copy ? [] : [i]));
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const window = {
    decodeFromS: at.originS + c.decodeFromS,
    fromS: at.originS + c.fromS,
    toS: c.toS === null ? null : at.originS + c.toS,
    keyframesS: chunkCuts(c, grid, at.durationS).map((t) => at.originS + t),
    firstSegment: c.firstSegment,
  };
  const groups: EncodeGroup[] =
    c.index === 0 && encoded.length > 1
      ? [
          { rungs: [encoded[0]!], audio: [], poster: false },
          { rungs: encoded.slice(1), audio: [], poster: at.poster },
        ]
      : [{ rungs: encoded, audio: [], poster: at.poster }];
  return groups.map((g, i) => ({
    job: buildEncodeArgs(plan, { ...common, outDir: dir, chunk: window }, g),
    start: c.index === 0 && groups.length > 1 && i === 0,
  }));
}

/** The chunk that renders the encode's poster (the one holding its instant). */
export function posterChunkOf(plan: EncodePlan, chunks: readonly ChunkPlan[], originS: number): number {
  const posterAt = plan.poster.kind === 'frame' ? plan.poster.atSeconds - originS : 0;
  return Math.max(
    0,
    chunks.findLastIndex((c) => c.fromS <= posterAt),
  );
}

/** One rung being joined: its chunks' segments move into the rung's folder in order. */
interface JoinState {
  /** The first chunk's shift (media/retime.ts), fixed when its init is joined. */
  base: Retiming | null;
  /** The chunk being joined and what its segments are retimed by (its shift minus the first's). */
  delta: { chunk: number; by: Retiming } | null;
  /** The next segment number to move. */
  next: number;
}

export function startChunkedEncode(options: ChunkedEncodeOptions): EncodeHandle {
  const { plan, outDir, chunks } = options;
  const encoded = plan.rungs.flatMap((r, i) => (r.copy ? [] : [i]));
  const copied = plan.rungs.flatMap((r, i) => (r.copy ? [i] : []));
  const chunksDir = path.join(outDir, CHUNKS_FOLDER);
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const maxS = options.maxDurationS + OVERRUN_S;
  const common = {
    input: options.input,
    maxDurationS: maxS,
    ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  };
  const posterChunk = posterChunkOf(plan, chunks, options.originS);

  // The whole-source process: every audio track and the copied rung; no video decoded.
  const wholeGroup: EncodeGroup = { rungs: copied, audio: plan.audio.map((_, i) => i), poster: false };
  const chunkJobs: { job: FfmpegJob; start: boolean }[][] = [];
  let whole: FfmpegJob | null;
  try {
    whole =
      wholeGroup.rungs.length + wholeGroup.audio.length > 0
        ? buildEncodeArgs(plan, { ...common, outDir }, wholeGroup)
        : null;
    for (const c of chunks) {
      chunkJobs.push(
        chunkFfmpegJobs(
          plan,
          common,
          c,
          { originS: options.originS, durationS: options.durationS, poster: c.index === posterChunk },
          path.join(chunksDir, String(c.index)),
        ),
      );
    }
    fs.mkdirSync(chunksDir, { recursive: true });
  } catch (err) {
    const error = new EncodeError('encode_failed', err instanceof Error ? err.message : String(err));
    return { done: Promise.reject(error), cancel: () => {}, pid: () => null, pids: () => [] };
  }

  const specs = renditionSpecs(plan);
  const early = earlyStart(plan, [
    { rungs: [encoded[0]!, ...copied], audio: wholeGroup.audio, poster: false },
  ]);
  const handles: RunHandle[] = [];
  const startPids: number[] = [];
  const publisher = new PlaylistPublisher(
    outDir,
    specs,
    plan.rungs.length > 0 ? plan.startRung : 0,
    plan.targetDuration,
    () => {
      // The start group has done its part: from now on it shares the CPU like the rest.
      for (const pid of startPids) renice(pid, REST_NICE);
      options.onPlayable?.();
    },
    options.sink ?? null,
    early,
    (n) => grid(n),
  );
  const redact = [...sourceRedactions(options.input), [outDir, 'output'] as [string, string]];
  const expected = Math.min(options.durationS, options.maxDurationS);
  const lengths = chunks.map((c) => (c.toS ?? expected) - c.fromS);
  const chunkTime = chunks.map(() => 0);
  let wholeTime = 0;
  const report = () => {
    if (!(expected > 0)) return;
    const video = chunkTime.reduce((t, x) => t + x, 0) / expected;
    const audio = whole ? wholeTime / expected : 1;
    options.onProgress?.(Math.min(99.9, Math.max(0, Math.min(video, audio) * 100)));
  };
  const queue = options.queue ?? localChunkQueue(chunks.length);
  // Lanes with nothing to claim wait for the next join tick (which collects other workers' chunks).
  let waiters: (() => void)[] = [];
  const nextTick = () => new Promise<void>((resolve) => waiters.push(resolve));
  const wakeLanes = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  let failed: unknown = null;
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    for (const h of handles) h.cancel();
    queue.close();
    wakeLanes();
  };
  /** Runs one ffmpeg; its failure stops the whole encode unless `abort` is false (a queued chunk's). */
  const run = (job: FfmpegJob, nice: number, onTime: (t: number) => void, abort = true): Promise<void> => {
    if (cancelled) return Promise.reject(new EncodeError('encode_cancelled', 'the encode was cancelled'));
    const h = runFfmpeg(job, {
      paths: options.paths,
      timeoutMs: options.timeoutMs,
      nice,
      onSpawn: (pid) => {
        if (nice === START_NICE) startPids.push(pid);
        options.onSpawn?.(pid);
      },
      onTime,
      redact,
    });
    handles.push(h);
    return h.done.catch((err: unknown) => {
      if (!abort && !cancelled) throw err;
      failed ??= err;
      cancel();
      throw err;
    });
  };

  // The first chunk runs here at once; the others are claimed from the queue, `parallel` at a time
  // here (other workers may take some). The first chunk's two processes count as one slot.
  const chunkDone = chunks.map(() => false);
  const chunkDir = (k: number) => path.join(chunksDir, String(k));
  const markDone = (k: number) => {
    chunkTime[k] = lengths[k]!;
    chunkDone[k] = true;
    report();
  };
  const runChunk = async (k: number): Promise<void> => {
    const c = chunks[k]!;
    const fromAbs = options.originS + c.fromS;
    const jobs = chunkJobs[k]!.map(({ job, start }) =>
      run(
        job,
        start ? START_NICE : REST_NICE,
        (t) => {
          if (start) return;
          chunkTime[k] = Math.min(lengths[k]!, Math.max(chunkTime[k]!, t - fromAbs));
          report();
        },
        k === 0,
      ),
    );
    if (k === 0) {
      await Promise.all(jobs);
    } else {
      // A later chunk's failure is the queue's to retry (here or on another worker) until it gives up.
      const outcome = await Promise.allSettled(jobs);
      const bad = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (bad) {
        if (cancelled) throw bad.reason;
        chunkTime[k] = 0;
        await fs.promises.rm(chunkDir(k), { recursive: true, force: true });
        await queue.failed(k, bad.reason);
        return;
      }
    }
    await queue.finished(k);
    markDone(k);
  };
  const lane = async (first: number | null): Promise<void> => {
    if (first !== null) await runChunk(first);
    while (failed === null && !cancelled && !chunkDone.every(Boolean)) {
      const k = await queue.claim();
      if (k === null) await nextTick();
      else await runChunk(k);
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(options.parallel, chunks.length)) }, (_, i) =>
    lane(i === 0 ? 0 : null).catch((err: unknown) => {
      failed ??= err;
      cancel();
      throw err;
    }),
  );
  const wholeDone = whole
    ? run(whole, START_NICE, (t) => {
        wholeTime = t;
        report();
      })
    : Promise.resolve();

  // Joining and publishing, on a timer like the whole encode's publisher.
  const join = new Joiner(
    outDir,
    chunksDir,
    encoded.map((i) => plan.rungs[i]!.name),
    chunks,
  );
  let stopped = false;
  let timer: NodeJS.Timeout;
  const tick = () => {
    void queue
      .collect(chunkDone, chunkDir)
      .then(
        (collected) => {
          for (const k of collected) markDone(k);
        },
        (err: unknown) => {
          failed ??= err;
          cancel();
        },
      )
      .then(() => join.step(chunkDone))
      .then(() => publisher.refresh())
      .catch(() => {})
      .then(() => {
        wakeLanes();
        if (stopped) return;
        timer = setTimeout(tick, publisher.playable ? PUBLISH_MS : PUBLISH_EARLY_MS);
        timer.unref();
      });
  };
  timer = setTimeout(tick, PUBLISH_EARLY_MS);
  timer.unref();

  const all = Promise.all([wholeDone, ...lanes]);
  all.catch(() => {});
  const done = Promise.allSettled([wholeDone, ...lanes]).then(async (): Promise<EncodeResult> => {
    stopped = true;
    clearTimeout(timer);
    queue.close();
    try {
      await all;
      if (failed !== null) throw failed;
      await join.step(chunkDone);
      if (!join.complete) throw new EncodeError('encode_failed', 'a chunk of the encode is missing');
      return await closeOutput(publisher, options);
    } finally {
      await fs.promises.rm(chunksDir, { recursive: true, force: true }).catch(() => {});
    }
  });
  return {
    done,
    cancel,
    pid: () => handles.at(-1)?.pid() ?? null,
    pids: () => handles.map((h) => h.pid()).filter((p): p is number => p !== null),
  };
}

/**
 * Moves finished chunks' segments into the rung folders, in order (publishingChunk): the first chunk's
 * init and segments as they are, a later chunk's retimed by the difference between its own shift and
 * the first chunk's (each chunk's init says, in its edit list, where it starts on the source's
 * timeline; the publisher then applies the first chunk's shift to all). Its init is not needed: the
 * chunks' inits differ only in that edit list.
 */
class Joiner {
  readonly #states: Map<string, JoinState>;
  #head = 0;
  #running: Promise<void> = Promise.resolve();

  constructor(
    readonly outDir: string,
    readonly chunksDir: string,
    readonly rungs: readonly string[],
    readonly chunks: readonly ChunkPlan[],
  ) {
    this.#states = new Map(rungs.map((r) => [r, { base: null, delta: null, next: 0 }]));
  }

  get complete(): boolean {
    return this.#head >= this.chunks.length;
  }

  /** One pass; passes never overlap. */
  step(done: readonly boolean[]): Promise<void> {
    this.#running = this.#running.catch(() => {}).then(() => this.#step(done));
    return this.#running;
  }

  async #step(done: readonly boolean[]): Promise<void> {
    for (;;) {
      const head = publishingChunk(done.map((d, i) => d || i < this.#head));
      // Read "done" before listing, so a chunk that ends meanwhile is listed whole on the next pass.
      const finished = head === null || head > this.#head;
      if (this.#head >= this.chunks.length) return;
      for (const rung of this.rungs) await this.#moveRung(this.#head, rung);
      if (!finished) return;
      // The chunk holding the poster's instant rendered it (media/encode-args.ts `poster`).
      await fs.promises
        .rename(
          path.join(this.chunksDir, String(this.#head), POSTER_FILE),
          path.join(this.outDir, POSTER_FILE),
        )
        .catch(() => {});
      // A chunk must make exactly its grid segments: a gap would stall every playlist there.
      const end = this.chunks[this.#head + 1]?.firstSegment;
      for (const rung of this.rungs) {
        const moved = this.#states.get(rung)!.next;
        if (end !== undefined ? moved !== end : moved <= this.chunks[this.#head]!.firstSegment) {
          throw new Error(`${rung}: chunk ${this.#head} ended at segment ${moved}, the grid wants ${end}`);
        }
      }
      this.#head++;
    }
  }

  async #moveRung(k: number, rung: string): Promise<void> {
    const from = path.join(this.chunksDir, String(k), rung);
    const state = this.#states.get(rung)!;
    let names: string[];
    try {
      names = await fs.promises.readdir(from);
    } catch {
      return;
    }
    const numbers = new Set(
      names
        .map((n) => SEGMENT_NAME.exec(n)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number),
    );
    const to = path.join(this.outDir, rung);
    await fs.promises.mkdir(to, { recursive: true });
    for (let n = state.next; numbers.has(n); n++) {
      const name = `seg_${String(n).padStart(5, '0')}.m4s`;
      const segment = await fs.promises.readFile(path.join(from, name));
      if (k === 0) {
        if (!state.base) {
          const init = await fs.promises.readFile(path.join(from, INIT_FILE));
          state.base = retimingFor(takeEditList(Buffer.from(init)), segment);
          await writeAtomic(path.join(to, INIT_FILE), init);
        }
      } else {
        if (!state.base) throw new Error(`${rung}: chunk ${k} before the first chunk's init`);
        if (state.delta?.chunk !== k) {
          // From the chunk's own init and first segment, as the publisher does for a rendition.
          const init = await fs.promises.readFile(path.join(from, INIT_FILE));
          const own = retimingFor(takeEditList(init), segment);
          const by = {
            tfdtShift: own.tfdtShift - state.base.tfdtShift,
            ctsShift: own.ctsShift - state.base.ctsShift,
          };
          state.delta = { chunk: k, by };
        }
        retimeSegment(segment, state.delta.by);
      }
      await writeAtomic(path.join(to, name), segment);
      state.next = n + 1;
    }
  }
}
