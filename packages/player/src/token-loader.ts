import type { LoaderCallbacks, LoaderConfiguration, LoaderContext } from 'hls.js';
import type { LoaderClass, PlaybackTokenController } from './playback-token.ts';
import { WrappedLoader } from './wrapped-loader.ts';

/**
 * Wraps hls.js' loader so every playlist, init segment and segment request goes through
 * `tokens.authorize`, and a 401/403 is answered by one refresh and a retry. Its own module so that
 * `<vod-player>` fetches it (a lazy chunk) only when it has a playback token or a `token-url`.
 */
export function tokenLoader(tokens: PlaybackTokenController, Base: LoaderClass): LoaderClass {
  return class TokenLoader extends WrappedLoader {
    #config: unknown;
    #destroyed = false;

    constructor(config: unknown) {
      super(Base, config);
      this.#config = config;
    }

    load(
      context: LoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<LoaderContext>,
    ): void {
      if (tokens.missing) {
        tokens.refresh().then(
          () => this.#start(context, config, callbacks, false),
          () => this.#start(context, config, callbacks, false),
        );
        return;
      }
      this.#start(context, config, callbacks, false);
    }

    #start(
      context: LoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<LoaderContext>,
      retried: boolean,
    ): void {
      if (this.#destroyed) return;
      // The master gets the token even when it came without (only `token-url` was given); children
      // keep what their playlist gave them, refreshed when it is a token or a stale signature.
      const master = (context as { type?: string }).type === 'manifest';
      context.url = tokens.authorize(context.url, { force: retried, add: master || retried });
      this.inner.load(context, config, {
        ...callbacks,
        onError: (error, ctx, details, stats) => {
          const denied = error.code === 401 || error.code === 403;
          if (!denied || retried || !tokens.refreshable || this.#destroyed) {
            callbacks.onError(error, ctx, details, stats);
            return;
          }
          // An expired token or signature: a fresh token, a fresh loader (hls.js loaders are single-use).
          tokens.refresh().then(
            () => {
              this.inner.destroy();
              this.inner = new Base(this.#config);
              this.#start(context, config, callbacks, true);
            },
            () => callbacks.onError(error, ctx, details, stats),
          );
        },
      });
    }

    override destroy(): void {
      this.#destroyed = true;
      super.destroy();
    }
  };
}
