import { describe, expect, it } from 'vitest';
import { ClientRateLimit, clientKey, SessionBudget } from './beacon-limits.ts';

describe('beacon limits', () => {
  it('token bucket: a burst at once, then the rate, per client', () => {
    const limit = new ClientRateLimit(2, 3);
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => limit.take('a', t))).toEqual([true, true, true, false]);
    expect(limit.retryAfterS('a')).toBe(1);
    expect(limit.take('b', t)).toBe(true);
    // Half a second at 2/s is one more beacon, not two.
    expect([limit.take('a', t + 500), limit.take('a', t + 500)]).toEqual([true, false]);
    // Ten idle seconds refill to the burst, no further.
    expect([1, 2, 3, 4].map(() => limit.take('a', t + 10_500))).toEqual([true, true, true, false]);
  });

  it('session budget: so many new sessions per client and clock hour', () => {
    const budget = new SessionBudget(2);
    const hour = 3_600_000 * 500_000;
    expect([1, 2, 3].map(() => budget.take('a', hour + 10))).toEqual([true, true, false]);
    expect(budget.take('b', hour + 10)).toBe(true);
    expect(budget.take('a', hour + 3_599_999)).toBe(false);
    expect(budget.take('a', hour + 3_600_000)).toBe(true);
  });

  it('keys IPv6 clients by their /64 and IPv4 (mapped or not) by address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
