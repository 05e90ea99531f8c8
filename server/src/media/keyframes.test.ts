import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, tempDir, x264 } from '../../test/fixtures.ts';
import { annexBPictureTypes, NAL_IDR, NAL_SLICE } from './h264.ts';
import { keyPacketIndex, probeKeyframes } from './keyframes.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-keyframes-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** 2.5 s at 30 fps with a keyframe every second: recovery-point I-frames when `open`. */
const clip = (name: string, open: boolean) =>
  makeClip(path.join(dir, name), {
    width: 320,
    height: 200,
    fps: 30,
    duration: 2.5,
    audio: null,
    video: x264('-bf', '2', '-x264-params', `open-gop=${open ? 1 : 0}:keyint=30:min-keyint=30:scenecut=0`),
  });

describe('keyframes read from packet flags (MKV, TS): copied only at IDR frames', () => {
  it.each([
    ['a closed-GOP MKV', 'closed.mkv', false, [0, 1, 2]],
    ['a closed-GOP TS', 'closed.ts', false, [0, 1, 2]],
    // Its recovery-point I-frames are flagged keyframes too; only the first (an IDR) is kept.
    ['an open-GOP MKV', 'open.mkv', true, [0]],
    ['an open-GOP TS', 'open.ts', true, [0]],
  ])('%s keeps only its IDR keyframes', async (_, name, open, times) => {
    const k = await probeKeyframes(paths, await clip(name, open), 10_000);
    expect(k.times).toEqual(times);
  });
});

describe('reading H.264 without decoding', () => {
  it('tells each picture of an Annex B stream by its first slice (first_mb_in_slice 0)', () => {
    const nal = (header: number, first: number) => [0, 0, 0, 1, header, first, 0xaa];
    const stream = Buffer.from([
      ...nal(0x67, 0x42), // SPS
      ...nal(0x65, 0x88), // IDR, first slice
      ...nal(0x65, 0x40), // IDR, a later slice of the same picture
      ...nal(0x06, 0x80), // SEI
      ...nal(0x41, 0x9a), // non-IDR, first slice
    ]);
    expect(annexBPictureTypes(stream, 10)).toEqual([NAL_IDR, NAL_SLICE]);
    expect(annexBPictureTypes(stream, 1)).toEqual([NAL_IDR]);
    expect(annexBPictureTypes(Buffer.from([0, 0, 1]), 10)).toEqual([]);
  });

  it('counts packets, not keyframes, to the nth keyframe', () => {
    const csv = ['0.000,K__', 'N/A,___', '', '0.033,__,', '1.000,K_,', 'progressive', '0.0'].join('\n');
    expect(keyPacketIndex(csv, 1)).toBe(0);
    expect(keyPacketIndex(csv, 2)).toBe(3);
    expect(keyPacketIndex(csv, 3)).toBeNull();
  });
});
