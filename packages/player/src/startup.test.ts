/// <reference types="node" />
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, LoaderStats } from 'hls.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoaderClass } from './playback-token.ts';
import { prefetch, startEarly, startStartup, takeEarly } from './prefetch.ts';
import { chooseVariant, firstSegments, Startup, type Variant } from './startup.ts';
import { startupLoader } from './startup-loader.ts';

const MASTER = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Commentary, English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="audio/1/index.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Main",DEFAULT=YES,AUTOSELECT=YES,URI="audio/0/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=5200000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080,AUDIO="audio"
1080/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=530000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=426x240,AUDIO="audio"
240/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=930000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="audio"
360/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=1530000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=854x480,AUDIO="audio"
480/index.m3u8
`;
const media = (segments = 3) =>
  `#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n${Array.from(
    { length: segments },
    (_, i) => `#EXTINF:4.000,\nseg_${i}.m4s`,
  ).join('\n')}\n#EXT-X-ENDLIST\n`;

// A real HTTP server; hls.js' own loader needs XMLHttpRequest, which Node lacks, so `Base` is a small
// fetch-based loader with the same contract (the e2e specs run the real one in Chromium).
let origin = '';
const seen: string[] = [];
const server = http.createServer((req, res) => {
  const url = req.url ?? '';
  seen.push(url);
  if (url.startsWith('/missing')) res.writeHead(404).end('no');
  else if (url.startsWith('/slow')) setTimeout(() => res.end('#EXTM3U\n#slow'), 1500);
  else if (url.endsWith('/master.m3u8')) res.end(MASTER);
  else if (url.endsWith('/index.m3u8')) res.end(media());
  else if (/\.(mp4|m4s)$/.test(url)) res.end(Buffer.from(url));
  else res.end(`#EXTM3U\n#${url}`);
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
      const data = context.responseType === 'arraybuffer' ? await res.arrayBuffer() : await res.text();
      if (res.ok) cb.onSuccess({ url: res.url, data, code: res.status }, this.stats, context, null);
      else cb.onError({ code: res.status, text: String(data) }, context, null, this.stats);
    });
  }
  abort(): void {}
  destroy(): void {}
}
const Base = FetchLoader as unknown as LoaderClass;

const policy = (maxLoadTimeMs: number) =>
  ({ loadPolicy: { maxLoadTimeMs } }) as unknown as LoaderConfiguration;
const config = policy(10_000);

interface Loaded {
  ok: boolean;
  data?: string | ArrayBuffer;
  code?: number;
  stats: LoaderStats;
}

function load(Loader: LoaderClass, url: string, extra: Partial<LoaderContext> = {}, limits = config) {
  return new Promise<Loaded>((resolve) => {
    const context = { url, type: 'manifest', responseType: 'text', ...extra } as LoaderContext;
    new Loader({}).load(context, limits, {
      onSuccess: (r, stats) =>
        resolve({ ok: true, data: r.data as string | ArrayBuffer, code: r.code, stats }),
      onError: (e, _c, _d, stats) => resolve({ ok: false, code: e.code, stats }),
      onTimeout: (stats) => resolve({ ok: false, stats }),
    });
  });
}
const fragment = { type: undefined, responseType: 'arraybuffer' } as unknown as Partial<LoaderContext>;
const text = (data: Loaded['data']) => (typeof data === 'string' ? data : Buffer.from(data!).toString());

/** Until every request the start-up makes has gone out (the server saw `count`). */
async function until(count: number): Promise<void> {
  for (let i = 0; i < 100 && seen.length < count; i++) await new Promise((r) => setTimeout(r, 20));
}

