/**
 * Just enough ISO-BMFF (fMP4/CMAF) reading to publish what ffmpeg wrote: the codec string and time
 * scale of an init segment, and the real start and length of a media segment from its own sample
 * timestamps (not from the nominal frame rate, which is wrong for variable-frame-rate sources).
 * Pure: buffers in, numbers out; malformed boxes → Mp4FormatError (media/mp4/boxes.ts).
 */

import { type Box, BoxReader, boxes, child, children, Mp4FormatError, path } from './mp4/boxes.ts';

export interface InitInfo {
  /** Ticks per second of the (single) track. */
  timescale: number;
  /** RFC 6381 codec string: `avc1.64001f`, `mp4a.40.2`, … */
  codec: string;
  kind: 'video' | 'audio';
  /** trex default sample duration, used when a fragment does not carry durations. */
  defaultSampleDuration: number;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Reads an init segment (ftyp + moov) with one track. Throws when it is not one. */
export function readInit(buf: Buffer): InitInfo {
  const mdhdBox = path(buf, 'moov', 'trak', 'mdia', 'mdhd');
  const stsd = path(buf, 'moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd');
  if (!mdhdBox || !stsd) throw new Mp4FormatError('not an init segment: no mdhd/stsd');
  const mdhd = new BoxReader(buf, mdhdBox);
  const timescale = mdhd.u32(mdhd.version === 1 ? 20 : 12);
  const trex = path(buf, 'moov', 'mvex', 'trex');
  const defaultSampleDuration = trex ? new BoxReader(buf, trex).u32(12) : 0;
  // stsd: version/flags (4) + entry count (4), then sample entries.
  const entry = children(buf, stsd, 8).next().value;
  if (!entry) throw new Mp4FormatError('init segment without a sample entry');
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    // Visual sample entry: 8 bytes of SampleEntry + 70 of VisualSampleEntry before its child boxes.
    const avcC = child(buf, entry, 'avcC', 78);
    const codec = avcC ? `${entry.type}.${hex6(buf, avcC)}` : entry.type;
    return { timescale, codec, kind: 'video', defaultSampleDuration };
  }
  if (entry.type === 'mp4a') {
    // Audio sample entry: 8 + 20 bytes before its child boxes.
    const esds = child(buf, entry, 'esds', 28);
    return {
      timescale,
      codec: `mp4a.40.${esds ? audioObjectType(buf, esds) : 2}`,
      kind: 'audio',
      defaultSampleDuration,
    };
  }
  return { timescale, codec: entry.type, kind: 'video', defaultSampleDuration };
}

/** avcC's profile, constraint flags and level as six hex digits. */
function hex6(buf: Buffer, avcC: Box): string {
  const r = new BoxReader(buf, avcC);
  return `${hex2(r.u8(1))}${hex2(r.u8(2))}${hex2(r.u8(3))}`;
}

/** The AAC audio object type from an esds box (2 = AAC-LC); 2 when it cannot be read. */
function audioObjectType(buf: Buffer, esds: Box): number {
  // Walk the descriptors: ES (0x03) → DecoderConfig (0x04) → DecoderSpecificInfo (0x05). Reads stay in
  // the box: past its end, the descriptor is not there.
  let pos = esds.start + 4;
  const byte = (at: number): number => (at < esds.end ? buf[at]! : -1);
  const readLen = (): number => {
    let len = 0;
    for (let i = 0; i < 4 && pos < esds.end; i++) {
      const b = buf[pos++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return len;
  };
  while (pos < esds.end) {
    const tag = buf[pos++]!;
    readLen();
    if (tag === 0x03) {
      const flags = byte(pos + 2);
      if (flags < 0) return 2;
      pos += 3;
      if (flags & 0x80) pos += 2;
      if (flags & 0x40) pos += 1 + Math.max(0, byte(pos));
      if (flags & 0x20) pos += 2;
    } else if (tag === 0x04) pos += 13;
    else if (tag === 0x05) {
      const aot = byte(pos) >> 3;
      return aot > 0 && aot < 31 ? aot : 2;
    } else return 2;
  }
  return 2;
}

export interface SegmentTiming {
  /** Decode time of the first sample, in track ticks. */
  start: number;
  /** Sum of the sample durations, in track ticks. */
  duration: number;
  samples: number;
  /** Bytes from the start of the file to the end of the first sample (the moof and the keyframe): an I-frame's byte range. */
  firstSampleEnd: number;
}

/**
 * Reads the timing of a media segment (one or more moof + mdat of one track). `buf` may be the head of
 * the segment only: the mdat after the moof is not needed, and may reach past it.
 */
export function readSegment(buf: Buffer, defaultSampleDuration = 0): SegmentTiming {
  let start: number | null = null;
  let duration = 0;
  let samples = 0;
  let firstSampleEnd = 0;
  for (const moof of boxes(buf, 0, buf.length, { partial: true })) {
    if (moof.type !== 'moof') continue;
    for (const traf of children(buf, moof)) {
      if (traf.type !== 'traf') continue;
      let fallback = defaultSampleDuration;
      let fallbackSize = 0;
      for (const b of children(buf, traf)) {
        const r = new BoxReader(buf, b);
        if (b.type === 'tfhd') {
          const flags = r.u32(0) & 0xffffff;
          let pos = 8; // version/flags + track id
          if (flags & 0x01) pos += 8; // base data offset
          if (flags & 0x02) pos += 4; // sample description index
          if (flags & 0x08) {
            fallback = r.u32(pos);
            pos += 4;
          }
          if (flags & 0x10) fallbackSize = r.u32(pos);
        } else if (b.type === 'tfdt' && start === null) {
          start = r.version === 1 ? r.u64(4) : r.u32(4);
        } else if (b.type === 'trun') {
          const flags = r.u32(0) & 0xffffff;
          let pos = 8;
          // Data offset: from the moof (default-base-is-moof, as ffmpeg writes fMP4 for HLS).
          const dataOffset = flags & 0x01 ? r.i32(pos) : 0;
          if (flags & 0x01) pos += 4;
          if (flags & 0x04) pos += 4; // first sample flags
          const fields =
            (flags & 0x100 ? 1 : 0) +
            (flags & 0x200 ? 1 : 0) +
            (flags & 0x400 ? 1 : 0) +
            (flags & 0x800 ? 1 : 0);
          // With per-sample fields the count is bounded by the box; without, no loop runs over it.
          const count = r.u32(4);
          if (fields > 0 && pos + count * fields * 4 > r.length) {
            throw new Mp4FormatError(`trun at ${b.offset}: ${count} samples past its end`);
          }
          if (firstSampleEnd === 0 && count > 0) {
            const size = flags & 0x200 ? r.u32(pos + (flags & 0x100 ? 4 : 0)) : fallbackSize;
            firstSampleEnd = moof.offset + dataOffset + size;
          }
          if (flags & 0x100) for (let i = 0; i < count; i++) duration += r.u32(pos + i * fields * 4);
          else duration += count * fallback;
          samples += count;
        }
      }
    }
  }
  if (start === null) throw new Mp4FormatError('not a media segment: no moof/tfdt');
  return { start, duration, samples, firstSampleEnd };
}
