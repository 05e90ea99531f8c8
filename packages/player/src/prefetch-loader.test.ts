/// <reference types="node" />
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderClass } from './playback-token.ts';
import { prefetchEarly, prefetchLoader, prefetchPlaylist, takeEarlyPrefetch } from './prefetch-loader.ts';

// A real HTTP server; hls.js' own loader needs XMLHttpRequest, which Node lacks, so `Base` is a small
// fetch-based loader with the same contract (the e2e specs run the real one in Chromium).
let origin = '';
const seen: string[] = [];
const server = http.createServer((req, res) => {
  seen.push(req.url ?? '');
  if (req.url?.startsWith('/missing')) res.writeHead(404).end('no');
  else if (req.url?.startsWith('/slow')) setTimeout(() => res.end('#EXTM3U\n#slow'), 1500);
  else res.end(`#EXTM3U\n#${req.url}`);
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const newStats = (): LoaderStats => ({
  aborted: false,
  loaded: 0,
  retry: 0,
  total: 0,
  chunkCount: 0,
  bwEstimate: 0,
  loading: { start: 0, first: 0, end: 0 },
  parsing: { start: 0, end: 0 },
  buffering: { start: 0, first: 0, end: 0 },
});

class FetchLoader implements Loader<LoaderContext> {
  context: LoaderContext | null = null;
  stats = newStats();
  load(context: LoaderContext, _c: LoaderConfiguration, cb: LoaderCallbacks<LoaderContext>): void {
    this.context = context;
    fetch(context.url).then(async (res) => {
      const text = await res.text();
      if (res.ok) cb.onSuccess({ url: res.url, data: text, code: res.status }, this.stats, context, null);
      else cb.onError({ code: res.status, text }, context, null, this.stats);
    });
  }
  abort(): void {}
  destroy(): void {}
}
const Base = FetchLoader as unknown as LoaderClass;

const policy = (maxLoadTimeMs: number) =>
  ({ loadPolicy: { maxLoadTimeMs } }) as unknown as LoaderConfiguration;
const config = policy(10_000);

function load(Loader: LoaderClass, url: string, type = 'manifest', limits = config) {
  return new Promise<{ ok: boolean; data?: string; code?: number; stats: LoaderStats }>((resolve) => {
    new Loader({}).load({ url, type, responseType: 'text' } as LoaderContext, limits, {
      onSuccess: (r, stats) => resolve({ ok: true, data: String(r.data), code: r.code, stats }),
      onError: (e, _c, _d, stats) => resolve({ ok: false, code: e.code, stats }),
      onTimeout: (stats) => resolve({ ok: false, stats }),
    });
  });
}

describe('prefetchLoader', () => {
  it('answers the first master request from the prefetch, and sends the rest to the network', async () => {
    seen.length = 0;
    const url = `${origin}/stream/a/master.m3u8`;
    const prefetch = prefetchPlaylist(url);
    const Loader = prefetchLoader(Base, prefetch);
    const first = await load(Loader, url);
    expect(first).toMatchObject({ ok: true, code: 200, data: '#EXTM3U\n#/stream/a/master.m3u8' });
    expect(first.stats.loaded).toBe(first.data!.length);
    expect(first.stats.loading.end).toBeGreaterThanOrEqual(first.stats.loading.start);
    expect(seen).toEqual(['/stream/a/master.m3u8']);
    // A retry of the master, a media playlist, another URL: each a request of its own.
    await load(Loader, url);
    await load(Loader, `${origin}/stream/a/hi/index.m3u8`, 'level');
    expect(seen).toEqual(['/stream/a/master.m3u8', '/stream/a/master.m3u8', '/stream/a/hi/index.m3u8']);
  });

  it('falls back to the network when the prefetch was refused, so errors are the loader’s own', async () => {
    seen.length = 0;
    const url = `${origin}/missing/master.m3u8`;
    const result = await load(prefetchLoader(Base, prefetchPlaylist(url)), url);
    expect(result).toMatchObject({ ok: false, code: 404 });
    expect(seen).toEqual(['/missing/master.m3u8', '/missing/master.m3u8']);
  });

  it('gives up on a prefetch slower than the request’s own time limit, and asks again', async () => {
    seen.length = 0;
    const url = `${origin}/slow/master.m3u8`;
    const result = await load(prefetchLoader(Base, prefetchPlaylist(url)), url, 'manifest', policy(300));
    expect(result).toMatchObject({ ok: true, data: '#EXTM3U\n#slow' });
    expect(seen).toEqual(['/slow/master.m3u8', '/slow/master.m3u8']);
  });

  it('stays silent once aborted', async () => {
    const url = `${origin}/stream/b/master.m3u8`;
    const loader = new (prefetchLoader(Base, prefetchPlaylist(url)))({});
    let called = false;
    loader.load({ url, type: 'manifest', responseType: 'text' } as LoaderContext, config, {
      onSuccess: () => (called = true),
      onError: () => (called = true),
      onTimeout: () => (called = true),
    });
    loader.abort();
    await new Promise((r) => setTimeout(r, 150));
    expect(called).toBe(false);
  });
});

describe('early prefetch (early-hls.ts, before any player is defined)', () => {
  it('is requested once, taken by one player only, and then answers that player’s master request', async () => {
    seen.length = 0;
    const url = `${origin}/stream/early/master.m3u8`;
    prefetchEarly(url);
    prefetchEarly(url); // two players of the same video: still one request
    const taken = takeEarlyPrefetch(url);
    expect(taken?.url).toBe(url);
    expect(takeEarlyPrefetch(url)).toBeNull(); // a second player asks for itself
    expect(takeEarlyPrefetch(`${origin}/stream/other/master.m3u8`)).toBeNull();
    const result = await load(prefetchLoader(Base, taken!), url);
    expect(result).toMatchObject({ ok: true, data: '#EXTM3U\n#/stream/early/master.m3u8' });
    expect(seen).toEqual(['/stream/early/master.m3u8']);
  });
});
