import { describe, expect, it } from 'vitest';
import { chunkCuts, planChunks, publishingChunk } from './chunks.ts';
import { gridCut } from './schedule.ts';

const schedule = { firstSeconds: 1, seconds: 4 };
/** The encoded ladder's grid: cuts at 1, 2, 5, 9, 13, … */
const encodedGrid = (n: number) => gridCut(schedule, null, n);
const every = (step: number, until: number) =>
  Array.from({ length: Math.floor(until / step) + 1 }, (_, i) => Math.round(i * step * 1e6) / 1e6);
const spans = (chunks: ReturnType<typeof planChunks>) => chunks.map((c) => [c.fromS, c.toS]);

describe('planChunks', () => {
  it('does not cut a source up to two chunks long', () => {
    expect(planChunks(encodedGrid, every(1, 120), 120, 60)).toEqual([
      { index: 0, fromS: 0, toS: null, firstSegment: 0, decodeFromS: 0 },
    ]);
    expect(planChunks(encodedGrid, [], 8, 0)).toHaveLength(1);
  });

  it('cuts on the segment grid near every chunk length, and lets the last chunk take a short remainder', () => {
    const chunks = planChunks(encodedGrid, every(1, 200), 200, 60);
    expect(spans(chunks)).toEqual([
      [0, 61],
      [61, 121],
      [121, null],
    ]);
    for (const c of chunks) {
      // A chunk's first segment is the grid's segment starting at its first instant.
      expect(c.firstSegment === 0 ? 0 : encodedGrid(c.firstSegment)).toBe(c.fromS);
      expect(c.decodeFromS).toBe(c.fromS);
    }
  });

  it('prefers the grid cut closest after a source keyframe (x264 default 250-frame GOPs at 30 fps)', () => {
    const keyframes = every(250 / 30, 300);
    const [, second] = planChunks(encodedGrid, keyframes, 300, 60);
    // 69 is 2.33 s after the keyframe at 66.67; 61 would be 2.67 s after 58.33, 57 is 7.33 s after 50.
    expect(second!.fromS).toBe(69);
    expect(second!.decodeFromS).toBeCloseTo(66.666667, 5);
  });

  it('cuts a copied source exactly at its keyframes (its grid), decoding nothing twice', () => {
    const keyframes = every(2, 180);
    const copiedGrid = (n: number) => gridCut(schedule, keyframes.slice(1), n);
    const chunks = planChunks(copiedGrid, keyframes, 180, 60);
    expect(spans(chunks)).toEqual([
      [0, 60],
      [60, 120],
      [120, null],
    ]);
    expect(chunks.map((c) => c.decodeFromS)).toEqual([0, 60, 120]);
    expect(chunks.map((c) => c.firstSegment)).toEqual([0, 30, 60]);
  });

  it('with 2 s chunks on an 8 s source: three chunks on the 1, 2, 5 s grid', () => {
    expect(spans(planChunks(encodedGrid, every(1, 8), 8, 2))).toEqual([
      [0, 2],
      [2, 5],
      [5, null],
    ]);
  });
});

describe('chunkCuts', () => {
  it('lists the grid cuts inside a chunk, its own start first', () => {
    const [first, second, last] = planChunks(encodedGrid, every(1, 200), 200, 60);
    expect(chunkCuts(first!, encodedGrid, 200)).toEqual([
      0, 1, 2, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57,
    ]);
    expect(chunkCuts(second!, encodedGrid, 200)).toEqual([
      61, 65, 69, 73, 77, 81, 85, 89, 93, 97, 101, 105, 109, 113, 117,
    ]);
    expect(chunkCuts(last!, encodedGrid, 200).at(-1)).toBe(197);
  });
});

describe('publishingChunk', () => {
  it('publishes chunks in order: a later chunk that finished first waits for the ones before it', () => {
    expect(publishingChunk([false, true, true])).toBe(0);
    expect(publishingChunk([true, false, true])).toBe(1);
    expect(publishingChunk([true, true, true])).toBeNull();
  });
});
