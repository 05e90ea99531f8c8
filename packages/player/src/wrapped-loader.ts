import type { Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import type { LoaderClass } from './playback-token.ts';

/**
 * An hls.js loader around another (`Base`: hls.js' default or another wrapper) that hands every member
 * but `load` to it. The token and start-up loaders extend it; both live in lazy chunks, so this adds
 * nothing to the element's own.
 */
export abstract class WrappedLoader implements Loader<LoaderContext> {
  protected inner: Loader<LoaderContext>;

  constructor(Base: LoaderClass, config: unknown) {
    this.inner = new Base(config);
  }

  get context(): LoaderContext | null {
    return this.inner.context;
  }

  get stats(): LoaderStats {
    return this.inner.stats;
  }

  getCacheAge(): number | null {
    return this.inner.getCacheAge?.() ?? null;
  }

  getResponseHeader(name: string): string | null {
    return this.inner.getResponseHeader?.(name) ?? null;
  }

  abstract load(
    context: LoaderContext,
    config: LoaderConfiguration,
    callbacks: LoaderCallbacks<LoaderContext>,
  ): void;

  abort(): void {
    this.inner.abort();
  }

  destroy(): void {
    this.inner.destroy();
  }
}
