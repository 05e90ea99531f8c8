/** `token-url` answered, but not with a token: reported as `token_unavailable`, never retried by tus. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export interface TokenSourceOptions {
  /** A fixed API JWT. */
  token?: string | null;
  /** The customer's app server: `POST` it and expect `{token, expiresAt?}`. */
  tokenUrl?: string | null;
  fetch?: typeof fetch;
}

/** Refetch this long before `expiresAt`, so a token never expires between a check and its request. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Where upload requests get their `Authorization` from: a fixed `token`, or `token-url` fetched lazily,
 * shared by concurrent requests and refetched once stale (`invalidate()`, or close to `expiresAt`).
 */
export class TokenSource {
  readonly #token: string | null;
  readonly #tokenUrl: string | null;
  readonly #fetch: typeof fetch;
  #cached: { token: string; expiresAt: number } | null = null;
  #pending: Promise<string> | null = null;

  constructor(options: TokenSourceOptions) {
    this.#token = options.token || null;
    this.#tokenUrl = options.tokenUrl || null;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Whether a 401 is worth a retry: only a `token-url` can hand out a different token. */
  get refreshable(): boolean {
    return this.#tokenUrl !== null;
  }

  /** Forget the fetched token: the next `get()` asks `token-url` again. */
  invalidate(): void {
    this.#cached = null;
  }

  /** The token to send, or null when the element has neither `token` nor `token-url`. */
  async get(): Promise<string | null> {
    if (!this.#tokenUrl) return this.#token;
    if (this.#cached && this.#cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return this.#cached.token;
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetchToken(): Promise<string> {
    const url = this.#tokenUrl!;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: 'POST',
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new TokenError(`Could not reach ${url} for an upload token (${(err as Error).message}).`);
    }
    const body = (await res.json().catch(() => null)) as {
      token?: unknown;
      expiresAt?: unknown;
      error?: { message?: string };
    } | null;
    if (!res.ok || typeof body?.token !== 'string') {
      const why = body?.error?.message ?? `HTTP ${res.status}`;
      throw new TokenError(`Could not get an upload token from ${url}: ${why}.`);
    }
    this.#cached = { token: body.token, expiresAt: parseExpiry(body.expiresAt) };
    return body.token;
  }
}

/** `expiresAt` as an ISO date or epoch seconds/milliseconds; without one, reuse for a minute. */
function parseExpiry(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return Date.now() + EXPIRY_MARGIN_MS + 60_000;
}
