import type { LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import type { LoaderClass } from './playback-token.ts';
import type { Prefetch } from './prefetch.ts';
import { WrappedLoader } from './wrapped-loader.ts';

/** What `startupLoader` asks of a start-up: the request made ahead for a URL, once. */
export interface Ahead {
  take(url: string): Prefetch | null;
}

/**
 * hls.js' loader (`config.pLoader` and `config.fLoader`) that answers a request from what `ahead`
 * fetched for its URL before hls.js was there, and sends every other one through `Base` (the default
 * or the playback-token loader). A failed, refused or late answer falls back to `Base`, so errors,
 * retries and token refreshes stay hls.js' and the token loader's; "late" is the request's own
 * `maxLoadTimeMs`. Byte-range requests always go to `Base`: an answer by URL would be the whole file.
 */
export function startupLoader(Base: LoaderClass, ahead: Ahead): LoaderClass {
  return class StartupLoader extends WrappedLoader {
    #context: LoaderContext | null = null;
    #aborted = false;
    #timer: ReturnType<typeof setTimeout> | undefined;

    constructor(config: unknown) {
      super(Base, config);
    }

    override get context(): LoaderContext | null {
      return this.#context ?? this.inner.context;
    }

    load(
      context: LoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<LoaderContext>,
    ): void {
      const prefetch = context.rangeEnd ? null : ahead.take(context.url);
      if (!prefetch) {
        this.inner.load(context, config, callbacks);
        return;
      }
      this.#context = context;
      const limit = config.loadPolicy?.maxLoadTimeMs || config.timeout || 20_000;
      const late = new Promise<null>((resolve) => {
        this.#timer = setTimeout(() => resolve(null), limit);
      });
      void Promise.race([prefetch.answer, late]).then((answer) => {
        clearTimeout(this.#timer);
        if (this.#aborted) return;
        const binary = context.responseType === 'arraybuffer';
        if (!answer || binary !== answer.data instanceof ArrayBuffer) {
          prefetch.abort();
          this.#context = null;
          this.inner.load(context, config, callbacks);
          return;
        }
        const { data } = answer;
        const stats = this.inner.stats;
        stats.loading.start = prefetch.start;
        stats.loading.first = answer.first;
        stats.loading.end = answer.end;
        stats.loaded = stats.total = typeof data === 'string' ? data.length : data.byteLength;
        callbacks.onSuccess({ url: answer.url, data, code: answer.status }, stats, context, null);
      });
    }

    override abort(): void {
      this.#aborted = true;
      clearTimeout(this.#timer);
      super.abort();
    }

    override destroy(): void {
      // Not through abort(): the inner loader's abort() reports `onAbort`, and hls.js answers that by
      // destroying the loader again (fragment loaders destroy themselves once done).
      this.#aborted = true;
      clearTimeout(this.#timer);
      super.destroy();
    }
  };
}
