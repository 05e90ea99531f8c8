/** Small helpers shared by the bench modules: summaries, ratios, timing, progress on stderr. */

export interface Summary {
  n: number;
  medianMs: number;
  /** Nearest-rank 95th percentile: with n ≤ 20 it is the largest sample. */
  p95Ms: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

const round = (v: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (no interpolation). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export function summarize(samplesMs: readonly number[]): Summary {
  return {
    n: samplesMs.length,
    medianMs: round(median(samplesMs)),
    p95Ms: round(percentile(samplesMs, 95)),
    minMs: round(Math.min(...samplesMs)),
    maxMs: round(Math.max(...samplesMs)),
    samplesMs: samplesMs.map((v) => round(v)),
  };
}

/** subject / baseline, two decimals: 1.00 means as fast as the baseline, 2.00 twice as slow. */
export function ratio(subject: number, baseline: number): number {
  return round(subject / baseline, 2);
}

export { round };

/** Milliseconds spent in `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Progress goes to stderr: stdout carries only the JSON document. */
export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
