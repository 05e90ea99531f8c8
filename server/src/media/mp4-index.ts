import fs from 'node:fs';
import { SignedSourceUrl, type SourceInput } from './source.ts';

/*
 * Keyframe times of an MP4/MOV straight from its sample tables (stss + stts + ctts in the moov), so that
 * the remux decision costs the same for a 10-minute file as for a 30-second one: ffprobe's packet pass
 * reads every byte of the file. Anything unusual (fragmented, no video track, a moov over 64 MB) → null,
 * and the caller falls back to ffprobe.
 */

const MAX_MOOV_BYTES = 64 << 20;

interface Box {
  type: string;
  start: number;
  end: number;
}

function* children(buf: Buffer, from: number, to: number): Generator<Box> {
  let pos = from;
  while (pos + 8 <= to) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) size = to - pos;
    if (size < header || pos + size > to) return;
    yield { type, start: pos + header, end: pos + size };
    pos += size;
  }
}

const find = (buf: Buffer, parent: Box, type: string): Box | null => {
  for (const b of children(buf, parent.start, parent.end)) if (b.type === type) return b;
  return null;
};

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
  if ((await reader.read(head, 16, 0)) < 8) return null;
  const size = await reader.size();
  let pos = 0;
  while (pos + 8 <= size) {
    if (pos > 0) await reader.read(head, Math.min(16, size - pos), pos);
    let boxSize = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (boxSize === 1) boxSize = Number(head.readBigUInt64BE(8));
    else if (boxSize === 0) boxSize = size - pos;
    if (boxSize < 8) return null;
    if (type === 'moov') {
      if (boxSize > MAX_MOOV_BYTES || pos + boxSize > size) return null;
      const moov = Buffer.alloc(boxSize);
      if ((await reader.read(moov, boxSize, pos)) !== boxSize) return null;
      return moov;
    }
    if (type === 'moof') return null;
    pos += boxSize;
  }
  return null;
}

export interface Mp4Keyframes {
  /** Seconds from the first presented frame, ascending. */
  times: number[];
  /** First presented frame, seconds from the start of the presentation (after the edit list). */
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
  let moov: Buffer | null;
  let reader: RangeReader | null = null;
  try {
    reader = SignedSourceUrl.is(source) ? urlReader(source.href, stats) : await fileReader(source);
    moov = await readMoov(reader);
  } catch {
    return null;
  } finally {
    await reader?.close().catch(() => {});
  }
  if (!moov) return null;
  try {
    return fromMoov(moov);
  } catch {
    return null;
  }
}

export function fromMoov(moov: Buffer): Mp4Keyframes | null {
  const root: Box = { type: 'moov', start: 8, end: moov.length };
  for (const trak of children(moov, root.start, root.end)) {
    if (trak.type !== 'trak') continue;
    const mdia = find(moov, trak, 'mdia');
    const hdlr = mdia && find(moov, mdia, 'hdlr');
    if (!mdia || !hdlr || moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
    const mdhd = find(moov, mdia, 'mdhd')!;
    const timescale = moov.readUInt32BE(mdhd.start + (moov.readUInt8(mdhd.start) === 1 ? 20 : 12));
    const minf = find(moov, mdia, 'minf');
    const stbl = minf && find(moov, minf, 'stbl');
    const stts = stbl && find(moov, stbl, 'stts');
    if (!stbl || !stts || !timescale) return null;
    // Decode times.
    const dts: number[] = [];
    let t = 0;
    const sttsCount = moov.readUInt32BE(stts.start + 4);
    for (let i = 0; i < sttsCount; i++) {
      const count = moov.readUInt32BE(stts.start + 8 + i * 8);
      const delta = moov.readUInt32BE(stts.start + 12 + i * 8);
      for (let j = 0; j < count; j++) {
        dts.push(t);
        t += delta;
      }
    }
    if (dts.length === 0) return null; // fragmented: samples live in moofs
    // Composition offsets.
    const pts = [...dts];
    const ctts = find(moov, stbl, 'ctts');
    if (ctts) {
      const v1 = moov.readUInt8(ctts.start) === 1;
      const n = moov.readUInt32BE(ctts.start + 4);
      let s = 0;
      for (let i = 0; i < n; i++) {
        const count = moov.readUInt32BE(ctts.start + 8 + i * 8);
        const offset = v1
          ? moov.readInt32BE(ctts.start + 12 + i * 8)
          : moov.readUInt32BE(ctts.start + 12 + i * 8);
        for (let j = 0; j < count && s < pts.length; j++) pts[s++]! += offset;
      }
    }
    // Sync samples (none listed: every sample is one).
    const stss = find(moov, stbl, 'stss');
    const sync: number[] = [];
    if (stss) {
      const n = moov.readUInt32BE(stss.start + 4);
      for (let i = 0; i < n; i++) sync.push(moov.readUInt32BE(stss.start + 8 + i * 4) - 1);
    } else for (let i = 0; i < pts.length; i++) sync.push(i);
    // The edit list's first media time: where presentation starts.
    let mediaTime = 0;
    const edts = find(moov, trak, 'edts');
    const elst = edts && find(moov, edts, 'elst');
    if (elst) {
      const v1 = moov.readUInt8(elst.start) === 1;
      const n = moov.readUInt32BE(elst.start + 4);
      for (let i = 0, pos = elst.start + 8; i < n; i++, pos += v1 ? 20 : 12) {
        const mt = v1 ? Number(moov.readBigInt64BE(pos + 8)) : moov.readInt32BE(pos + 4);
        if (mt >= 0) {
          mediaTime = mt;
          break;
        }
      }
    }
    const first = Math.min(...pts);
    const times = [
      ...new Set(
        sync
          .filter((i) => i < pts.length)
          .map((i) => Math.round(((pts[i]! - first) / timescale) * 1e6) / 1e6),
      ),
    ].sort((a, b) => a - b);
    return { times, offsetS: Math.max(0, (first - mediaTime) / timescale) };
  }
  return null;
}
