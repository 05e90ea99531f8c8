import fs from 'node:fs';
import { isSlice, NAL_IDR, nalType } from './h264.ts';
import { Isolate } from './isolate.ts';
import { type Box, BoxReader, boxes, child, children, Mp4FormatError, readBoxHeader } from './mp4/boxes.ts';
import { SignedSourceUrl, type SourceInput } from './source.ts';

/*
 * Keyframe times of an MP4/MOV straight from its sample tables (stss + stts + ctts in the moov), so that
 * the remux decision costs the same for a 10-minute file as for a 30-second one: ffprobe's packet pass
 * reads every byte of the file. Anything unusual (fragmented, no video track, a moov over 64 MB) → null,
 * and the caller falls back to ffprobe.
 */

const MAX_MOOV_BYTES = 64 << 20;

/**
 * Samples of one track this index will expand. Above it (over 4 h at 240 fps) the caller uses ffprobe;
 * below it the count is further bounded by what the moov itself lists (stsz's sample sizes).
 */
export const MAX_INDEX_SAMPLES = 1 << 22;

/** Positioned reads of a source: a local file, or ranged GETs of a signed URL. */
interface RangeReader {
  /** Fills `buf[0..length)` from `position`; returns the bytes read (fewer only at the end). */
  read(buf: Buffer, length: number, position: number): Promise<number>;
  size(): Promise<number>;
  close(): Promise<void>;
}

async function fileReader(file: string): Promise<RangeReader> {
  const fh = await fs.promises.open(file, 'r');
  return {
    async read(buf, length, position) {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    },
    size: async () => (await fh.stat()).size,
    close: () => fh.close(),
  };
}

/** Per GET of a signed source: a store that does not answer in this time fails the index read. */
const GET_TIMEOUT_MS = 15_000;

/**
 * Ranged GETs of a URL storage/ presigned: one per box header and one for the moov, so a
 * moov-at-end MP4 costs a handful of requests, not the file. Counted for the benchmark.
 */
function urlReader(url: string, stats?: { gets: number }): RangeReader {
  let total: number | null = null;
  const get = async (start: number, end: number): Promise<Buffer> => {
    if (stats) stats.gets++;
    const res = await fetch(url, {
      headers: { range: `bytes=${start}-${end}` },
      signal: AbortSignal.timeout(GET_TIMEOUT_MS),
      redirect: 'error',
    });
    if (res.status !== 206) {
      await res.body?.cancel();
      throw new Error(`ranged GET answered ${res.status}`);
    }
    const m = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    if (m) total = Number(m[1]);
    return Buffer.from(await res.arrayBuffer());
  };
  return {
    async read(buf, length, position) {
      if (length === 0) return 0;
      const body = await get(position, position + length - 1);
      return body.copy(buf, 0, 0, Math.min(length, body.length));
    },
    async size() {
      if (total === null) await get(0, 0);
      if (total === null) throw new Error('no Content-Range total');
      return total;
    },
    close: async () => {},
  };
}

async function readMoov(reader: RangeReader): Promise<Buffer | null> {
  const head = Buffer.alloc(16);
  // The first read tells a URL reader the object's size too: no request for the size alone.
  let got = await reader.read(head, 16, 0);
  const size = await reader.size();
  let pos = 0;
  while (pos < size) {
    if (pos > 0) got = await reader.read(head, Math.min(16, size - pos), pos);
    const box = readBoxHeader(head.subarray(0, got), 0, size - pos);
    if (box.type === 'moov') {
      if (box.size > MAX_MOOV_BYTES) return null;
      const moov = Buffer.alloc(box.size);
      if ((await reader.read(moov, box.size, pos)) !== box.size) return null;
      return moov;
    }
    if (box.type === 'moof') return null;
    pos += box.size;
  }
  return null;
}

export interface Mp4Keyframes {
  /** Seconds from the first presented frame, ascending. */
  times: number[];
  /** First presented frame, seconds from the edit list's media time (empty edits not counted). */
  offsetS: number;
}

/**
 * The first video track's keyframes from the moov, or null when this is not a plain (non-fragmented)
 * MP4 or the reads failed: the caller then falls back to ffprobe. `stats` counts the GETs of a URL.
 */
