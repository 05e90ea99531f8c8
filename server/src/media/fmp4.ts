/**
 * Just enough ISO-BMFF (fMP4/CMAF) reading to publish what ffmpeg wrote: the codec string and time
 * scale of an init segment, and the real start and length of a media segment from its own sample
 * timestamps (not from the nominal frame rate, which is wrong for variable-frame-rate sources).
 * Pure: buffers in, numbers out.
 */

interface Box {
  type: string;
  /** Offset of the payload (after the header) in the buffer. */
  start: number;
  /** Offset just past the box. */
  end: number;
}

function* boxes(buf: Buffer, from = 0, to = buf.length): Generator<Box> {
  let pos = from;
  while (pos + 8 <= to) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > to) return;
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = to - pos;
    if (size < header || pos + size > to) return;
    yield { type, start: pos + header, end: pos + size };
    pos += size;
  }
}

function child(buf: Buffer, parent: Box | null, type: string, skip = 0): Box | null {
  const from = (parent?.start ?? 0) + skip;
  for (const b of boxes(buf, from, parent?.end ?? buf.length)) if (b.type === type) return b;
  return null;
}

function path(buf: Buffer, ...types: string[]): Box | null {
  let box: Box | null = null;
  for (const t of types) {
    box = child(buf, box, t);
    if (!box) return null;
  }
  return box;
}

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
  const mdhd = path(buf, 'moov', 'trak', 'mdia', 'mdhd');
  const stsd = path(buf, 'moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd');
  if (!mdhd || !stsd) throw new Error('not an init segment: no mdhd/stsd');
  const version = buf.readUInt8(mdhd.start);
  const timescale = buf.readUInt32BE(mdhd.start + (version === 1 ? 20 : 12));
  const trex = path(buf, 'moov', 'mvex', 'trex');
  const defaultSampleDuration = trex ? buf.readUInt32BE(trex.start + 12) : 0;
  // stsd: version/flags (4) + entry count (4), then sample entries.
  const entry = boxes(buf, stsd.start + 8, stsd.end).next().value as Box | undefined;
  if (!entry) throw new Error('init segment without a sample entry');
  if (entry.type === 'avc1' || entry.type === 'avc3') {
    // Visual sample entry: 8 bytes of SampleEntry + 70 of VisualSampleEntry before its child boxes.
    const avcC = child(buf, entry, 'avcC', 78);
    const codec = avcC
      ? `${entry.type}.${hex2(buf[avcC.start + 1]!)}${hex2(buf[avcC.start + 2]!)}${hex2(buf[avcC.start + 3]!)}`
      : entry.type;
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

/** The AAC audio object type from an esds box (2 = AAC-LC); 2 when it cannot be read. */
function audioObjectType(buf: Buffer, esds: Box): number {
  // Walk the descriptors: ES (0x03) → DecoderConfig (0x04) → DecoderSpecificInfo (0x05).
  let pos = esds.start + 4;
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
      const flags = buf[pos + 2]!;
      pos += 3;
      if (flags & 0x80) pos += 2;
      if (flags & 0x40) pos += 1 + buf[pos]!;
      if (flags & 0x20) pos += 2;
    } else if (tag === 0x04) pos += 13;
    else if (tag === 0x05) {
      const aot = buf[pos]! >> 3;
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

/** Reads the timing of a media segment (one or more moof + mdat of one track). */
export function readSegment(buf: Buffer, defaultSampleDuration = 0): SegmentTiming {
  let start: number | null = null;
  let duration = 0;
  let samples = 0;
  let firstSampleEnd = 0;
  for (const moof of boxes(buf)) {
    if (moof.type !== 'moof') continue;
    const moofStart = moof.start - 8;
    for (const traf of boxes(buf, moof.start, moof.end)) {
      if (traf.type !== 'traf') continue;
      let fallback = defaultSampleDuration;
      let fallbackSize = 0;
      for (const b of boxes(buf, traf.start, traf.end)) {
        if (b.type === 'tfhd') {
          const flags = buf.readUInt32BE(b.start) & 0xffffff;
          let pos = b.start + 8; // version/flags + track id
          if (flags & 0x01) pos += 8; // base data offset
          if (flags & 0x02) pos += 4; // sample description index
          if (flags & 0x08) {
            fallback = buf.readUInt32BE(pos);
            pos += 4;
          }
          if (flags & 0x10) fallbackSize = buf.readUInt32BE(pos);
        } else if (b.type === 'tfdt' && start === null) {
          const version = buf.readUInt8(b.start);
          start = version === 1 ? Number(buf.readBigUInt64BE(b.start + 4)) : buf.readUInt32BE(b.start + 4);
        } else if (b.type === 'trun') {
          const flags = buf.readUInt32BE(b.start) & 0xffffff;
          const count = buf.readUInt32BE(b.start + 4);
          let pos = b.start + 8;
          // Data offset: from the moof (default-base-is-moof, as ffmpeg writes fMP4 for HLS).
          const dataOffset = flags & 0x01 ? buf.readInt32BE(pos) : 0;
          if (flags & 0x01) pos += 4;
          if (flags & 0x04) pos += 4; // first sample flags
          if (firstSampleEnd === 0 && count > 0) {
            const size = flags & 0x200 ? buf.readUInt32BE(pos + (flags & 0x100 ? 4 : 0)) : fallbackSize;
            firstSampleEnd = moofStart + dataOffset + size;
          }
          const fields =
            (flags & 0x100 ? 1 : 0) +
            (flags & 0x200 ? 1 : 0) +
            (flags & 0x400 ? 1 : 0) +
            (flags & 0x800 ? 1 : 0);
          for (let i = 0; i < count; i++) {
            duration += flags & 0x100 ? buf.readUInt32BE(pos) : fallback;
            pos += fields * 4;
          }
          samples += count;
        }
      }
    }
  }
  if (start === null) throw new Error('not a media segment: no moof/tfdt');
  return { start, duration, samples, firstSampleEnd };
}
