/*
 * Chunked encoding's scheduler (issue 17 #2), pure: where a long source is cut into chunks that
 * workers encode apart, which cuts of the segment grid each chunk forces keyframes on, and in what
 * order finished chunks are published.
 *
 * A chunk boundary is always a cut of the global segment grid (schedule.ts `gridCut`): a chunk's first
 * segment then starts exactly where the previous chunk's last one ended, on every rung, and the
 * publisher writes the same `#EXTINF`s as for a whole encode. Among the grid cuts near the wanted
 * chunk length, the one closest after a source keyframe is taken ("GOP-aligned"): the chunk's decode
 * starts at that keyframe, so it decodes nothing it throws away when a keyframe lies on the grid (a
 * copied source's grid is its keyframes; 1, 2 and 4 s GOPs land on the schedule), and at most one
 * GOP otherwise.
 */

/** One chunk of a source: instants in seconds from its first frame shown (the grid's origin). */
export interface ChunkPlan {
  index: number;
  /** The chunk's first instant: a grid cut (0 for the first). */
  fromS: number;
  /** Where the next chunk starts (a grid cut); null for the last, which runs to the source's end. */
  toS: number | null;
  /** The number of the chunk's first segment on the grid (segment n runs from cut n to cut n + 1). */
  firstSegment: number;
  /** The source keyframe at or before `fromS` where its decode starts (`fromS` when none is known). */
  decodeFromS: number;
}

/** A chunk boundary is looked for within this share of the chunk length around the wanted one. */
const WINDOW = 0.25;
/** The last chunk takes the remainder when it would be shorter than this share of a chunk. */
const MIN_LAST = 0.5;
/** Instants this close are the same (keyframe times are rounded to the microsecond). */
const EPSILON_S = 1e-6;

/**
 * The chunks of a source of `durationS` seconds cut every `chunkS` seconds or so, on the grid
 * `cutAt(n)` (n ≥ 1, null past its last cut), preferring cuts right after one of `keyframes`
 * (ascending, seconds from the first frame; empty when unknown). One chunk (no chunking) when the
 * source is not longer than two chunks.
 */
export function planChunks(
  cutAt: (n: number) => number | null,
  keyframes: readonly number[],
  durationS: number,
  chunkS: number,
): ChunkPlan[] {
  const whole: ChunkPlan[] = [{ index: 0, fromS: 0, toS: null, firstSegment: 0, decodeFromS: 0 }];
  if (!(chunkS > 0) || durationS <= 2 * chunkS) return whole;
  const chunks = whole;
  let n = 1;
  for (;;) {
    const from = chunks.at(-1)!.fromS;
    const wanted = from + chunkS;
    if (durationS - wanted < chunkS * MIN_LAST) break;
    // The grid cuts in the window around the wanted boundary; the first past it when none is.
    let best: { n: number; cut: number; waste: number } | null = null;
    let first: { n: number; cut: number } | null = null;
    for (let m = n; ; m++) {
      const cut = cutAt(m);
      if (cut === null || cut >= durationS - EPSILON_S) break;
      if (cut <= from + EPSILON_S) continue;
      if (cut > wanted + chunkS * WINDOW) {
        first ??= { n: m, cut };
        break;
      }
      if (cut >= wanted - chunkS * WINDOW) {
        first ??= { n: m, cut };
        const waste = cut - keyframeAtOrBefore(keyframes, cut, cut);
        // Least decode thrown away, then closest to the wanted length.
        if (
          !best ||
          waste < best.waste - EPSILON_S ||
          (Math.abs(waste - best.waste) <= EPSILON_S && Math.abs(cut - wanted) < Math.abs(best.cut - wanted))
        ) {
          best = { n: m, cut, waste };
        }
      }
    }
    const chosen = best ?? first;
    if (!chosen || durationS - chosen.cut < chunkS * MIN_LAST) break;
    chunks.at(-1)!.toS = chosen.cut;
    chunks.push({
      index: chunks.length,
      fromS: chosen.cut,
      toS: null,
      firstSegment: chosen.n,
      decodeFromS: keyframeAtOrBefore(keyframes, chosen.cut, chosen.cut),
    });
    n = chosen.n + 1;
  }
  return chunks;
}

/** The last keyframe at or before `t`; `fallback` when none is known. */
function keyframeAtOrBefore(keyframes: readonly number[], t: number, fallback: number): number {
  let found: number | null = null;
  for (const k of keyframes) {
    if (k > t + EPSILON_S) break;
    found = k;
  }
  return found ?? fallback;
}

/**
 * The grid cuts inside a chunk, its own start first: where each of its encoded rungs forces a
 * keyframe, so that the HLS muxer (cutting at every keyframe) cuts its segments exactly there.
 */
export function chunkCuts(
  chunk: ChunkPlan,
  cutAt: (n: number) => number | null,
  durationS: number,
): number[] {
  const cuts = [chunk.fromS];
  const end = chunk.toS ?? durationS;
  for (let n = chunk.firstSegment + 1; ; n++) {
    const cut = cutAt(n);
    if (cut === null || cut >= end - EPSILON_S) break;
    if (cut > chunk.fromS + EPSILON_S) cuts.push(cut);
  }
  return cuts;
}

/**
 * Ordered publication: the chunk whose segments may be published now (every chunk before it is
 * done), or null once all are. Its segments go out as they appear; a later chunk's wait, however
 * early it finished, so that playlists only ever grow at their end.
 */
export function publishingChunk(done: readonly boolean[]): number | null {
  const head = done.indexOf(false);
  return head === -1 ? null : head;
}
