import type { Startup, StartupOptions } from './startup.ts';

/** A response read ahead of hls.js. */
export interface Fetched {
  url: string;
  data: string | ArrayBuffer;
  status: number;
  first: number;
  end: number;
}

/** One request made before hls.js asked for it; hls.js gets the answer through `startupLoader`. */
export interface Prefetch {
  readonly url: string;
  readonly start: number;
  /** The answer when it was a 2xx with a body; null otherwise (hls.js then asks again itself). */
  readonly answer: Promise<Fetched | null>;
  abort(): void;
}

export function prefetch(
  url: string,
  binary = false,
  fetchImpl: typeof fetch = (...a) => fetch(...a),
): Prefetch {
  const controller = new AbortController();
  const start = performance.now();
  // As hls.js' XHR asks: no credentials across origins, the HTTP cache's default mode.
  const answer = fetchImpl(url, { signal: controller.signal, credentials: 'same-origin' }).then(
    async (res): Promise<Fetched | null> => {
      const first = performance.now();
      if (!res.ok) {
        await res.body?.cancel();
        return null;
      }
      const data = await (binary ? res.arrayBuffer() : res.text());
      return { url: res.url || url, data, status: res.status, first, end: performance.now() };
    },
    () => null,
  );
  return { url, start, answer, abort: () => controller.abort() };
}

/**
 * Starts loading `url` (a master playlist) now: the request at once, the rest as `Startup` decides.
 * The pipeline (master → media playlists → first segments) is its own small chunk: the element's
 * chunk only starts the master's request, which is the one that cannot wait. Null when that chunk
 * cannot be had: hls.js then asks for everything itself.
 */
export function startStartup(url: string, options: StartupOptions): Promise<Startup | null> {
  const master = prefetch(url);
  return import('./startup.ts').then(
    (m) => new m.Startup(master, options, prefetch),
    () => {
      master.abort();
      return null;
    },
  );
}

/** Start-ups begun by `early-hls.ts` before any player existed, by the master's absolute URL. */
const early = new Map<string, Promise<Startup | null>>();

/**
 * Begins the start-up of `url` for the player that will ask for it once defined (`takeEarly`). One
 * that no player takes within 10 s (its attributes changed first) is dropped and aborted.
 */
export function startEarly(url: string, options: StartupOptions): void {
  if (early.has(url)) return;
  const startup = startStartup(url, options);
  early.set(url, startup);
  setTimeout(() => {
    if (early.get(url) !== startup) return;
    early.delete(url);
    void startup.then((s) => s?.abort());
  }, 10_000);
}

/** The early start-up of `url`, taken out so that no second player uses the same answers; else null. */
export function takeEarly(url: string): Promise<Startup | null> | null {
  const startup = early.get(url);
  if (!startup) return null;
  early.delete(url);
  return startup;
}
