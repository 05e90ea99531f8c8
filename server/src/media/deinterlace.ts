import type { FieldOrder } from '@vodkit/api';

/**
 * Interlaced sources (broadcast, camcorders, DVDs) are deinterlaced once, right after the decode, so
 * that every rung, the poster, thumbnails and the storyboard get whole progressive frames instead of
 * two interleaved fields (which comb on every moving edge).
 *
 * - Whether: the probe's field order (`tt`, `bb`, `tb`, `bt`; see isInterlaced). Nothing is decoded.
 * - `bwdif`, `send_frame`: one frame out per frame in (1080i25 → 1080p25), as YouTube asks of uploads
 *   (1080i60 → 1080p30) and Google's Transcoder API does by default. The ladder's frame-rate rules and
 *   the segment schedule then apply unchanged; `send_field` (1080i25 → 50p) would double the frames the
 *   top rungs encode and raise their caps ×1.5 for smoother motion (see docs/architecture.md).
 * - `parity=auto`: each frame's own field order, as its decoder read it from the bitstream. ffprobe's
 *   stream-level order is not that: a bottom-field-first H.264 TS or MP4 probes as `tt` (the H.264
 *   parser's default), while its frames and `idet` say bottom first.
 * - `deint=interlaced`: frames the decoder marks progressive pass untouched (film on a DVD, progressive
 *   inserts in a broadcast), so only the interlaced ones lose any vertical detail.
 */
export const DEINTERLACE_FILTER = 'bwdif=mode=send_frame:parity=auto:deint=interlaced';

const INTERLACED = new Set<string>(['tt', 'bb', 'tb', 'bt']);

/**
 * Codecs whose field order ffprobe leaves `unknown` in some containers while their frames are interlaced:
 * DV (SD DV is always interlaced; DV in AVI probes `unknown`) and MPEG-4 Part 2 in AVI. For them an
 * unknown order deinterlaces too: `deint=interlaced` leaves progressive frames as they are.
 */
const UNKNOWN_MAY_BE_INTERLACED = new Set(['dvvideo', 'mpeg4']);

/**
 * True when the probed stream may hold two fields per frame, and is deinterlaced (and never copied).
 * A field order absent (files probed before it was recorded) counts as progressive.
 */
export function isInterlaced(video: { codec: string; fieldOrder?: FieldOrder | undefined }): boolean {
  const order = video.fieldOrder;
  return INTERLACED.has(order ?? '') || (order === 'unknown' && UNKNOWN_MAY_BE_INTERLACED.has(video.codec));
}

/** The filters to put first after the decode: the deinterlacer, or nothing for progressive video. */
export const deinterlaceFilters = (interlaced: boolean | undefined): string[] =>
  interlaced ? [DEINTERLACE_FILTER] : [];
