import { LRUCache } from 'lru-cache';
import { ApiError } from '../errors.ts';

export interface SignInLimits {
  /** Failed sign-ins one client address may make per window; then 429 `too_many_sign_ins`. */
  failures: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { failures: 10, windowMs: 15 * 60_000 };

/** Client addresses whose failures are remembered (least recently seen out first): memory stays bounded. */
const MAX_CLIENTS = 10_000;

/**
 * Failed Studio sign-ins per client address, in this process: guessing secrets (or sign-in links)
 * costs a window per `failures` guesses. A window starts at an address's first failure; success does
 * not reset it, so a valid key of one's own does not buy more guesses at another's. Behind several
 * API nodes each counts its own, so the bound is per node (docs/architecture.md › Studio).
 */
export class SignInLimiter {
  readonly #failures: LRUCache<string, { count: number }>;

  constructor(readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {
    this.#failures = new LRUCache({ max: MAX_CLIENTS, ttl: limits.windowMs, noUpdateTTL: true });
  }

  /** Throws 429 (with `retryAfterS`) when the address has no attempt left in its window. */
  check(client: string): void {
    const used = this.#failures.get(client)?.count ?? 0;
    if (used < this.limits.failures) return;
    const wait = Math.max(1, Math.ceil(this.#failures.getRemainingTTL(client) / 1000));
    throw new ApiError(
      'too_many_sign_ins',
      `too many failed sign-ins from this address: retry in ${wait} s`,
      { retryAfterS: wait },
    );
  }

  fail(client: string): void {
    const entry = this.#failures.get(client);
    if (entry) entry.count++;
    else this.#failures.set(client, { count: 1 });
  }
}
