/*
 * The one ISO-BMFF (MP4/MOV/fMP4) box walker of the server. Uploaded files reach it, so every read is
 * checked against the box it belongs to and every malformed size is an Mp4FormatError: a caller can
 * fall back or reject, never read past a box into its neighbour or loop on a size that does not move.
 */

/** Malformed or truncated ISO-BMFF. `code` is stable; the message says where. */
export class Mp4FormatError extends Error {
  readonly code = 'MP4_MALFORMED';
  override name = 'Mp4FormatError';
}

export interface Box {
  type: string;
  /** Offset of the box's first byte (its size field). */
  offset: number;
  /** Offset of the payload (after the 8- or 16-byte header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

export interface BoxHeader {
  type: string;
  /** Header bytes: 8, or 16 with a 64-bit size. */
  header: number;
  /** Whole box, header included. */
  size: number;
}

/**
 * Parses a box header at `pos` of `buf`. `room` is how many bytes the box may span from `pos` (to the end
 * of its parent or file); a size of 0 means exactly that. Throws when the header is cut, the size is
 * smaller than the header or reaches past `room` (unless `partial`: then the size is returned as
 * written, for a caller that read only the head of a file).
 */
export function readBoxHeader(buf: Buffer, pos: number, room: number, partial = false): BoxHeader {
  if (room < 8 || pos + 8 > buf.length) throw new Mp4FormatError(`truncated box header at ${pos}`);
  const type = buf.toString('latin1', pos + 4, pos + 8);
  let size = buf.readUInt32BE(pos);
  let header = 8;
  if (size === 1) {
    if (room < 16 || pos + 16 > buf.length)
      throw new Mp4FormatError(`truncated 64-bit size of '${type}' at ${pos}`);
    const big = buf.readBigUInt64BE(pos + 8);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4FormatError(`'${type}' at ${pos}: size ${big}`);
    size = Number(big);
    header = 16;
  } else if (size === 0) size = room;
  if (size < header) throw new Mp4FormatError(`'${type}' at ${pos}: size ${size} < header ${header}`);
  if (size > room && !partial)
    throw new Mp4FormatError(`'${type}' at ${pos}: size ${size} past its parent (${room})`);
  return { type, header, size };
}

export interface WalkOptions {
  /**
   * The buffer is the head of a longer file: a box reaching past `to` ends the walk (it is yielded with
   * `end` clipped to `to`) instead of being an error.
   */
  partial?: boolean;
}

/** The boxes laid end to end in `buf[from, to)`. Throws Mp4FormatError on the first malformed one. */
export function* boxes(buf: Buffer, from = 0, to = buf.length, options: WalkOptions = {}): Generator<Box> {
  if (from < 0 || to > buf.length || from > to)
    throw new Mp4FormatError(`range ${from}..${to} outside the buffer`);
  let pos = from;
  while (pos < to) {
    const h = readBoxHeader(buf, pos, to - pos, options.partial);
    const end = pos + h.size;
    yield { type: h.type, offset: pos, start: pos + h.header, end: Math.min(end, to) };
    if (end >= to) return;
    pos = end;
  }
}

/** The children of `parent` (its payload from `skip` bytes in: sample entries carry fields first). */
export const children = (buf: Buffer, parent: Box, skip = 0): Generator<Box> =>
  boxes(buf, Math.min(parent.start + skip, parent.end), parent.end);

/** The first child of `parent` (or top-level box when null) of this type. */
export function child(buf: Buffer, parent: Box | null, type: string, skip = 0): Box | null {
  const all = parent ? children(buf, parent, skip) : boxes(buf);
  for (const b of all) if (b.type === type) return b;
  return null;
}

/** Follows first children by type from the top level: `path(buf, 'moov', 'trak', 'mdia')`. */
export function path(buf: Buffer, ...types: string[]): Box | null {
  let box: Box | null = null;
  for (const t of types) {
    box = child(buf, box, t);
    if (!box) return null;
  }
  return box;
}

/**
 * Reads of one box's payload, each checked to lie inside it. Offsets are from the payload's start (for a
 * full box, 0 is the version byte).
 */
export class BoxReader {
  readonly buf: Buffer;
  readonly box: Box;

  constructor(buf: Buffer, box: Box) {
    this.buf = buf;
    this.box = box;
  }

  /** Payload bytes. */
  get length(): number {
    return this.box.end - this.box.start;
  }

  #at(offset: number, bytes: number): number {
    if (offset < 0 || offset + bytes > this.length) {
      throw new Mp4FormatError(
        `'${this.box.type}' at ${this.box.offset}: read of ${bytes} at ${offset} past ${this.length}`,
      );
    }
    return this.box.start + offset;
  }

  u8(offset: number): number {
    return this.buf.readUInt8(this.#at(offset, 1));
  }
  u32(offset: number): number {
    return this.buf.readUInt32BE(this.#at(offset, 4));
  }
  i32(offset: number): number {
    return this.buf.readInt32BE(this.#at(offset, 4));
  }
  /** A 64-bit unsigned field; past 2^53 it is malformed for our purposes (no file is that long). */
  u64(offset: number): number {
    const v = this.buf.readBigUInt64BE(this.#at(offset, 8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Mp4FormatError(`'${this.box.type}': 64-bit value ${v}`);
    return Number(v);
  }
  i64(offset: number): number {
    const v = this.buf.readBigInt64BE(this.#at(offset, 8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Mp4FormatError(`'${this.box.type}': 64-bit value ${v}`);
    }
    return Number(v);
  }
  latin1(offset: number, bytes: number): string {
    const at = this.#at(offset, bytes);
    return this.buf.toString('latin1', at, at + bytes);
  }

  /** A full box's version (the flags are `u32(0) & 0xffffff`). */
  get version(): number {
    return this.u8(0);
  }

  /**
   * A table's entry count, read at `offset` with its entries from `offset + 4`: checked to fit in the box,
   * so no loop over it can run longer than the box is.
   */
  count(offset: number, entryBytes: number): number {
    const n = this.u32(offset);
    if (n * entryBytes > this.length - offset - 4) {
      throw new Mp4FormatError(
        `'${this.box.type}' at ${this.box.offset}: ${n} entries of ${entryBytes} bytes in ${this.length}`,
      );
    }
    return n;
  }
}