export async function mp4Keyframes(
  source: SourceInput,
  stats?: { gets: number },
): Promise<Mp4Keyframes | null> {
  let reader: RangeReader | null = null;
  try {
    reader = SignedSourceUrl.is(source) ? urlReader(source.href, stats) : await fileReader(source);
    const moov = await readMoov(reader);
    const index = moov && (await tablesOffLoop(moov));
    if (!index) return null;
    const { keyframes, checks, nalLengthSize } = index;
    if (nalLengthSize === null) return keyframes;
    // Copy only from IDR frames: an open-GOP source keeps only its first keyframe (when it is an IDR),
    // so it is copied only when one segment holds it whole, else its top rung is encoded.
    for (const [i, range] of checks.entries()) {
      if (!(await isIdr(reader, range, nalLengthSize)))
        return { ...keyframes, times: keyframes.times.slice(0, i === 0 ? 0 : 1) };
    }
    return keyframes;
  } catch {
    return null;
  } finally {
    await reader?.close().catch(() => {});
  }
}

/** Up to this size a moov is indexed inline (a few ms); larger ones in a worker (media/isolate.ts). */
export const INLINE_MOOV_BYTES = 512 * 1024;

const isolate = new Isolate(new URL(import.meta.url), { timeoutMs: 15_000, maxHeapMb: 256 });

/**
 * fromMoov, off the event loop for a large moov: a 64 MB one holds millions of samples, and the server
 * answering requests must not wait for them. Throws as fromMoov does (IsolateError from the worker).
 */
export async function indexMoov(moov: Buffer, inlineBytes = INLINE_MOOV_BYTES): Promise<Mp4Keyframes | null> {
  if (moov.length <= inlineBytes) return fromMoov(moov);
  return isolate.call<Mp4Keyframes | null>('fromMoov', [moov]);
}

/**
 * The first video track's keyframes from a whole `moov` box. Every count is checked against the box that
 * holds its table, and the samples expanded are those stsz lists (at most MAX_INDEX_SAMPLES): a
 * hostile stts cannot make this allocate more than the moov's size implies. Malformed → Mp4FormatError.
 */
export function fromMoov(moov: Buffer): Mp4Keyframes | null {
  return moovTables(moov)?.keyframes ?? null;
}

/** moovTables, off the event loop for a large moov (as indexMoov). */
async function tablesOffLoop(moov: Buffer): Promise<MoovIndex | null> {
  if (moov.length <= INLINE_MOOV_BYTES) return moovTables(moov);
  return isolate.call<MoovIndex | null>('moovTables', [moov]);
}

/** The keyframes, and where the first presented ones lie in the file (to tell IDR frames from the others). */
export interface MoovIndex {
  keyframes: Mp4Keyframes;
  /** The first CHECKED_KEYFRAMES presented sync samples: byte ranges in the file. */
  checks: { offset: number; size: number }[];
  /** Bytes of each NAL unit's length prefix (avcC), null when the track is not AVC. */
  nalLengthSize: number | null;
}

/** Presented keyframes whose NAL type is read: an open-GOP encoder makes every one after the first a non-IDR. */
const CHECKED_KEYFRAMES = 2;

