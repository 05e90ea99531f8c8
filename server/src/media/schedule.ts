/**
 * Where segments are cut: short ones first so a player can start at once, then the full length.
 *
 * ffmpeg 5.1's HLS muxer can only do this one way: `-hls_init_time i -hls_time T -hls_list_size 1`
 * cuts at i, 2i, then i+T, i+2T, … (its "init list" ends once the one-entry list starts sliding).
 * Its playlists are ignored (Vodkit writes its own), so the sliding window costs nothing, and every
 * video rung forces its keyframes at exactly these instants, so segments line up across the ladder.
 * With i = 1 and T = 4: 1, 1, 3, then 4 s segments.
 */
export interface SegmentSchedule {
  firstSeconds: number;
  seconds: number;
}

/** The `n`th cut (n = 0 is the start of the video), seconds. */
export function boundary(s: SegmentSchedule, n: number): number {
  if (n < 3) return n * s.firstSeconds;
  return s.firstSeconds + (n - 2) * s.seconds;
}

/**
 * The segment grid every video rung is cut on, seconds from the first presented frame: the `n`th cut
 * (n ≥ 1), or null past the last. A copied source's cuts (`forced`) when there are any, else the
 * schedule's. The encoded rungs force their keyframes there and the publisher writes `#EXTINF` from it.
 */
export function gridCut(s: SegmentSchedule, forced: readonly number[] | null, n: number): number | null {
  if (forced) return forced[n - 1] ?? null;
  return boundary(s, n);
}

/** Every cut up to `durationS` (exclusive of 0). */
export function boundaries(s: SegmentSchedule, durationS: number): number[] {
  const out: number[] = [];
  for (let n = 1; boundary(s, n) < durationS; n++) out.push(boundary(s, n));
  return out;
}

/**
 * x264's `-force_key_frames` expression for the same instants, counted from the rung's first frame
 * (n_forced counts the ones so far). The HLS muxer counts its cuts from its first packet, and a video
 * that starts after the audio (an empty edit in the source) has its first frame at that delay in the
 * encoder's clock: the first frame's time is kept in the expression's register 0 (`st`/`ld` persist
 * from one frame to the next), so both count from the same instant.
 */
export function keyframeExpression(s: SegmentSchedule): string {
  const i = s.firstSeconds;
  const t = s.seconds;
  return `expr:if(eq(n,0),st(0,t)*0+1,gte(t-ld(0),if(lt(n_forced,3),n_forced*${i},${i}+(n_forced-2)*${t})))`;
}

/** The HLS muxer options that make ffmpeg cut there. */
export function hlsTimingOptions(s: SegmentSchedule): string[] {
  return ['-hls_init_time', String(s.firstSeconds), '-hls_time', String(s.seconds), '-hls_list_size', '1'];
}

/** The longest segment the schedule makes: `#EXT-X-TARGETDURATION` from the first playlist on. */
export function targetDuration(s: SegmentSchedule): number {
  return Math.max(s.seconds, s.firstSeconds);
}

/** Longer source GOPs than this cannot be copied: segments that long make a slow start and coarse seeks. */
export const MAX_COPY_SEGMENT_S = 6;
/**
 * Nor can a source whose first GOP is longer than this: every rung's first segment would be that long,
 * and the video playable only once the encoded rungs got that far (encoding starts with 1 s segments).
 */
export const MAX_COPY_FIRST_SEGMENT_S = 2.5;

/**
 * The cuts the HLS muxer will make in a stream whose keyframes are `keyframes` (seconds from its first
 * frame): for each scheduled boundary, the first keyframe past the previous cut and at or after it. The
 * encoded rungs get keyframes forced at exactly these instants, so they are cut at the same places.
 * Null when the source's GOPs make segments longer than MAX_COPY_SEGMENT_S, or a first one longer than
 * MAX_COPY_FIRST_SEGMENT_S (or it has no keyframe at its start).
 */
export function cutsFromKeyframes(
  keyframes: readonly number[],
  s: SegmentSchedule,
  durationS: number,
): { cuts: number[]; longestS: number } | null {
  if (keyframes[0] !== 0) return null;
  const cuts: number[] = [];
  let previous = 0;
  let longest = 0;
  let i = 1;
  for (let n = 1; i < keyframes.length; n++) {
    const b = boundary(s, n);
    while (i < keyframes.length && !(keyframes[i]! > previous && keyframes[i]! >= b - 1e-6)) i++;
    if (i >= keyframes.length) break;
    const cut = keyframes[i]!;
    longest = Math.max(longest, cut - previous);
    cuts.push(cut);
    previous = cut;
  }
  longest = Math.max(longest, durationS - previous);
  const first = cuts[0] ?? durationS;
  return longest <= MAX_COPY_SEGMENT_S && first <= MAX_COPY_FIRST_SEGMENT_S
    ? { cuts, longestS: longest }
    : null;
}

/** `#EXT-X-TARGETDURATION` for segments up to `longestS`: EXTINF rounded to the nearest second may not exceed it. */
export function targetFor(longestS: number): number {
  return Math.max(1, Math.round(longestS + 0.05));
}