describe('chooseVariant', () => {
  const rung = (height: number, bandwidth: number): Variant => ({
    uri: `${height}`,
    bandwidth,
    width: Math.round((height * 16) / 9),
    height,
  });
  const ladder = [
    rung(1080, 5_200_000),
    rung(240, 530_000),
    rung(720, 2_900_000),
    rung(360, 930_000),
    rung(480, 1_530_000),
  ];

  it('starts on the best rung under 2 Mbit/s when the player’s size is unknown', () => {
    expect(chooseVariant(ladder, null)?.height).toBe(480);
  });
  it('never starts larger than the player needs, in device pixels', () => {
    expect(chooseVariant(ladder, { width: 640, height: 360 })?.height).toBe(360);
    expect(chooseVariant(ladder, { width: 320, height: 180 })?.height).toBe(240);
    expect(chooseVariant(ladder, { width: 320, height: 180 }, 2)?.height).toBe(360);
    // A big player is still held to what a first segment can fetch quickly.
    expect(chooseVariant(ladder, { width: 1920, height: 1080 })?.height).toBe(480);
  });
  it('starts on a rendition chosen by hand, counted as hls.js does: lowest bitrate first', () => {
    expect(chooseVariant(ladder, { width: 640, height: 360 }, 1, 0)?.height).toBe(240);
    expect(chooseVariant(ladder, null, 1, 4)?.height).toBe(1080);
    expect(chooseVariant(ladder, null, 1, 9)?.height).toBe(480);
  });
  it('takes the lowest rung when none is that cheap, and nothing from an empty master', () => {
    expect(chooseVariant([rung(1080, 6_000_000), rung(720, 3_000_000)], null)?.height).toBe(720);
    expect(chooseVariant([], null)).toBeUndefined();
  });
});

describe('firstSegments', () => {
  it('is the init segment and the segment playing at the start position', () => {
    expect(firstSegments(media(), 0)).toEqual(['init.mp4', 'seg_0.m4s']);
    expect(firstSegments(media(), 4)).toEqual(['init.mp4', 'seg_1.m4s']);
    expect(firstSegments(media(), 9.5)).toEqual(['init.mp4', 'seg_2.m4s']);
    expect(firstSegments(media(), 60)).toEqual([]);
    expect(firstSegments('#EXTM3U\n#EXTINF:2,\na.ts\n', 0)).toEqual(['a.ts']);
  });
  it('leaves byte ranges to hls.js, which asks for them with a Range header', () => {
    expect(firstSegments(`${media()}#EXT-X-BYTERANGE:100@0\n`, 0)).toEqual([]);
  });
});

describe('Startup', () => {
  it('fetches the start rung’s playlist, its default audio, and their first segments, each once', async () => {
    seen.length = 0;
    const url = `${origin}/v/a/master.m3u8`;
    const startup = new Startup(
      prefetch(url),
      { segments: true, startPosition: 0, box: () => ({ width: 640, height: 360 }) },
      prefetch,
    );
    await until(7);
    expect(seen.sort()).toEqual(
      [
        '/v/a/master.m3u8',
        '/v/a/360/index.m3u8',
        '/v/a/audio/0/index.m3u8',
        '/v/a/360/init.mp4',
        '/v/a/360/seg_0.m4s',
        '/v/a/audio/0/init.mp4',
        '/v/a/audio/0/seg_0.m4s',
      ].sort(),
    );
    expect(startup.levelUrl).toBe(`${origin}/v/a/360/index.m3u8`);
    // hls.js gets each answer once, through the loader; a second ask goes to the network.
    const Loader = startupLoader(Base, startup);
    expect(text((await load(Loader, url)).data)).toBe(MASTER);
    const segment = await load(Loader, `${origin}/v/a/360/seg_0.m4s`, fragment);
    expect(segment.data).toBeInstanceOf(ArrayBuffer);
    expect(text(segment.data)).toBe('/v/a/360/seg_0.m4s');
    expect(segment.stats.loaded).toBe('/v/a/360/seg_0.m4s'.length);
    expect(seen).toHaveLength(7);
    await load(Loader, `${origin}/v/a/360/seg_0.m4s`, fragment);
    expect(seen).toHaveLength(8);
    startup.abort();
    expect(startup.take(`${origin}/v/a/360/init.mp4`)).toBeNull();
  });

  it('fetches playlists only for a player that does not buffer before play', async () => {
    seen.length = 0;
    const asked: string[] = [];
    const counting: typeof prefetch = (url, binary) => {
      asked.push(new URL(url).pathname);
      return prefetch(url, binary);
    };
    const playlists = ['/v/b/480/index.m3u8', '/v/b/audio/0/index.m3u8'];
    const startup = new Startup(
      prefetch(`${origin}/v/b/master.m3u8`),
      { segments: false, startPosition: 0 },
      counting,
    );
    await until(3);
    // Segments would be asked for in the start-up's own reaction to these answers, which was
    // registered before ours: once ours runs, any segment request has been made.
    await Promise.all(playlists.map((p) => startup.take(`${origin}${p}`)!.answer));
    expect(asked.sort()).toEqual(playlists);
    expect(seen.sort()).toEqual([...playlists, '/v/b/master.m3u8']);
  });

  it('fetches the audio rendition in the language the viewer chose before, not the default', async () => {
    seen.length = 0;
    const playlists = ['/v/d/480/index.m3u8', '/v/d/audio/1/index.m3u8'];
    const startup = new Startup(
      prefetch(`${origin}/v/d/master.m3u8`),
      { segments: false, startPosition: 0, audioLanguage: 'EN' },
      prefetch,
    );
    await until(3);
    await Promise.all(playlists.map((p) => startup.take(`${origin}${p}`)!.answer));
    expect(seen.sort()).toEqual([...playlists, '/v/d/master.m3u8']);
  });

  it('stops at the master when that was refused, and hls.js then asks for itself', async () => {
    seen.length = 0;
    const url = `${origin}/missing/master.m3u8`;
    const startup = new Startup(prefetch(url), { segments: true, startPosition: 0 }, prefetch);
    const result = await load(startupLoader(Base, startup), url);
    expect(result).toMatchObject({ ok: false, code: 404 });
    expect(seen).toEqual(['/missing/master.m3u8', '/missing/master.m3u8']);
    expect(startup.levelUrl).toBeNull();
  });
});

