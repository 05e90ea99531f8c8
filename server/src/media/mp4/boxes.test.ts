import { describe, expect, it } from 'vitest';
import { BoxReader, boxes, child, Mp4FormatError, path, readBoxHeader } from './boxes.ts';

/** A box: 32-bit size (or `size` as written), type, payload. */
function box(type: string, payload: Buffer = Buffer.alloc(0), size = 8 + payload.length): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A box with a 64-bit size field. */
function box64(type: string, payload: Buffer, size = BigInt(16 + payload.length)): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1, 0);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(size, 8);
  return Buffer.concat([head, payload]);
}

const types = (buf: Buffer, from?: number, to?: number) => [...boxes(buf, from, to)].map((b) => b.type);
const malformed = (f: () => unknown) => expect(f).toThrow(Mp4FormatError);

describe('mp4 box walker', () => {
  it('walks siblings and nested boxes, with 64-bit sizes and size 0 (to the end)', () => {
    const moov = box('moov', Buffer.concat([box('mvhd', Buffer.alloc(4)), box('trak', box('tkhd'))]));
    const file = Buffer.concat([
      box('ftyp', Buffer.from('isom')),
      box64('free', Buffer.alloc(3)),
      moov,
      box('mdat', Buffer.alloc(5), 0),
    ]);
    expect(types(file)).toEqual(['ftyp', 'free', 'moov', 'mdat']);
    const all = [...boxes(file)];
    expect(all[1]).toMatchObject({ offset: 12, start: 28, end: 31 });
    expect(all[3]!.end).toBe(file.length);
    expect(path(file, 'moov', 'trak', 'tkhd')).toMatchObject({ type: 'tkhd' });
    expect(path(file, 'moov', 'trak', 'mdia')).toBeNull();
  });

  it('rejects a truncated header, a size under the header, a size past the end, and a 64-bit size past 2^53', () => {
    malformed(() => types(Buffer.concat([box('ftyp'), Buffer.from([0, 0, 0])])));
    malformed(() => types(box('ftyp', Buffer.alloc(8), 7)));
    malformed(() => types(box('ftyp', Buffer.alloc(8), 4)));
    malformed(() => types(box('ftyp', Buffer.alloc(8), 17)));
    malformed(() => types(box64('free', Buffer.alloc(8), 15n)));
    malformed(() => types(box64('free', Buffer.alloc(8), 1n << 60n)));
    // A 64-bit size whose 8 extra bytes are cut.
    malformed(() => types(box('free', Buffer.alloc(4), 1)));
    malformed(() => types(box('ftyp'), 4, 2));
    malformed(() => types(box('ftyp'), 0, 9));
  });

  it('rejects a child that reaches past its parent, even when the file has the bytes', () => {
    const inner = box('trak', Buffer.alloc(8), 64);
    const file = Buffer.concat([box('moov', inner), Buffer.alloc(64)]);
    const moov = boxes(file).next().value!;
    malformed(() => child(file, moov, 'mdia'));
  });

  it('with `partial`, ends the walk at a box the buffer holds only the head of', () => {
    const file = Buffer.concat([box('moof', Buffer.alloc(4)), box('mdat', Buffer.alloc(100), 1000)]);
    const all = [...boxes(file, 0, file.length, { partial: true })];
    expect(all.map((b) => [b.type, b.end])).toEqual([
      ['moof', 12],
      ['mdat', file.length],
    ]);
    malformed(() => types(file));
  });

  it('checks every field read and table count against its box', () => {
    const file = Buffer.concat([
      box('stts', Buffer.from([0, 0, 0, 0, 0, 0, 0, 2, ...Buffer.alloc(16)])),
      box('next'),
    ]);
    const r = new BoxReader(file, [...boxes(file)][0]!);
    expect(r.count(4, 8)).toBe(2);
    expect(r.u32(16)).toBe(0);
    malformed(() => r.u32(21));
    malformed(() => r.u8(-1));
    malformed(() => r.count(4, 9));
    file.writeUInt32BE(0x40000000, 12);
    malformed(() => r.count(4, 8));
    expect(readBoxHeader(file, 0, file.length)).toMatchObject({ type: 'stts', header: 8 });
  });
});
