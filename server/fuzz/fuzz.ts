import fs from 'node:fs';
import path from 'node:path';
import { Isolate, IsolateError } from '../src/media/isolate.ts';
import { Rng } from './mutate.ts';

/*
 * A mutation fuzzer for the parsers of uploaded bytes. Each input runs in a worker thread with a heap
 * limit and a deadline (media/isolate.ts, as the server runs its parsers): an input must end with a
 * result or a typed rejection within `timeoutMs` and `maxHeapMb`. Anything else (an untyped throw, a
 * hang, the heap limit, a dead worker) is a crash, and its input is saved for replay.
 */

export interface Target {
  /** The export of the targets module that takes the input bytes. */
  name: string;
  seeds: Buffer[];
  mutate: (seed: Buffer, rng: Rng, others: Buffer[]) => Buffer;
}

export interface Crash {
  target: string;
  reason: string;
  message: string;
  /** The input, saved for `npm run fuzz -- --replay <file>`. */
  file: string;
}

export interface TargetStats {
  target: string;
  execs: number;
  /** Ended with a result. */
  ok: number;
  /** Ended with a typed rejection (MP4_MALFORMED, captions_*, probe_failed). */
  rejected: number;
  crashes: Crash[];
}

export interface FuzzOptions {
  /** The module whose exports are the targets. */
  module: URL;
  targets: Target[];
  /** Total time, shared equally by the targets. */
  seconds: number;
  seed: number;
  /** Where crashing inputs are written. */
  crashDir: string;
  timeoutMs?: number;
  maxHeapMb?: number;
}

/** Crashing inputs saved per target (the rest are counted). */
const MAX_SAVED = 20;

export async function fuzz(options: FuzzOptions): Promise<TargetStats[]> {
  const { module, targets, seconds, crashDir, timeoutMs = 1_000, maxHeapMb = 256 } = options;
  const rng = new Rng(options.seed);
  const isolate = new Isolate(module, { timeoutMs, maxHeapMb, maxWaiting: 1 });
  fs.mkdirSync(crashDir, { recursive: true });
  const stats: TargetStats[] = [];
  try {
    // Load the module before the clock starts: tsx compiles it on a cold cache.
    const first = targets[0];
    if (first) await isolate.call(first.name, [first.seeds[0]]).catch(() => {});
    for (const target of targets) {
      const s: TargetStats = { target: target.name, execs: 0, ok: 0, rejected: 0, crashes: [] };
      stats.push(s);
      // Inputs that parsed: mutated further, they reach past the first checks.
      const corpus = [...target.seeds];
      const until = Date.now() + (seconds * 1000) / targets.length;
      while (Date.now() < until) {
        const input = target.mutate(rng.pick(corpus), rng, target.seeds);
        s.execs++;
        try {
          const out = await isolate.call<{ ok?: true; rejected?: string }>(target.name, [input]);
          if (out?.rejected) s.rejected++;
          else {
            s.ok++;
            if (corpus.length < 256 && rng.chance(0.05)) corpus.push(input);
          }
        } catch (err) {
          const reason = err instanceof IsolateError ? err.reason : 'harness';
          const message =
            err instanceof IsolateError && err.error
              ? `${err.error.name}: ${err.error.message}`
              : String(err);
          const file = path.join(crashDir, `${target.name}-${s.crashes.length}.bin`);
          if (s.crashes.length < MAX_SAVED) fs.writeFileSync(file, input);
          s.crashes.push({ target: target.name, reason, message, file });
        }
      }
    }
  } finally {
    await isolate.close();
  }
  return stats;
}

/** One line per target, for logs and the report. */
export function summary(stats: TargetStats[]): string {
  return stats
    .map(
      (s) =>
        `${s.target.padEnd(12)} ${String(s.execs).padStart(8)} execs  ${String(s.ok).padStart(8)} ok  ${String(s.rejected).padStart(8)} rejected  ${s.crashes.length} crashes`,
    )
    .join('\n');
}