/** The keyframes and the byte ranges of the first ones; exported for the worker (media/isolate.ts). */
export function moovTables(moov: Buffer): MoovIndex | null {
  const root = boxes(moov, 0, moov.length).next().value;
  if (!root) return null;
  for (const trak of children(moov, root)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(moov, trak, 'mdia');
    const hdlr = mdia && child(moov, mdia, 'hdlr');
    if (!mdia || !hdlr || new BoxReader(moov, hdlr).latin1(8, 4) !== 'vide') continue;
    const mdhdBox = child(moov, mdia, 'mdhd');
    if (!mdhdBox) return null;
    const mdhd = new BoxReader(moov, mdhdBox);
    const timescale = mdhd.u32(mdhd.version === 1 ? 20 : 12);
    const minf = child(moov, mdia, 'minf');
    const stbl = minf && child(moov, minf, 'stbl');
    const sttsBox = stbl && child(moov, stbl, 'stts');
    if (!stbl || !sttsBox || !timescale) return null;
    const samples = sampleCount(moov, stbl);
    if (samples === null) return null;
    // Decode times, as many as there are samples (a longer stts is clipped, as ffmpeg does).
    const pts = new Float64Array(samples);
    const stts = new BoxReader(moov, sttsBox);
    let n = 0;
    let t = 0;
    for (let i = 0, entries = stts.count(4, 8); i < entries && n < samples; i++) {
      const count = stts.u32(8 + i * 8);
      const delta = stts.u32(12 + i * 8);
      for (let j = 0; j < count && n < samples; j++) {
        pts[n++] = t;
        t += delta;
      }
    }
    if (n === 0) return null; // fragmented: samples live in moofs
    // Composition offsets.
    const cttsBox = child(moov, stbl, 'ctts');
    if (cttsBox) {
      const ctts = new BoxReader(moov, cttsBox);
      const v1 = ctts.version === 1;
      let s = 0;
      for (let i = 0, entries = ctts.count(4, 8); i < entries && s < n; i++) {
        const count = ctts.u32(8 + i * 8);
        const offset = v1 ? ctts.i32(12 + i * 8) : ctts.u32(12 + i * 8);
        for (let j = 0; j < count && s < n; j++) pts[s++]! += offset;
      }
    }
    // Sync samples (none listed: every sample is one).
    const stssBox = child(moov, stbl, 'stss');
    const sync: number[] = [];
    if (stssBox) {
      const stss = new BoxReader(moov, stssBox);
      for (let i = 0, entries = stss.count(4, 4); i < entries; i++) {
        const s = stss.u32(8 + i * 4) - 1;
        if (s >= 0 && s < n) sync.push(s);
      }
    } else for (let i = 0; i < n; i++) sync.push(i);
    // The edit list's first media time: where presentation starts.
    let mediaTime = 0;
    const edts = child(moov, trak, 'edts');
    const elstBox = edts && child(moov, edts, 'elst');
    if (elstBox) {
      const elst = new BoxReader(moov, elstBox);
      const v1 = elst.version === 1;
      const entry = v1 ? 20 : 12;
      for (let i = 0, entries = elst.count(4, entry), pos = 8; i < entries; i++, pos += entry) {
        const mt = v1 ? elst.i64(pos + 8) : elst.i32(pos + 4);
        if (mt >= 0) {
          mediaTime = mt;
          break;
        }
      }
    }
    // Frames before the edit list's media time are hidden (an MP4 cut mid-GOP with `-ss … -c copy`):
    // keyframes count from the first presented frame, and a hidden one is no place to start a copy.
    // A loop, not Math.min(...pts): spreading a long track's samples overflows the call stack.
    let first = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) if (pts[i]! >= mediaTime && pts[i]! < first) first = pts[i]!;
    if (!Number.isFinite(first)) return null;
    const shown = sync.filter((i) => pts[i]! >= first);
    const times = [
      ...new Set(shown.map((i) => Math.round(((pts[i]! - first) / timescale) * 1e6) / 1e6)),
    ].sort((a, b) => a - b);
    return {
      keyframes: { times, offsetS: (first - mediaTime) / timescale },
      checks: shown.slice(0, CHECKED_KEYFRAMES).map((i) => sampleRange(moov, stbl, i)),
      nalLengthSize: avcLengthSize(moov, stbl),
    };
  }
  return null;
}

