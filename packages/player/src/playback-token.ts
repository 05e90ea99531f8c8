import type { Loader, LoaderContext } from 'hls.js';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { HlsSource } from './hls-controller.ts';

/** Refresh this long before `exp` at most (a long token), and at least this fraction of its life before. */
const MAX_MARGIN_MS = 60_000;
const MARGIN_SHARE = 0.2;
/** A signature this close to its expiry is replaced by the token on the next request. */
const SIG_MARGIN_S = 5;

interface Claims {
  exp?: number;
  iat?: number;
}

/** The claims of a JWT, without verifying it (the server does): only to know when it expires. */
export function decodeClaims(token: string): Claims {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const claims = JSON.parse(json) as Claims;
    return typeof claims === 'object' && claims !== null ? claims : {};
  } catch {
    return {};
  }
}

/** A loader class as hls.js takes it in `config.loader`. */
export type LoaderClass = new (config: unknown) => Loader<LoaderContext>;

let tokenLoaderChunk: Promise<typeof import('./token-loader.ts')> | undefined;

/** The token loader's chunk; a player calls this early so it arrives together with hls.js. */
export function importTokenLoader(): Promise<typeof import('./token-loader.ts')> {
  tokenLoaderChunk ??= import('./token-loader.ts').catch((err: unknown) => {
    tokenLoaderChunk = undefined; // the next source may try again
    throw err;
  });
  return tokenLoaderChunk;
}

/**
 * The playback token of a protected video, kept fresh for `<vod-player>`:
 * - `playback-token` is the token; `token-url` is where a new one comes from (`POST`, answering
 *   `{token}` as JSON or the bare JWT), fetched before the current one expires and after a 401/403;
 * - `authorize(url)` puts the current token on a /stream URL: a URL that still carries a fresh
 *   playlist signature (`sig=`) keeps it (cheapest for the server); a stale one gets the token;
 * - `loaderFor(Hls.DefaultConfig.loader)` wraps hls.js' loader so every playlist, init segment and
 *   segment request goes through `authorize`, and a 401/403 is answered by one refresh and a retry.
 */
export class PlaybackTokenController implements ReactiveController {
  #token = '';
  #exp: number | null = null;
  #tokenUrl = '';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: Promise<string> | null = null;
  #connected = false;
  readonly #fetch: typeof fetch;

  constructor(host: ReactiveControllerHost, fetchImpl: typeof fetch = (...a) => fetch(...a)) {
    host.addController(this);
    this.#fetch = fetchImpl;
  }

  /** The token to send now ('' when none). */
  get token(): string {
    return this.#token;
  }

  /** Whether a 401/403 is worth a retry: only `token-url` can hand out a different token. */
  get refreshable(): boolean {
    return this.#tokenUrl !== '';
  }

  /** Sets the attributes' values; a token set by the page replaces a fetched one. */
  configure(token: string, tokenUrl: string): void {
    this.#tokenUrl = tokenUrl;
    if (token !== this.#token && token) this.#use(token);
    else this.#schedule();
  }

  /** Fetches a new token from `token-url` (one request at a time); resolves with it. */
  refresh(): Promise<string> {
    if (!this.#tokenUrl) return Promise.reject(new Error('no token-url to refresh the playback token from'));
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** A token is needed but none is there yet: the first request waits for `token-url`. */
  get missing(): boolean {
    return !this.#token && this.refreshable;
  }

  /**
   * `url` with the current token where it needs one. Only /stream URLs change; `force` drops a
   * signature even when it looks fresh (the server refused it); `add: false` leaves a URL that carries
   * neither `token` nor `sig` alone (a server that does not sign its playlists wants none).
   */
  authorize(url: string, { force = false, add = true }: { force?: boolean; add?: boolean } = {}): string {
    if (!this.#token) return url;
    let u: URL;
    try {
      u = new URL(url, globalThis.location?.href);
    } catch {
      return url;
    }
    if (!u.pathname.includes('/stream/')) return url;
    const sig = u.searchParams.get('sig');
    if (!add && !force && !sig && !u.searchParams.has('token')) return url;
    if (sig && !force) {
      const exp = Number(sig.split('.')[0]);
      if (exp - SIG_MARGIN_S > Date.now() / 1000) return url;
    }
    if (!sig && u.searchParams.get('token') === this.#token) return url;
    u.searchParams.delete('sig');
    u.searchParams.set('token', this.#token);
    return u.href;
  }

  /**
   * The HLS source of `url` for this token: authorized, and only with a token (or a `token-url` to get
   * one) through hls.js' wrapped loader, whose chunk is then fetched beside hls.js. A `token-url` set
   * after a source loaded without a token is first used by the next source.
   */
  source(url: string, startPosition: number): HlsSource {
    const source: HlsSource = { url: this.authorize(url), startPosition };
    if (this.#token || this.refreshable) {
      void importTokenLoader().catch(() => undefined);
      source.wrapLoader = (base) => this.loaderFor(base);
      // Without a token yet (only `token-url`), the master waits for the loader to fetch one.
      source.prefetch = !this.missing;
    }
    if (this.refreshable) {
      source.reauthorize = async () => {
        await this.refresh();
        return this.authorize(url);
      };
    }
    return source;
  }

  /**
   * An hls.js loader class that authorizes every request and survives one 401/403 by refreshing. Its
   * code is a chunk of its own (token-loader.ts), fetched only for a player that has a token.
   */
  async loaderFor(Base: LoaderClass): Promise<LoaderClass> {
    const { tokenLoader } = await importTokenLoader();
    return tokenLoader(this, Base);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#schedule();
  }

  hostDisconnected(): void {
    this.#connected = false;
    clearTimeout(this.#timer);
  }

  #use(token: string): void {
    this.#token = token;
    this.#exp = decodeClaims(token).exp ?? null;
    this.#schedule();
  }

  /** Refreshes ahead of `exp`: 20% of the token's life before it, at most a minute before. */
  #schedule(): void {
    clearTimeout(this.#timer);
    if (!this.#connected || !this.#tokenUrl || !this.#token || this.#exp === null) return;
    const { iat } = decodeClaims(this.#token);
    const lifeMs = iat ? (this.#exp - iat) * 1000 : MAX_MARGIN_MS * 5;
    const margin = Math.min(MAX_MARGIN_MS, lifeMs * MARGIN_SHARE);
    const delay = Math.max(1000, this.#exp * 1000 - Date.now() - margin);
    this.#timer = setTimeout(() => {
      this.refresh().catch(() => {
        // The next request's 401/403 tries again and reports the failure.
      });
    }, delay);
  }

  async #fetchToken(): Promise<string> {
    const res = await this.#fetch(this.#tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json, text/plain' },
      credentials: 'same-origin',
    });
    if (!res.ok) throw new Error(`token-url answered ${res.status}`);
    const text = (await res.text()).trim();
    let token = text;
    if (text.startsWith('{')) token = String((JSON.parse(text) as { token?: unknown }).token ?? '');
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error('token-url did not answer with a token');
    this.#use(token);
    return token;
  }
}
