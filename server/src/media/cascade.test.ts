import { describe, expect, it } from 'vitest';
import { scaleParents } from './cascade.ts';

const rung = (width: number, height: number, fps: number | null = null) => ({ width, height, fps });

describe('scaleParents', () => {
  it('steps a 1080 ladder down from the next larger rung, preferring an exact halving', () => {
    const ladder = [rung(426, 240), rung(640, 360), rung(854, 480), rung(1280, 720), rung(1920, 1080)];
    // 240 ← 480 (×2), 360 ← 720 (×2), 480 ← 720, 720 ← 1080, 1080 ← the source.
    expect(scaleParents(ladder)).toEqual([2, 3, 3, 4, null]);
  });

  it('steps a 2160 ladder through 1440 and halves where it can', () => {
    const ladder = [1080, 1440, 2160, 240, 360, 480, 720].map((h) =>
      rung(Math.round((h * 16) / 9 / 2) * 2, h),
    );
    // 1080 ← 2160 (×2), 1440 ← 2160, 2160 ← source, 240 ← 480, 360 ← 720, 480 ← 720, 720 ← 1440 (×2).
    expect(scaleParents(ladder)).toEqual([2, 2, null, 5, 6, 6, 1]);
  });

  it('never takes frames from a rung with fewer of them, and never scales up', () => {
    // A 60 fps source: 720 keeps 60 fps, 480 and 240 are 30 fps. 720 cannot come from a 30 fps rung.
    const ladder = [rung(426, 240, 30), rung(854, 480, 30), rung(1280, 720)];
    expect(scaleParents(ladder)).toEqual([1, 2, null]);
    // Portrait: a rung narrower but taller than another is not its parent.
    expect(scaleParents([rung(240, 426), rung(426, 240)])).toEqual([null, null]);
  });
});