describe('startupLoader', () => {
  const one = (p: ReturnType<typeof prefetch>) => ({ take: (url: string) => (url === p.url ? p : null) });

  it('gives up on an answer slower than the request’s own time limit, and asks again', async () => {
    seen.length = 0;
    const url = `${origin}/slow/master.m3u8`;
    const result = await load(startupLoader(Base, one(prefetch(url))), url, {}, policy(300));
    expect(result).toMatchObject({ ok: true, data: '#EXTM3U\n#slow' });
    expect(seen).toEqual(['/slow/master.m3u8', '/slow/master.m3u8']);
  });

  it('sends byte-range requests, and answers of the wrong kind, to the network', async () => {
    seen.length = 0;
    const url = `${origin}/v/c/seg.m4s`;
    await load(startupLoader(Base, one(prefetch(url, true))), url, {
      ...fragment,
      rangeStart: 0,
      rangeEnd: 9,
    });
    await load(startupLoader(Base, one(prefetch(url))), url, fragment);
    expect(seen).toEqual(Array(4).fill('/v/c/seg.m4s'));
  });

  it('is destroyed without reporting an abort, as hls.js destroys a fragment loader once it is done', async () => {
    let aborts = 0;
    class Counting extends FetchLoader {
      override abort(): void {
        aborts++;
      }
    }
    const url = `${origin}/v/f/seg.m4s`;
    const loader = new (startupLoader(Counting as unknown as LoaderClass, one(prefetch(url, true))))({});
    loader.destroy();
    expect(aborts).toBe(0);
  });

  it('stays silent once aborted', async () => {
    const url = `${origin}/v/d/master.m3u8`;
    const ahead = prefetch(url);
    const loader = new (startupLoader(Base, one(ahead)))({});
    let called = false;
    loader.load({ url, type: 'manifest', responseType: 'text' } as LoaderContext, config, {
      onSuccess: () => (called = true),
      onError: () => (called = true),
      onTimeout: () => (called = true),
    });
    loader.abort();
    // The answer arrives (abort does not cancel the prefetch), and once the microtasks after it have
    // run, the loader has had its chance to call back.
    expect(await ahead.answer).not.toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(called).toBe(false);
  });
});

describe('early start-up (early-hls.ts, before any player is defined)', () => {
  it('is begun once, taken by one player only, and then answers that player’s requests', async () => {
    seen.length = 0;
    const url = `${origin}/v/early/master.m3u8`;
    startEarly(url, { segments: false, startPosition: 0 });
    startEarly(url, { segments: false, startPosition: 0 }); // two players of the same video: still one
    const taken = takeEarly(url);
    expect(takeEarly(url)).toBeNull(); // a second player asks for itself
    expect(takeEarly(`${origin}/v/other/master.m3u8`)).toBeNull();
    const startup = await taken;
    expect(startup).toBeInstanceOf(Startup);
    expect(text((await load(startupLoader(Base, startup!), url)).data)).toBe(MASTER);
    expect(seen.filter((u) => u.endsWith('master.m3u8'))).toEqual(['/v/early/master.m3u8']);
    startup!.abort();
  });

  it('is what a player that finds none begins itself', async () => {
    const startup = await startStartup(`${origin}/v/e/master.m3u8`, { segments: false, startPosition: 0 });
    expect(startup).toBeInstanceOf(Startup);
    startup!.abort();
  });
});
