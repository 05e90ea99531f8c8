/*
 * Mutations for the fuzzer: a seeded PRNG (runs are reproducible from their seed) and byte-, box-, text-
 * and JSON-level edits of a seed input.
 */

/** mulberry32: small, fast, and good enough to pick mutations. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** [0, 2^32) */
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** [0, n) */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

/** Sizes and counts that break parsers: zero, one, around the header size, signed edges, huge. */
const INTERESTING_U32 = [
  0, 1, 2, 7, 8, 9, 15, 16, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x3fffffff, 0x40000000, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff,
];

/** Offsets of plausible box headers: a 4-character type of letters, digits or spaces after a size. */
export function boxOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  const typeChar = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x20;
  for (let i = 0; i + 8 <= buf.length; i++) {
    if (typeChar(buf[i + 4]!) && typeChar(buf[i + 5]!) && typeChar(buf[i + 6]!) && typeChar(buf[i + 7]!)) {
      const size = buf.readUInt32BE(i);
      if (size === 0 || size === 1 || (size >= 8 && i + size <= buf.length)) out.push(i);
    }
  }
  return out;
}

type ByteMutator = (buf: Buffer, rng: Rng, others: Buffer[], boxes: number[]) => Buffer;

const byteMutators: ByteMutator[] = [
  // flip a bit
  (b, r) => {
    if (b.length === 0) return b;
    const i = r.int(b.length);
    b[i] = b[i]! ^ (1 << r.int(8));
    return b;
  },
  // set a random byte
  (b, r) => {
    if (b.length > 0) b[r.int(b.length)] = r.int(256);
    return b;
  },
  // write an interesting 32-bit value anywhere
  (b, r) => {
    if (b.length >= 4) b.writeUInt32BE(r.pick(INTERESTING_U32), r.int(b.length - 3));
    return b;
  },
  // insert random bytes
  (b, r) => {
    const at = r.int(b.length + 1);
    const ins = Buffer.alloc(1 + r.int(16));
    for (let i = 0; i < ins.length; i++) ins[i] = r.int(256);
    return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
  },
  // delete a range
  (b, r) => {
    const at = r.int(b.length);
    const len = 1 + r.int(Math.min(64, b.length - at));
    return Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
  },
  // duplicate a range
  (b, r) => {
    if (b.length === 0) return b;
    const at = r.int(b.length);
    const len = 1 + r.int(Math.min(256, b.length - at));
    return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
  },
  // truncate
  (b, r) => b.subarray(0, r.int(b.length + 1)),
  // box size edit: a header's size to an edge value, or off by a little
  (b, r, _o, boxes) => {
    if (boxes.length === 0) return b;
    const at = r.pick(boxes);
    const size = b.readUInt32BE(at);
    const edits = [r.pick(INTERESTING_U32), size + 1, size - 1, size + 8, size - 8, b.length - at + 1];
    b.writeUInt32BE(r.pick(edits) >>> 0, at);
    return b;
  },
  // a full box's entry count (after version/flags) or a field in it, to an edge value
  (b, r, _o, boxes) => {
    if (boxes.length === 0) return b;
    const at = r.pick(boxes) + 8 + 4 * r.int(4);
    if (at + 4 <= b.length) b.writeUInt32BE(r.pick(INTERESTING_U32), at);
    return b;
  },
  // 64-bit size: a header rewritten to size 1 with an 8-byte size after it
  (b, r, _o, boxes) => {
    if (boxes.length === 0) return b;
    const at = r.pick(boxes);
    if (at + 16 > b.length) return b;
    b.writeUInt32BE(1, at);
    const sizes = [0n, 8n, 15n, 16n, BigInt(b.length - at), 1n << 53n, (1n << 64n) - 1n];
    b.writeBigUInt64BE(r.pick(sizes), at + 8);
    return b;
  },
  // splice: this input's head, another seed's tail
  (b, r, others) => {
    const other = r.pick(others);
    return Buffer.concat([b.subarray(0, r.int(b.length + 1)), other.subarray(r.int(other.length + 1))]);
  },
];

const headers = new WeakMap<Buffer, number[]>();

