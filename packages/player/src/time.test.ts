import { describe, expect, it } from 'vitest';
import { codeForStatus } from './errors.ts';
import { formatTime, spokenTime } from './time.ts';

describe('time formatting', () => {
  it('formats clock times', () => {
    expect([0, 5.9, 65, 3600, 3725, Number.NaN, Number.POSITIVE_INFINITY, -3].map(formatTime)).toEqual([
      '0:00',
      '0:05',
      '1:05',
      '1:00:00',
      '1:02:05',
      '0:00',
      '0:00',
      '0:00',
    ]);
  });

  it('speaks times for the slider', () => {
    expect(spokenTime(0)).toBe('0 seconds');
    expect(spokenTime(61)).toBe('1 minute 1 second');
    expect(spokenTime(7322)).toBe('2 hours 2 minutes 2 seconds');
  });
});

describe('codeForStatus', () => {
  it('names the statuses a page acts on, and only those', () => {
    expect([404, 410, 401, 403, 500, undefined].map(codeForStatus)).toEqual([
      'not_found',
      'not_found',
      'forbidden',
      'forbidden',
      null,
      null,
    ]);
  });
});
