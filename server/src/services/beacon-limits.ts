import net from 'node:net';
import { LRUCache } from 'lru-cache';

/**
 * Per-client budgets of the public beacon endpoint, in memory only (no address is ever written to
 * the database) and bounded: the least recently seen clients are forgotten first.
 */

/** How many client addresses each budget remembers. */
const MAX_CLIENTS = 50_000;

/**
 * The budget key of an address: IPv6 by its /64 (one subscriber typically holds a whole /64 and
 * could rotate through it), IPv4 (and IPv4-mapped IPv6) as it is.
 */
export function clientKey(ip: string): string {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (net.isIPv4(v4)) return v4;
  if (!net.isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** A token bucket per client: `ratePerS` beacons a second on average, `burst` at once. */
export class ClientRateLimit {
  readonly #buckets = new LRUCache<string, { tokens: number; at: number }>({ max: MAX_CLIENTS });

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
  ) {}

  /** Takes one token; false when the client has none left. */
  take(client: string, nowMs = Date.now()): boolean {
    const b = this.#buckets.get(client);
    if (!b) {
      this.#buckets.set(client, { tokens: this.burst - 1, at: nowMs });
      return true;
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.ratePerS);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Seconds until the client has a token again (for Retry-After). */
  retryAfterS(client: string): number {
    const b = this.#buckets.get(client);
    return b ? Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerS)) : 1;
  }
}

/** New sessions per client and fixed hour window: what one address can add to the view counts. */
export class SessionBudget {
  readonly #windows = new LRUCache<string, { hour: number; n: number }>({ max: MAX_CLIENTS });

  constructor(private readonly perHour: number) {}

  take(client: string, nowMs = Date.now()): boolean {
    const hour = Math.floor(nowMs / 3_600_000);
    const w = this.#windows.get(client);
    if (!w || w.hour !== hour) {
      this.#windows.set(client, { hour, n: 1 });
      return true;
    }
    if (w.n >= this.perHour) return false;
    w.n++;
    return true;
  }
}
