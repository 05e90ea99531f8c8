/**
 * Playing a video that is still encoding: its media playlists are EVENT playlists that grow until
 * `#EXT-X-ENDLIST`. Pure decisions about when playback may run ahead of the encoder; the player's
 * `ProcessingController` feeds them from hls.js' playlist updates.
 */

/** What is known of the encode at one moment. */
export interface EncodeProgress {
  /** Seconds of media published so far: where the playlist ends. */
  edge: number;
  /** Seconds the whole video will last, when known (the server's oEmbed answer). */
  total: number | null;
  /** Seconds of media published per second of wall clock, when measured. */
  rate: number | null;
  /** The playlist's target duration: how much is published at a time. */
  targetDuration: number;
}

/** Playback pauses itself when less than this is published ahead of it (before the buffer runs dry). */
export const HOLD_AT_S = 1.5;
/** The longest hold-back asked for when the encoder's speed or the total is not known. */
const MAX_AHEAD_S = 30;

/**
 * How much must be published ahead of `at` before playback (re)starts. With the total and the
 * encoder's speed known, enough that playing at 1× reaches the end no sooner than the encoder does
 * (a slower-than-real-time encode then plays through with one wait, at the start); otherwise a few
 * segments, more when the encoder is measured slower than real time.
 */
export function resumeAhead(p: EncodeProgress, at: number): number {
  const base = Math.max(2 * p.targetDuration, 2 * HOLD_AT_S);
  const { rate, total } = p;
  if (rate === null || rate >= 1) return base;
  const left = total === null ? Number.POSITIVE_INFINITY : Math.max(total - at, 0);
  const needed =
    total === null || rate <= 0
      ? Math.min(base / Math.max(rate, 0.05), MAX_AHEAD_S)
      : ((1 - rate) * Math.max(total - p.edge, 0)) / rate + HOLD_AT_S;
  // Never more than what remains of the video: then the wait ends when the encode does.
  return Math.min(Math.max(base, needed), left);
}

/**
 * Whether playback at `at` must wait for the encoder: while playing, when the published end is
 * about to be reached; while already waiting, until `resumeAhead` is published.
 */
export function mustHold(p: EncodeProgress, at: number, holding: boolean): boolean {
  const ahead = p.edge - at;
  return holding ? ahead < resumeAhead(p, at) - 1e-3 : ahead < HOLD_AT_S;
}

/** The share of the video published, as a whole percentage below 100 until it is done; null unknown. */
export function readyPercent(edge: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.min(99, Math.max(0, Math.floor((100 * edge) / total)));
}

/**
 * The encoder's speed from (wall clock ms, published seconds) samples: the slope over the last
 * `windowMs`, once they span at least two seconds and the edge moved; else null.
 */
export function encodeRate(
  samples: readonly { at: number; edge: number }[],
  windowMs = 15_000,
): number | null {
  const last = samples[samples.length - 1];
  if (!last) return null;
  const first = samples.find((s) => last.at - s.at <= windowMs) ?? last;
  const ms = last.at - first.at;
  if (ms < 2000 || last.edge <= first.edge) return ms >= 4000 ? 0 : null;
  return (last.edge - first.edge) / (ms / 1000);
}