/** Where sample `k` (0-based) lies in the file, from stsc + stco/co64 + stsz. */
function sampleRange(moov: Buffer, stbl: Box, k: number): { offset: number; size: number } {
  const stszBox = child(moov, stbl, 'stsz');
  const stscBox = child(moov, stbl, 'stsc');
  const chunkBox = child(moov, stbl, 'stco') ?? child(moov, stbl, 'co64');
  if (!stszBox || !stscBox || !chunkBox) throw new Mp4FormatError('no stsz/stsc/stco');
  const stsz = new BoxReader(moov, stszBox);
  const fixed = stsz.u32(4);
  const size = (i: number) => (fixed !== 0 ? fixed : stsz.u32(12 + i * 4));
  const stsc = new BoxReader(moov, stscBox);
  const runs = stsc.count(4, 12);
  const chunks = new BoxReader(moov, chunkBox);
  const wide = chunkBox.type === 'co64';
  const chunkCount = chunks.count(4, wide ? 8 : 4);
  // Walk the runs of chunks (first chunk, samples per chunk) to the chunk that holds sample k.
  let sample = 0;
  for (let r = 0; r < runs; r++) {
    const firstChunk = stsc.u32(8 + r * 12) - 1;
    const perChunk = stsc.u32(12 + r * 12);
    const nextFirst = r + 1 < runs ? stsc.u32(8 + (r + 1) * 12) - 1 : chunkCount;
    const inRun = (nextFirst - firstChunk) * perChunk;
    if (perChunk === 0 || nextFirst <= firstChunk) continue;
    if (k < sample + inRun) {
      const chunk = firstChunk + Math.floor((k - sample) / perChunk);
      const firstInChunk = sample + (chunk - firstChunk) * perChunk;
      let offset = wide ? chunks.u64(8 + chunk * 8) : chunks.u32(8 + chunk * 4);
      for (let i = firstInChunk; i < k; i++) offset += size(i);
      return { offset, size: size(k) };
    }
    sample += inRun;
  }
  throw new Mp4FormatError(`sample ${k} in no chunk`);
}

/** The length prefix size of an AVC track's NAL units (avcC), null for another codec. */
function avcLengthSize(moov: Buffer, stbl: Box): number | null {
  const stsd = child(moov, stbl, 'stsd');
  const entry = stsd && children(moov, stsd, 8).next().value;
  if (!entry || (entry.type !== 'avc1' && entry.type !== 'avc3')) return null;
  const avcC = child(moov, entry, 'avcC', 78);
  return avcC ? (new BoxReader(moov, avcC).u8(4) & 3) + 1 : null;
}

/** Bytes read at a keyframe to find its first slice: x264's SEI of its settings fits (the first frame's only). */
const NAL_PROBE_BYTES = 4096;

/**
 * Whether the sample at `range` starts an IDR picture: its NAL units (length prefix + header byte) are
 * walked to the first coded slice, in one read unless a large SEI comes first. A recovery-point I-frame
 * of an open GOP is flagged a sync sample too, but the frames after it may refer to the GOP before: no
 * segment can start there.
 */
async function isIdr(
  reader: RangeReader,
  range: { offset: number; size: number },
  lengthSize: number,
): Promise<boolean> {
  let buf = Buffer.alloc(0);
  let bufAt = 0;
  let pos = 0;
  for (let nal = 0; nal < 32 && pos + lengthSize + 1 <= range.size; nal++) {
    if (pos < bufAt || pos + lengthSize + 1 > bufAt + buf.length) {
      bufAt = pos;
      buf = Buffer.alloc(Math.min(NAL_PROBE_BYTES, range.size - pos));
      buf = buf.subarray(0, await reader.read(buf, buf.length, range.offset + pos));
      if (buf.length < lengthSize + 1) return false;
    }
    const type = nalType(buf[pos - bufAt + lengthSize]!);
    if (isSlice(type)) return type === NAL_IDR;
    pos += lengthSize + buf.readUIntBE(pos - bufAt, lengthSize);
  }
  return false;
}

/**
 * How many samples the track has, from stsz (or stz2): a per-sample size table must fit in its box, so
 * the count is bounded by the moov's size. A constant sample size lists no table (video frames never
 * have one): its count is held to one sample per byte of moov, so that a small moov, indexed inline,
 * stays small work. null when there is no sample size box or the count is over these bounds.
 */
function sampleCount(moov: Buffer, stbl: Box): number | null {
  const stszBox = child(moov, stbl, 'stsz');
  if (stszBox) {
    const stsz = new BoxReader(moov, stszBox);
    if (stsz.u32(4) !== 0) {
      const count = stsz.u32(8);
      return count <= Math.min(MAX_INDEX_SAMPLES, moov.length) ? count : null;
    }
    const count = stsz.count(8, 4);
    return count <= MAX_INDEX_SAMPLES ? count : null;
  }
  const stz2Box = child(moov, stbl, 'stz2');
  if (!stz2Box) return null;
  const stz2 = new BoxReader(moov, stz2Box);
  const count = stz2.count(8, stz2.u8(7) / 8);
  return count <= MAX_INDEX_SAMPLES ? count : null;
}
