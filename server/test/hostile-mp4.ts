import fs from 'node:fs';
import path from 'node:path';
import { BoxReader, boxes, child, children } from '../src/media/mp4/boxes.ts';
import { makeClip } from './fixtures.ts';

/** The moov box of an MP4 file's bytes (found with the server's own walker). */
export function moovOf(file: Buffer): Buffer {
  const moov = [...boxes(file)].find((b) => b.type === 'moov');
  if (!moov) throw new Error('no moov');
  return file.subarray(moov.offset, moov.end);
}

/**
 * The audit's crafted clip: a real 2 s 320×240 H.264 MP4 whose video stts says its first run has
 * 2^30 samples. ffprobe accepts it (nb_frames 1073741824); the bytes are otherwise untouched.
 */
export async function hugeSttsMp4(dir: string): Promise<{ original: string; hostile: string }> {
  const original = await makeClip(path.join(dir, 'stts-original.mp4'), {
    duration: 2,
    width: 320,
    height: 240,
    audio: null,
    extra: ['-movflags', '+faststart'],
  });
  const bytes = fs.readFileSync(original);
  const moov = [...boxes(bytes)].find((b) => b.type === 'moov')!;
  let patched = false;
  for (const trak of children(bytes, moov)) {
    if (trak.type !== 'trak') continue;
    const mdia = child(bytes, trak, 'mdia');
    const minf = mdia && child(bytes, mdia, 'minf');
    const stbl = minf && child(bytes, minf, 'stbl');
    const stts = stbl && child(bytes, stbl, 'stts');
    if (!stts || new BoxReader(bytes, stts).count(4, 8) < 1) continue;
    // The first entry's sample count: after version/flags and the entry count.
    bytes.writeUInt32BE(2 ** 30, stts.start + 8);
    patched = true;
  }
  if (!patched) throw new Error('no stts to patch');
  const hostile = path.join(dir, 'stts-2e30.mp4');
  fs.writeFileSync(hostile, bytes);
  return { original, hostile };
}