/** A mutated copy of `seed`: one to four edits. */
export function mutateBytes(seed: Buffer, rng: Rng, others: Buffer[]): Buffer {
  let b = Buffer.from(seed);
  // Box headers of the seed (seeds repeat: found once); edits that move bytes leave some stale,
  // so each box edit keeps to offsets still inside the buffer.
  const found = headers.get(seed) ?? boxOffsets(seed);
  headers.set(seed, found);
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const boxes = found.filter((at) => at + 16 <= b.length);
    b = Buffer.from(rng.pick(byteMutators)(b, rng, others, boxes));
  }
  return b;
}

/** Lines and fragments that caption parsers treat specially. */
const CAPTION_TOKENS = [
  '',
  '\n',
  '\n\n',
  '\r',
  '-->',
  ' --> ',
  'WEBVTT',
  'NOTE',
  'STYLE',
  'REGION',
  '::cue { color: red }',
  'id:r1 width:40%',
  '00:00:01,000 --> 00:00:02,000',
  '00:00.000 --> 99:59.999 align:start line:0 position:10%',
  '99:99:99,999 --> 00:00:00,000',
  '<b>',
  '</b>',
  '<v Roger>',
  '<c.a.b.c.d.e.f.g.h.i>',
  '<00:00:01.500>',
  '<',
  '>',
  '&',
  '&amp;',
  '&#x10FFFF;',
  '{\\an8}',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '1',
  'y',
  ' '.repeat(200),
  '<b>'.repeat(40),
  'y\n\n'.repeat(300),
];

/** Caption text edits: tokens inserted, lines duplicated or dropped, then (sometimes) byte edits. */
export function mutateText(seed: Buffer, rng: Rng, others: Buffer[]): Buffer {
  const lines = seed.toString('utf8').split('\n');
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const at = rng.int(lines.length + 1);
    switch (rng.int(4)) {
      case 0:
        lines.splice(at, 0, rng.pick(CAPTION_TOKENS));
        break;
      case 1:
        if (lines.length > 0) lines.splice(at, 1);
        break;
      case 2:
        lines.splice(at, 0, ...lines.slice(at, at + 1 + rng.int(8)));
        break;
      default: {
        const line = lines[at] ?? '';
        const cut = rng.int(line.length + 1);
        lines[at] = line.slice(0, cut) + rng.pick(CAPTION_TOKENS) + line.slice(cut);
      }
    }
  }
  const text = Buffer.from(lines.join(rng.chance(0.1) ? '\r\n' : '\n'));
  return rng.chance(0.3) ? mutateBytes(text, rng, others) : text;
}

/** Values that break code expecting ffprobe's own types: wrong types, edge numbers, odd strings. */
const JSON_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53,
  0.5,
  '',
  'N/A',
  'NaN',
  'Infinity',
  '-1',
  '1e999',
  '0/0',
  '30000/0',
  '30000/1001',
  '-5/-1',
  '1/1e-320',
  'x'.repeat(10_000),
  'yuv420p10le',
  'p010le',
  'smpte2084',
  'Display Matrix',
  'Spherical Mapping',
  'cubemap',
  [],
  [null],
  {},
  { rotation: 'ninety' },
  { attached_pic: 1 },
  { side_data_type: 'Display Matrix', rotation: 1e308 },
];

function paths(
  value: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) paths(value[i], [...at, i], out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  return out;
}

/** ffprobe JSON with its fields and values edited (types changed, keys dropped, arrays grown), as text. */
export function mutateJson(seed: Buffer, rng: Rng, others: Buffer[]): Buffer {
  let root: unknown;
  try {
    root = JSON.parse(seed.toString('utf8'));
  } catch {
    return mutateBytes(seed, rng, others);
  }
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const all = paths(root);
    const path = rng.pick(all);
    if (path.length === 0) {
      if (rng.chance(0.05)) root = rng.pick(JSON_VALUES);
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const key = path.at(-1)!;
    switch (rng.int(4)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      case 1:
        if (Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
        else parent[key] = structuredClone(rng.pick(JSON_VALUES));
        break;
      default:
        parent[key] = structuredClone(rng.pick(JSON_VALUES));
    }
  }
  const text = Buffer.from(JSON.stringify(root) ?? 'null');
  return rng.chance(0.1) ? mutateBytes(text, rng, others) : text;
}
