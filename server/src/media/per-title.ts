import type { ComplexityProbe, ProbePoint } from './complexity.ts';
import type { EncodePlan, RungPlan } from './ladder.ts';

/*
 * Per-title rate control (issue 17 #3), pure: the complexity probe's CRF/SSIM curve (media/complexity.ts)
 * → each encoded rung's CRF and VBV cap. Measured on the bench's sources (docs/architecture.md): the
 * ladder's capped CRF is governed by its CRF, not its cap, on all but the hardest content (a still
 * picture's 1080 rung spends 0.8 Mbit/s under a 5 Mbit/s cap), so lowering caps alone saves nothing.
 * Per title, the CRF moves to where the probe's SSIM meets the title's target; the cap follows the
 * bitrate that CRF costs, raised for content the fixed cap starves.
 */

export interface PerTitleRules {
  /** The SSIM (x264 luma, at the probe's size) every title aims for at least. */
  ssimFloor: number;
  /** How far below the fixed ladder's own SSIM (at the probe) an easy title may go to save bytes. */
  dropBudget: number;
  /** CRF offsets allowed: never outside what the probe measured. */
  minOffset: number;
  maxOffset: number;
  /** The cap is the expected bitrate times this (peaks above the samples' mean)… */
  headroom: number;
  /** …within these multiples of the fixed ladder's cap. */
  capMin: number;
  capMax: number;
  /** Bitrate grows with pixels to this power (below 1: bigger pictures cheaper per pixel). */
  sizeExponent: number;
}

/*
 * dropBudget 0.0035 and sizeExponent 1, measured on the bench's 1080p sources (docs/architecture.md):
 * the probe's 360p samples understate a detailed title's top rung (testsrc2's 1080 rung loses 1.2× the
 * probe's SSIM drop, the still source's 0.5×), and bits grow about with pixels on such content, so a
 * cap from pixels^0.75 starved it (0.0009 of its SSIM). With 0.004 and 0.75 that rung fell 0.0059.
 */
export const PER_TITLE_RULES: PerTitleRules = {
  ssimFloor: 0.98,
  dropBudget: 0.0035,
  minOffset: -3,
  maxOffset: 6,
  headroom: 2,
  capMin: 0.5,
  capMax: 1.5,
  sizeExponent: 1,
};

/** What the probe decided, for logs and the bench. */
export interface PerTitleDecision {
  crfOffset: number;
  /** The SSIM the offset was chosen for (x264 luma at the probe's size). */
  targetSsim: number;
  /** Whether the fixed caps starve this title (its SSIM at the ladder's CRF is under the floor). */
  hard: boolean;
}

/** Linear interpolation of `y` over ascending `x`, clamped to the ends. */
function interpolate(points: readonly ProbePoint[], x: number, y: (p: ProbePoint) => number): number {
  const first = points[0]!;
  const last = points.at(-1)!;
  if (x <= first.crfOffset) return y(first);
  if (x >= last.crfOffset) return y(last);
  const i = points.findIndex((p) => p.crfOffset >= x);
  const a = points[i - 1]!;
  const b = points[i]!;
  const t = (x - a.crfOffset) / (b.crfOffset - a.crfOffset);
  return y(a) + t * (y(b) - y(a));
}

/**
 * The CRF offset for a title: the highest whose SSIM meets max(floor, SSIM at offset 0 − budget),
 * interpolated between the measured points; the lowest allowed when none does (a title the floor is
 * out of reach for gets the most bits the rules allow). One decimal (x264 takes a fractional CRF).
 */
export function chooseOffset(
  points: readonly ProbePoint[],
  rules: PerTitleRules = PER_TITLE_RULES,
): PerTitleDecision {
  const sorted = [...points].sort((a, b) => a.crfOffset - b.crfOffset);
  // A curve that is not monotonic (noise in x264's measure) is read as its running minimum.
  let low = Number.POSITIVE_INFINITY;
  const curve = sorted.map((p) => {
    low = Math.min(low, p.ssim);
    return { ...p, ssim: low };
  });
  const base = interpolate(curve, 0, (p) => p.ssim);
  const targetSsim = Math.max(rules.ssimFloor, base - rules.dropBudget);
  const hard = base < rules.ssimFloor;
  const lo = Math.max(rules.minOffset, curve[0]!.crfOffset);
  const hi = Math.min(rules.maxOffset, curve.at(-1)!.crfOffset);
  let offset = lo;
  if (interpolate(curve, lo, (p) => p.ssim) >= targetSsim) {
    offset = hi;
    // The last measured segment that still meets the target, then the exact crossing within it.
    for (let i = curve.length - 1; i > 0; i--) {
      const a = curve[i - 1]!;
      const b = curve[i]!;
      if (a.ssim < targetSsim) continue;
      if (b.ssim >= targetSsim) offset = b.crfOffset;
      else offset = a.crfOffset + ((a.ssim - targetSsim) / (a.ssim - b.ssim)) * (b.crfOffset - a.crfOffset);
      break;
    }
    offset = Math.min(hi, Math.max(lo, offset));
  }
  return { crfOffset: Math.round(offset * 10) / 10, targetSsim: Math.round(targetSsim * 1e5) / 1e5, hard };
}

/**
 * A rung's CRF and cap for a title. The cap is the bitrate the chosen CRF is expected to cost at the
 * rung's size and rate, times the headroom, kept within [capMin, capMax] × the fixed cap; an easy title
 * never gets more than the fixed cap, a hard one never less.
 */
export function tuneRung(
  rung: RungPlan,
  fps: number,
  probe: Pick<ComplexityProbe, 'width' | 'height' | 'points'>,
  decision: PerTitleDecision,
  rules: PerTitleRules = PER_TITLE_RULES,
): RungPlan {
  const sorted = [...probe.points].sort((a, b) => a.crfOffset - b.crfOffset);
  // Bits fall about exponentially with the CRF: interpolated in the log domain.
  const bitsPerFrame = Math.exp(interpolate(sorted, decision.crfOffset, (p) => Math.log(p.bitsPerFrame)));
  const scale = ((rung.width * rung.height) / (probe.width * probe.height)) ** rules.sizeExponent;
  const expected = bitsPerFrame * scale * fps * rules.headroom;
  const low = rung.maxrate * (decision.hard ? 1 : rules.capMin);
  const high = rung.maxrate * (decision.hard ? rules.capMax : 1);
  const maxrate = Math.round(Math.min(high, Math.max(low, expected)) / 1000) * 1000;
  return {
    ...rung,
    crf: Math.round((rung.crf + decision.crfOffset) * 10) / 10,
    maxrate,
    bufsize: maxrate * 2,
  };
}

/**
 * The plan with every rung tuned except those in `keep` (the start group's: its first segments are
 * out before the probe is done, and a rung is encoded with one set of settings from start to end) and
 * the copied one.
 */
export function tunePlan(
  plan: EncodePlan,
  probe: Pick<ComplexityProbe, 'width' | 'height' | 'points'>,
  keep: ReadonlySet<number>,
  rules: PerTitleRules = PER_TITLE_RULES,
): { plan: EncodePlan; decision: PerTitleDecision } {
  const decision = chooseOffset(probe.points, rules);
  const rungs = plan.rungs.map((r, i) =>
    r.copy || keep.has(i) ? r : tuneRung(r, r.fps ?? plan.sourceFps ?? 30, probe, decision, rules),
  );
  return { plan: { ...plan, rungs }, decision };
}
