import { BoxReader, boxes, children, Mp4FormatError, path } from './mp4/boxes.ts';

/*
 * Puts each rendition on the source's timeline in the fragments' own timestamps. ffmpeg 5.1's HLS muxer
 * starts every track's tfdt at 0 and keeps the real start only in init.mp4's edit list (an empty edit
 * for a stream that starts late, a media time for B-frame reordering and the AAC priming), and hls.js +
 * MSE ignore edit lists: a B-frame rung showed its first frame two frames late, audio that started
 * 0.5 s after the video played at 0. So the publisher, before it lists a file, rewrites in place:
 * - tfdt += shift, so that a sample's tfdt + composition offset is its time on the source's timeline
 *   plus TIMELINE_LEAD_S (one common offset for every rendition, which players subtract);
 * - every composition offset −= the first sample's (trun version 1, signed), so a video fragment's first
 *   frame is shown at its decode time: no hole before it (hls.js `bufferSeekOverHole`);
 * - init.mp4's `edts` becomes a `free` box, so a player that honours edit lists (Safari) does not shift twice.
 * The AAC priming (1024 samples) is thereby declared in the timestamps: it plays before the audio's
 * start, and the first real sample lands where the source's does.
 */

/** Every rendition starts this much after the source's origin: room for the AAC priming (≤ 1024 samples at 44.1 kHz). */
export const TIMELINE_LEAD_S = 0.1;

/** What the init segment's edit list said, in the track's ticks. */
export interface EditShift {
  timescale: number;
  /** Empty edits before the media: the track starts this late. */
  empty: number;
  /** Media time where presentation starts (B-frame delay, encoder priming, hidden frames). */
  mediaTime: number;
}

/** How a rendition's fragments are rewritten; fixed at its first segment. */
export interface Retiming {
  /** Added to every tfdt, ticks. */
  tfdtShift: number;
  /** Subtracted from every composition offset, ticks. */
  ctsShift: number;
}

/**
 * Reads the edit list of an init segment (one track) and turns `edts` into `free` in place (the same
 * size: the file is rewritten, never resized). Throws when `init` is not an init segment.
 */
export function takeEditList(init: Buffer): EditShift {
  const mvhdBox = path(init, 'moov', 'mvhd');
  const mdhdBox = path(init, 'moov', 'trak', 'mdia', 'mdhd');
  if (!mvhdBox || !mdhdBox) throw new Mp4FormatError('not an init segment: no mvhd/mdhd');
  const mvhd = new BoxReader(init, mvhdBox);
  const mdhd = new BoxReader(init, mdhdBox);
  const movieScale = mvhd.u32(mvhd.version === 1 ? 20 : 12);
  const timescale = mdhd.u32(mdhd.version === 1 ? 20 : 12);
  const edts = path(init, 'moov', 'trak', 'edts');
  const elstBox = edts && path(init, 'moov', 'trak', 'edts', 'elst');
  let empty = 0;
  let mediaTime = 0;
  if (elstBox && movieScale > 0) {
    const elst = new BoxReader(init, elstBox);
    const v1 = elst.version === 1;
    const entry = v1 ? 20 : 12;
    const n = elst.count(4, entry);
    for (let i = 0, pos = 8; i < n; i++, pos += entry) {
      const duration = v1 ? elst.u64(pos) : elst.u32(pos);
      const mt = v1 ? elst.i64(pos + 8) : elst.i32(pos + 4);
      if (mt === -1) {
        empty += Math.round((duration * timescale) / movieScale);
        continue;
      }
      mediaTime = mt;
      break;
    }
  }
  if (edts) init.write('free', edts.offset + 4, 'latin1');
  return { timescale, empty, mediaTime };
}

/**
 * The rewrite for a rendition, from its edit list and its first segment: the first sample's composition
 * offset goes (when the fragments carry offsets), and tfdt takes the source's start plus the common lead.
 */
export function retimingFor(edit: EditShift, firstSegment: Buffer): Retiming {
  const first = firstComposition(firstSegment);
  const ctsShift = first ?? 0;
  const tfdtShift = Math.round(TIMELINE_LEAD_S * edit.timescale) + edit.empty - edit.mediaTime + ctsShift;
  // Only a source whose own edit list hides more than the lead could ask for less (never copied).
  return { tfdtShift: Math.max(0, tfdtShift), ctsShift };
}

/** The composition offset of a segment's first sample, null when its fragments carry none. */
function firstComposition(buf: Buffer): number | null {
  for (const trun of truns(buf)) {
    const r = new BoxReader(buf, trun);
    const flags = r.u32(0) & 0xffffff;
    if (!(flags & 0x800) || r.u32(4) === 0) return null;
    const at = 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0) + ctsOffset(flags);
    return r.version === 1 ? r.i32(at) : r.u32(at);
  }
  return null;
}

/** Rewrites a media segment's moofs in place (`buf` holds at least every moof). */
export function retimeSegment(buf: Buffer, t: Retiming): void {
  for (const traf of trafs(buf)) {
    for (const b of children(buf, traf)) {
      const r = new BoxReader(buf, b);
      if (b.type === 'tfdt') {
        if (r.version === 1) buf.writeBigUInt64BE(BigInt(r.u64(4) + t.tfdtShift), b.start + 4);
        else {
          const moved = r.u32(4) + t.tfdtShift;
          if (moved > 0xffffffff) throw new Mp4FormatError(`tfdt at ${b.offset} overflows its 32 bits`);
          buf.writeUInt32BE(moved, b.start + 4);
        }
      } else if (b.type === 'trun' && t.ctsShift !== 0) {
        const flags = r.u32(0) & 0xffffff;
        if (!(flags & 0x800)) continue;
        const stride = ctsOffset(flags) + 4;
        const count = r.count(4, stride);
        const first = 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0) + ctsOffset(flags);
        const signed = r.version === 1;
        for (let i = 0; i < count; i++) {
          const at = first + i * stride;
          const cts = signed ? r.i32(at) : r.u32(at);
          buf.writeInt32BE(cts - t.ctsShift, b.start + at);
        }
        // Version 1: the offsets are signed.
        buf.writeUInt8(1, b.start);
      }
    }
  }
}

/** Bytes before the composition offset in a trun sample record. */
const ctsOffset = (flags: number): number =>
  4 * ((flags & 0x100 ? 1 : 0) + (flags & 0x200 ? 1 : 0) + (flags & 0x400 ? 1 : 0));

function* trafs(buf: Buffer) {
  for (const moof of boxes(buf, 0, buf.length, { partial: true })) {
    if (moof.type !== 'moof') continue;
    for (const traf of children(buf, moof)) if (traf.type === 'traf') yield traf;
  }
}

function* truns(buf: Buffer) {
  for (const traf of trafs(buf)) for (const b of children(buf, traf)) if (b.type === 'trun') yield b;
}

/** End of the last moof in `buf` (the head of a segment): the bytes a rewrite touches. */
export function moofsEnd(buf: Buffer): number {
  let end = 0;
  for (const b of boxes(buf, 0, buf.length, { partial: true })) if (b.type === 'moof') end = b.end;
  return end;
}
