/**
 * What to do when a call to the server fails after the bytes are stored. Pure: the tracker and the
 * upload rows ask it, the tests drive it without a network.
 */

/**
 * `offline`: the browser says it has no network; wait for it to come back (not counted).
 * `transient`: the request did not get through (a dropped connection, DNS, a reset) or the server is
 * overloaded or restarting (5xx, 429): try again after a back-off, a few times.
 * `denied`: 401/403, the token may not do this; nothing to retry with the same token.
 * `final`: the server answered and refused (another 4xx); the user may still retry by hand.
 */
export type FailureKind = 'offline' | 'transient' | 'denied' | 'final';

/** `status` is the HTTP status, or null when no answer came (fetch threw). */
export function classifyFailure(status: number | null, online: boolean): FailureKind {
  if (status === null) return online ? 'transient' : 'offline';
  if (status === 401 || status === 403) return 'denied';
  if (status >= 500 || status === 429 || status === 408) return 'transient';
  return 'final';
}

/**
 * Automatic attempts after a transient failure before the row says it is interrupted and offers
 * Retry: 0.5 + 1 + 2 + 4 s, about 8 s, enough for a restarting server or a Wi-Fi hand-over, short
 * enough that a person is not left watching "Reconnecting…" for minutes.
 */
export const AUTO_RETRIES = 4;

/** The wait before automatic attempt `attempt` (0-based): doubling from 500 ms, at most 8 s. */
export function backoffMs(attempt: number): number {
  return Math.min(8000, 500 * 2 ** Math.max(0, attempt));
}

/**
 * Whether another automatic attempt follows a failure: always while offline (the wait is for the
 * `online` event, not a timer), `AUTO_RETRIES` times for a transient one, never otherwise.
 */
export function shouldAutoRetry(kind: FailureKind, attempt: number): boolean {
  if (kind === 'offline') return true;
  return kind === 'transient' && attempt < AUTO_RETRIES;
}

/** Resolves after `ms`, or earlier when the browser comes back online or `signal` aborts. */
export function waitToRetry(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    globalThis.addEventListener?.('online', done);
    signal.addEventListener('abort', done);
  });
}

/** Resolves when the browser is online (at once if it is), or when `signal` aborts. */
export function waitForOnline(signal: AbortSignal): Promise<void> {
  if (isOnline() || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      globalThis.removeEventListener?.('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    globalThis.addEventListener?.('online', done);
    signal.addEventListener('abort', done);
  });
}

/** `navigator.onLine`, true where there is no navigator (it only ever says "surely offline"). */
export function isOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}
