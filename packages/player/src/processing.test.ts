import { describe, expect, it } from 'vitest';
import { encodeRate, HOLD_AT_S, mustHold, readyPercent, resumeAhead } from './processing.ts';

describe('playing while encoding', () => {
  const p = { edge: 10, total: 60, rate: 2, targetDuration: 2 };

  it('an encoder faster than real time needs only a few segments ahead', () => {
    expect(resumeAhead(p, 0)).toBe(4);
    expect(mustHold(p, 5, false)).toBe(false);
    expect(mustHold(p, 9, false)).toBe(true); // 1 s left < HOLD_AT_S
  });

  it('a slow encoder is waited for until playing at 1× no longer catches up with it', () => {
    // Half real time, 50 s still to encode (100 s of wall clock): 50 s must be ahead.
    const slow = { ...p, rate: 0.5 };
    expect(resumeAhead(slow, 0)).toBeCloseTo(50 + HOLD_AT_S);
    // From there on, the encoder stays ahead to the end: playing from 0 with 51.5 s published
    // reaches 60 s after 60 s; the encoder needs (60 - 51.5) / 0.5 = 17 s.
    const later = { ...slow, edge: 51.5 };
    expect(mustHold(later, 0, true)).toBe(false);
    expect(mustHold(later, 0, false)).toBe(false);
  });

  it('never asks for more than what is left of the video', () => {
    const crawling = { ...p, edge: 55, rate: 0.01 };
    expect(resumeAhead(crawling, 50)).toBe(10);
    expect(mustHold(crawling, 50, true)).toBe(true);
    expect(mustHold({ ...crawling, edge: 60 }, 50, true)).toBe(false);
  });

  it('without the total, a slow encoder gets a longer but bounded hold-back', () => {
    const unknown = { ...p, total: null, rate: 0.25 };
    expect(resumeAhead(unknown, 0)).toBe(16);
    expect(resumeAhead({ ...unknown, rate: 0 }, 0)).toBe(30);
    expect(resumeAhead({ ...unknown, rate: null }, 0)).toBe(4);
  });

  it('measures the encoder from the playlist updates', () => {
    expect(encodeRate([])).toBeNull();
    expect(encodeRate([{ at: 0, edge: 2 }])).toBeNull();
    expect(
      encodeRate([
        { at: 0, edge: 2 },
        { at: 1000, edge: 4 },
      ]),
    ).toBeNull(); // under 2 s
    expect(
      encodeRate([
        { at: 0, edge: 2 },
        { at: 4000, edge: 4 },
      ]),
    ).toBe(0.5);
    expect(
      encodeRate([
        { at: 0, edge: 2 },
        { at: 5000, edge: 2 },
      ]),
    ).toBe(0); // stuck
    // Only the last 15 s count.
    expect(
      encodeRate([
        { at: 0, edge: 0 },
        { at: 20_000, edge: 10 },
        { at: 30_000, edge: 30 },
      ]),
    ).toBe(2);
  });

  it('says how much is ready, below 100% until the end', () => {
    expect(readyPercent(3, 12)).toBe(25);
    expect(readyPercent(12, 12)).toBe(99);
    expect(readyPercent(3, null)).toBeNull();
  });
});
