/**
 * Scaling in steps (issue 17 #1): each encoded rung is scaled from a larger rung's already scaled
 * frames, not from the decoded source, so only the first step reads full-resolution frames. Measured on
 * a 1080p30 source (decode + the four scales of a 1080 ladder, nothing encoded): about 3 CPU-s per 10 s
 * of video from the source each time, about 1.5 in steps; SSIM of a stepped 480/360/240 against the
 * source scaled directly is 0.9997–0.9999 before any encode (docs/architecture.md, Encoding).
 */

export interface ScaleStep {
  width: number;
  height: number;
  /** The rung's output rate (null: the source's). */
  fps: number | null;
}

/** Within this many pixels of twice the size: an exact halving, which scales cleanest. */
const HALF_SLACK = 2;

/**
 * For each rung (any order), the index of the rung whose scaled frames it is made from, or null: the
 * decoded source. A parent is larger on both sides and carries every frame the rung keeps (the same
 * rate, or the source's: a rung's `fps` filter then runs before its scale). Among those, one exactly
 * twice the rung's size wins (720 → 360, 480 → 240), else the smallest (1080 → 720 → 480).
 */
export function scaleParents(rungs: readonly ScaleStep[]): (number | null)[] {
  return rungs.map((r) => {
    const larger = rungs
      .map((p, j) => ({ p, j }))
      .filter(
        ({ p }) =>
          p.width >= r.width &&
          p.height >= r.height &&
          p.width * p.height > r.width * r.height &&
          (p.fps === null || p.fps === r.fps),
      );
    if (larger.length === 0) return null;
    const half = larger.find(
      ({ p }) =>
        Math.abs(p.width - 2 * r.width) <= HALF_SLACK && Math.abs(p.height - 2 * r.height) <= HALF_SLACK,
    );
    if (half) return half.j;
    return larger.reduce((a, b) => (b.p.width * b.p.height < a.p.width * a.p.height ? b : a)).j;
  });
}
