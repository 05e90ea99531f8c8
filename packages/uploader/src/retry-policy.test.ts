import { describe, expect, it } from 'vitest';
import { AUTO_RETRIES, backoffMs, classifyFailure, shouldAutoRetry, waitToRetry } from './retry-policy.ts';

describe('retry policy after the bytes are stored', () => {
  it('waits for the network when offline, retries drops and 5xx, gives up on refusals', () => {
    expect(classifyFailure(null, false)).toBe('offline');
    expect(classifyFailure(null, true)).toBe('transient');
    for (const status of [500, 502, 503, 504, 429, 408])
      expect(classifyFailure(status, true)).toBe('transient');
    expect(classifyFailure(401, true)).toBe('denied');
    expect(classifyFailure(403, true)).toBe('denied');
    for (const status of [400, 404, 409, 413]) expect(classifyFailure(status, true)).toBe('final');
  });

  it('backs off from 500 ms, doubling, capped at 8 s, and stops after AUTO_RETRIES unless offline', () => {
    expect([0, 1, 2, 3, 4, 10].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(shouldAutoRetry('transient', 0)).toBe(true);
    expect(shouldAutoRetry('transient', AUTO_RETRIES - 1)).toBe(true);
    expect(shouldAutoRetry('transient', AUTO_RETRIES)).toBe(false);
    expect(shouldAutoRetry('offline', 1000)).toBe(true);
    expect(shouldAutoRetry('final', 0)).toBe(false);
    expect(shouldAutoRetry('denied', 0)).toBe(false);
  });

  it('stops waiting when aborted', async () => {
    const abort = new AbortController();
    const waited = waitToRetry(60_000, abort.signal);
    abort.abort();
    await expect(waited).resolves.toBeUndefined();
  });
});
