import type { Loader, LoaderCallbacks, LoaderContext, LoaderStats } from 'hls.js';
import type { ReactiveController } from 'lit';
import { describe, expect, it } from 'vitest';
import { decodeClaims, type LoaderClass, PlaybackTokenController } from './playback-token.ts';

/** An unsigned JWT-shaped token: the controller only reads `exp`/`iat`, the server verifies. */
const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}.c2ln`;
const now = () => Math.floor(Date.now() / 1000);

// The app server's token-url, as fetch sees it (the e2e spec uses a real one): each POST answers the
// next token of `issued`, or the status in `fail`.
const tokenUrl = 'https://app.example/playback-token';
const issued: string[] = [];
let fail = 0;
let requests = 0;
const tokenEndpoint: typeof fetch = async (input, init) => {
  requests++;
  expect(String(input)).toBe(tokenUrl);
  expect(init?.method).toBe('POST');
  if (fail) return new Response('', { status: fail });
  return Response.json({ token: issued.shift() ?? '' });
};

/** A Lit host needs only addController here; the controller's lifecycle is driven by hand. */
function controller(fetchImpl: typeof fetch = tokenEndpoint) {
  let added: ReactiveController | undefined;
  const host = {
    addController: (c: ReactiveController) => {
      added = c;
    },
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  const tokens = new PlaybackTokenController(host, fetchImpl);
  expect(added).toBe(tokens);
  return tokens;
}

describe('PlaybackTokenController.authorize', () => {
  const base = 'https://vod.example/stream/abcdefgh1234';

  it('adds the token to /stream URLs only, and leaves everything alone without a token', () => {
    const tokens = controller();
    expect(tokens.authorize(`${base}/master.m3u8`)).toBe(`${base}/master.m3u8`);
    const t = jwt({ exp: now() + 600 });
    tokens.configure(t, '');
    expect(tokens.authorize(`${base}/master.m3u8`)).toBe(`${base}/master.m3u8?token=${t}`);
    expect(tokens.authorize('https://cdn.example/other.m3u8')).toBe('https://cdn.example/other.m3u8');
    // What hls.js loads below a playlist that carries no credentials stays as the playlist said.
    expect(tokens.authorize(`${base}/240/seg_001.m4s`, { add: false })).toBe(`${base}/240/seg_001.m4s`);
  });

  it('keeps a fresh playlist signature, and swaps a stale one (or a refused one) for the token', () => {
    const tokens = controller();
    const t = jwt({ exp: now() + 600 });
    tokens.configure(t, '');
    const fresh = `${base}/240/seg_001.m4s?sig=${now() + 300}.mac`;
    expect(tokens.authorize(fresh)).toBe(fresh);
    expect(tokens.authorize(fresh, { force: true })).toBe(`${base}/240/seg_001.m4s?token=${t}`);
    const stale = `${base}/240/seg_001.m4s?sig=${now() - 1}.mac`;
    expect(tokens.authorize(stale)).toBe(`${base}/240/seg_001.m4s?token=${t}`);
    // An old token in the URL is replaced by the current one.
    expect(tokens.authorize(`${base}/poster.jpg?token=old`)).toBe(`${base}/poster.jpg?token=${t}`);
  });

  it('decodes exp and iat without verifying, and shrugs at garbage', () => {
    expect(decodeClaims(jwt({ exp: 123, iat: 100 }))).toEqual({ exp: 123, iat: 100 });
    expect(decodeClaims('not a jwt')).toEqual({});
  });
});

describe('PlaybackTokenController.source', () => {
  const master = 'https://vod.example/stream/abcdefgh1234/master.m3u8';

  it('a source without a token is the bare URL, with no loader to wrap and nothing to re-authorize', () => {
    expect(controller().source(master, 3)).toEqual({ url: master, startPosition: 3 });
  });

  it('a token goes on the URL and through the wrapped loader, which may request the master at once', () => {
    const tokens = controller();
    const t = jwt({ exp: now() + 600 });
    tokens.configure(t, '');
    const source = tokens.source(master, 0);
    expect(source.url).toBe(`${master}?token=${t}`);
    expect(source.wrapLoader).toBeTypeOf('function');
    expect(source.prefetch).toBe(true);
    // Without token-url there is no other token to get.
    expect(source.reauthorize).toBeUndefined();
  });

  it('with only token-url the master waits for a token; re-authorizing fetches a fresh one', async () => {
    const tokens = controller();
    tokens.configure('', tokenUrl);
    const source = tokens.source(master, 0);
    expect(source.url).toBe(master);
    expect(source.prefetch).toBe(false);
    const fresh = jwt({ exp: now() + 600 });
    issued.push(fresh);
    expect(await source.reauthorize!()).toBe(`${master}?token=${fresh}`);
  });
});

describe('PlaybackTokenController refresh', () => {
  it('fetches from token-url, one request for concurrent callers, and uses the new token', async () => {
    const tokens = controller();
    tokens.configure(jwt({ exp: now() + 5 }), tokenUrl);
    const next = jwt({ exp: now() + 600, n: 2 });
    issued.push(next);
    const before = requests;
    const [a, b] = await Promise.all([tokens.refresh(), tokens.refresh()]);
    expect(a).toBe(next);
    expect(b).toBe(next);
    expect(requests - before).toBe(1);
    expect(tokens.token).toBe(next);
  });

  it('refreshes by itself before exp while connected', async () => {
    const tokens = controller();
    const t0 = now();
    // A 2 s token: refreshed 20% of its life before exp, i.e. after about 1.6 s (at least 1 s).
    tokens.configure(jwt({ iat: t0, exp: t0 + 2 }), tokenUrl);
    const next = jwt({ iat: t0, exp: t0 + 600, n: 3 });
    issued.push(next);
    tokens.hostConnected();
    try {
      const until = Date.now() + 10_000;
      while (tokens.token !== next && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(tokens.token).toBe(next);
    } finally {
      tokens.hostDisconnected();
    }
  });

  it('rejects when token-url fails or answers no token', async () => {
    const tokens = controller();
    await expect(tokens.refresh()).rejects.toThrow(/no token-url/);
    tokens.configure('', tokenUrl);
    expect(tokens.missing).toBe(true);
    fail = 500;
    await expect(tokens.refresh()).rejects.toThrow(/500/);
    fail = 0;
    issued.push('nonsense');
    await expect(tokens.refresh()).rejects.toThrow(/did not answer with a token/);
  });
});

describe('PlaybackTokenController.loaderFor', () => {
  /** Stands in for hls.js' XhrLoader (XMLHttpRequest is a browser API): answers by status per URL. */
  const seen: string[] = [];
  const statusFor = (url: string) => (url.includes('token=') ? 200 : 403);
  class StatusLoader implements Loader<LoaderContext> {
    context: LoaderContext | null = null;
    stats = { loading: { start: 0 } } as unknown as LoaderStats;
    #used = false;
    load(context: LoaderContext, _config: unknown, callbacks: LoaderCallbacks<LoaderContext>) {
      // hls.js loaders are single-use: a second load() on one instance is a bug.
      if (this.#used) throw new Error('Loader can only be used once.');
      this.#used = true;
      this.context = context;
      seen.push(context.url);
      const status = statusFor(context.url);
      queueMicrotask(() => {
        if (status === 200) {
          callbacks.onSuccess({ url: context.url, data: 'ok' }, this.stats, context, null);
        } else callbacks.onError({ code: status, text: 'Forbidden' }, context, null, this.stats);
      });
    }
    abort() {}
    destroy() {}
  }

  const run = (Loader: LoaderClass, url: string) =>
    new Promise<{ ok: boolean; url: string }>((resolve) => {
      const loader = new Loader({});
      const context = { url, responseType: 'arraybuffer', type: 'manifest' } as unknown as LoaderContext;
      loader.load(context, {} as never, {
        onSuccess: (res) => resolve({ ok: true, url: res.url }),
        onError: (_e, ctx) => resolve({ ok: false, url: ctx.url }),
        onTimeout: () => resolve({ ok: false, url: 'timeout' }),
      });
    });

  it('answers a 403 on an expired signature with one refresh and a retry carrying the new token', async () => {
    const tokens = controller();
    tokens.configure(jwt({ exp: now() + 600 }), tokenUrl);
    const fresh = jwt({ exp: now() + 900, n: 4 });
    issued.push(fresh);
    seen.length = 0;
    const url = `https://vod.example/stream/abcdefgh1234/240/seg.m4s?sig=${now() + 300}.mac`;
    const result = await run(await tokens.loaderFor(StatusLoader as unknown as LoaderClass), url);
    expect(result.ok).toBe(true);
    expect(seen).toEqual([url, `https://vod.example/stream/abcdefgh1234/240/seg.m4s?token=${fresh}`]);
  });

  it('fetches a token first when it only has token-url, and gives up after one retry', async () => {
    const tokens = controller();
    tokens.configure('', tokenUrl);
    const first = jwt({ exp: now() + 900, n: 5 });
    issued.push(first);
    const result = await run(
      await tokens.loaderFor(StatusLoader as unknown as LoaderClass),
      'https://vod.example/stream/abcdefgh1234/master.m3u8',
    );
    expect(result).toEqual({
      ok: true,
      url: `https://vod.example/stream/abcdefgh1234/master.m3u8?token=${first}`,
    });

    // Without token-url a 403 goes straight to hls.js.
    const fixed = controller();
    seen.length = 0;
    const denied = await run(
      await fixed.loaderFor(StatusLoader as unknown as LoaderClass),
      'https://vod.example/stream/x/a.m4s',
    );
    expect(denied.ok).toBe(false);
    expect(seen).toHaveLength(1);
  });
});
