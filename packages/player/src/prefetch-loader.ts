import type { Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import type { LoaderClass } from './playback-token.ts';

/** A playlist's answer, read ahead of hls.js. */
interface Answer {
  url: string;
  text: string;
  status: number;
  first: number;
  end: number;
}

/**
 * The master playlist, requested while hls.js' chunk is still downloading: the playlist's round trip
 * then overlaps the import instead of following it. hls.js gets it through `prefetchLoader`.
 */
export interface PlaylistPrefetch {
  readonly url: string;
  readonly start: number;
  /** The answer when it was a 2xx with a body; null otherwise (hls.js then asks again itself). */
  readonly answer: Promise<Answer | null>;
  /** Taken by a loader: a second master request (a retry, a new hls.js) goes to the network. */
  used: boolean;
  abort(): void;
}

export function prefetchPlaylist(
  url: string,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): PlaylistPrefetch {
  const controller = new AbortController();
  const start = performance.now();
  // As hls.js' XHR asks: no credentials across origins, the HTTP cache's default mode.
  const answer = fetchImpl(url, { signal: controller.signal, credentials: 'same-origin' }).then(
    async (res): Promise<Answer | null> => {
      const first = performance.now();
      if (!res.ok) {
        await res.body?.cancel();
        return null;
      }
      const text = await res.text();
      return { url: res.url || url, text, status: res.status, first, end: performance.now() };
    },
    () => null,
  );
  return { url, start, answer, used: false, abort: () => controller.abort() };
}

/** Masters requested by `early-hls.ts` before any player existed, by absolute URL. */
const early = new Map<string, PlaylistPrefetch>();

/**
 * Requests `url` now, for the player that will ask for it once defined (`takeEarlyPrefetch`). One
 * that no player takes within 10 s (its attributes changed first) is dropped and aborted.
 */
export function prefetchEarly(url: string): void {
  if (early.has(url)) return;
  const prefetch = prefetchPlaylist(url);
  early.set(url, prefetch);
  setTimeout(() => {
    if (early.get(url) !== prefetch) return;
    early.delete(url);
    prefetch.abort();
  }, 10_000);
}

/** The early request for `url`, taken out so that no second player uses the same answer; else null. */
export function takeEarlyPrefetch(url: string): PlaylistPrefetch | null {
  const prefetch = early.get(url);
  if (!prefetch) return null;
  early.delete(url);
  return prefetch;
}

/**
 * hls.js' playlist loader (`config.pLoader`) that answers the first request for `prefetch.url` from
 * the prefetched response and sends every other one through `Base` (the default or the playback-token
 * loader). A failed, refused or late prefetch falls back to `Base`, so errors, retries and token
 * refreshes stay hls.js' and the token loader's; "late" is the request's own `maxLoadTimeMs`.
 */
export function prefetchLoader(Base: LoaderClass, prefetch: PlaylistPrefetch): LoaderClass {
  return class PrefetchLoader implements Loader<LoaderContext> {
    readonly #inner: Loader<LoaderContext>;
    #context: LoaderContext | null = null;
    #aborted = false;
    #timer: ReturnType<typeof setTimeout> | undefined;

    constructor(config: unknown) {
      this.#inner = new Base(config);
    }

    get context(): LoaderContext | null {
      return this.#context ?? this.#inner.context;
    }

    get stats(): LoaderStats {
      return this.#inner.stats;
    }

    getCacheAge(): number | null {
      return this.#inner.getCacheAge?.() ?? null;
    }

    getResponseHeader(name: string): string | null {
      return this.#inner.getResponseHeader?.(name) ?? null;
    }

    load(
      context: LoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<LoaderContext>,
    ): void {
      if (prefetch.used || String(context.type) !== 'manifest' || context.url !== prefetch.url) {
        this.#inner.load(context, config, callbacks);
        return;
      }
      prefetch.used = true;
      this.#context = context;
      const limit = config.loadPolicy?.maxLoadTimeMs || config.timeout || 20_000;
      const late = new Promise<null>((resolve) => {
        this.#timer = setTimeout(() => resolve(null), limit);
      });
      void Promise.race([prefetch.answer, late]).then((answer) => {
        clearTimeout(this.#timer);
        if (this.#aborted) return;
        if (!answer) {
          prefetch.abort();
          this.#context = null;
          this.#inner.load(context, config, callbacks);
          return;
        }
        const stats = this.#inner.stats;
        stats.loading.start = prefetch.start;
        stats.loading.first = answer.first;
        stats.loading.end = answer.end;
        stats.loaded = stats.total = answer.text.length;
        callbacks.onSuccess(
          { url: answer.url, data: answer.text, code: answer.status },
          stats,
          context,
          null,
        );
      });
    }

    abort(): void {
      this.#aborted = true;
      clearTimeout(this.#timer);
      this.#inner.abort();
    }

    destroy(): void {
      this.abort();
      this.#inner.destroy();
    }
  };
}
