/**
 * The `player` bench section (`npm run bench` runs this file as a child and takes its JSON from stdout;
 * alone: `node --import tsx e2e/bench/player.ts [runs]`), in Chromium: first frame of `<vod-player>` (`src` and `video-id` modes)
 * against bare hls.js on the same stream in the same run, the 360° view's frame rate at 640×360, and
 * the SDK's weight (raw, gzip, brotli: the element's own chunks and the ones it loads on demand).
 *
 * Every run is a fresh browser context (cold HTTP cache), pages are served by a real Vodkit server
 * (the built `demo/dist`), the ladder by a static server on another origin (e2e/helpers/hls-fixture).
 * First frame = `performance.now()` at the first `requestVideoFrameCallback`, i.e. from navigation
 * start to a decoded frame on screen, scripts included.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { type Browser, chromium, type Page } from '@playwright/test';
import { log, median, round, summarize } from '../../server/bench/stats.ts';
import { chromiumLaunchOptions } from '../../server/test/chromium.ts';
import { startServer } from '../../server/test/server.ts';
import { createHlsFixture, serveStatic } from '../helpers/hls-fixture.ts';

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  isEntry?: boolean;
}

interface Weight {
  files: string[];
  raw: number;
  gzip: number;
  brotli: number;
}

/** Bytes of built files as sent: raw, and the .gz/.br the build wrote (compressed here when absent). */
function weigh(dist: string, files: string[]): Weight {
  const w: Weight = { files, raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) {
    const full = path.join(dist, f);
    const body = fs.readFileSync(full);
    w.raw += body.length;
    w.gzip += fs.existsSync(`${full}.gz`)
      ? fs.statSync(`${full}.gz`).size
      : zlib.gzipSync(body, { level: 9 }).length;
    w.brotli += fs.existsSync(`${full}.br`)
      ? fs.statSync(`${full}.br`).size
      : zlib.brotliCompressSync(body).length;
  }
  return w;
}

export function bundleSizes(dist: string): Record<string, Weight> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const entryKey = Object.keys(manifest).find((k) => manifest[k]!.file === 'sdk/vodkit-player.js');
  if (!entryKey) throw new Error('no sdk/vodkit-player.js in the build manifest');
  const staticClosure = (key: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(key)) return seen;
    seen.add(key);
    for (const i of manifest[key]!.imports ?? []) staticClosure(i, seen);
    return seen;
  };
  const entry = manifest[entryKey]!;
  const onDemand = Object.fromEntries(
    (entry.dynamicImports ?? []).map((k) => [manifest[k]!.file.replace(/^assets\/|-[\w-]+\.js$/g, ''), k]),
  );
  const result: Record<string, Weight> = {
    elementChunk: weigh(dist, [entry.file]),
    upFront: weigh(
      dist,
      [...staticClosure(entryKey)].map((k) => manifest[k]!.file),
    ),
  };
  for (const [name, key] of Object.entries(onDemand))
    result[`onDemand:${name}`] = weigh(dist, [manifest[key]!.file]);
  return result;
}

/** Where the time went before the first frame: when each resource's response ended (ms from navigation). */
type Phases = Record<string, number>;

interface FirstFrame {
  ms: number;
  phases: Phases;
}

/** ms from navigation start to the first decoded frame, as the page measured it, and its phases. */
async function firstFrame(browser: Browser, url: string): Promise<FirstFrame> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => log(`${url}: ${e.message}`));
    // Missing favicon, poster and oEmbed on the fixture origin are expected; anything else is told.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) log(`${url}: ${m.text()}`);
    });
    // The page reports through a binding rather than being polled: `waitForFunction` evaluates
    // Playwright's injected script in the page (~15 ms of main thread), which then lands in the middle
    // of whichever subject is still starting.
    let report: (frame: FirstFrame) => void = () => undefined;
    const reported = new Promise<FirstFrame>((resolve) => {
      report = resolve;
    });
    await page.exposeFunction('reportFirstFrame', (frame: FirstFrame) => report(frame));
    await page.goto(url);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${url}: no first frame in 30 s`)), 30_000);
    });
    return await Promise.race([reported, timeout]).finally(() => clearTimeout(timer));
  } finally {
    await context.close();
  }
}

// At the first frame, the resource timeline: for each kind of request, when its first one started
// (`<kind>Start`) and ended (`<kind>`), so a slower subject shows which step it loses time in.
const FRAME_PROBE = `
  const KINDS = [['sdk', /\\/sdk\\//], ['hlsjs', /\\/hls-[\\w-]+\\.js/], ['oembed', /\\/oembed/],
    ['sharedChunk', /\\/assets\\/(?!hls-)[\\w-]+\\.js/],
    ['master', /master\\.m3u8/], ['level', /index\\.m3u8/], ['init', /init\\.mp4/], ['segment', /\\.m4s/]];
  function watch(video) {
    video.requestVideoFrameCallback(() => {
      const ms = performance.now();
      const phases = {};
      for (const e of performance.getEntriesByType('resource')) {
        const kind = KINDS.find(([, re]) => re.test(e.name));
        if (!kind || kind[0] in phases) continue;
        phases[kind[0] + 'Start'] = Math.round(e.startTime);
        phases[kind[0]] = Math.round(e.responseEnd);
        // Which rung it started on (the fixture's are hi/ and lo/): both subjects must pick the same.
        if (kind[0] === 'level') phases['rung:' + e.name.split('/').slice(-2)[0]] = Math.round(e.startTime);
      }
      for (const m of performance.getEntriesByType('mark')) phases[m.name] ??= Math.round(m.startTime);
      window.reportFirstFrame({ ms, phases });
    });
  }`;

// Page-side source as text: tsx would wrap named inner functions in a `__name` helper the page lacks.
const FRAME_RATE_JS = `async (seconds) => {
  const player = document.querySelector('vod-player');
  const startFrames = player.view360.frames;
  let rafs = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      rafs++;
      if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  const elapsed = (performance.now() - t0) / 1000;
  return { rafPerS: rafs / elapsed, renderedPerS: (player.view360.frames - startFrames) / elapsed };
}`;

function frameRate(page: Page, seconds: number): Promise<{ rafPerS: number; renderedPerS: number }> {
  return page.evaluate(`(${FRAME_RATE_JS})(${seconds})`);
}

export async function benchPlayer(repoRoot: string, runs: number): Promise<Record<string, unknown>> {
  const dist = path.join(repoRoot, 'demo/dist');
  if (!fs.existsSync(path.join(dist, '.vite/manifest.json'))) {
    throw new Error('player bench: demo/dist is not built; run `npm run build` first');
  }
  const hlsChunk = Object.values(
    JSON.parse(fs.readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Record<
      string,
      ManifestChunk
    >,
  ).find((c) => /^assets\/hls-/.test(c.file))!.file;
  const server = await startServer();
  const fixture = await createHlsFixture(6);
  const browser = await chromium.launch(chromiumLaunchOptions());
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const base = server.baseUrl;
    const pages = {
      bareHlsJs: `<!doctype html><video muted autoplay playsinline style="width:640px;height:360px"></video>
<script type="module">${FRAME_PROBE}
import Hls from '${base}/${hlsChunk}';
const video = document.querySelector('video'); watch(video);
const hls = new Hls({ startPosition: 0, capLevelToPlayerSize: true });
hls.attachMedia(video); hls.loadSource(${JSON.stringify(fixture.master)});
</script>`,
      src: `<!doctype html><script type="module" src="${base}/sdk/vodkit-player.js"></script>
<vod-player muted autoplay style="width:640px" src=${JSON.stringify(fixture.master)}></vod-player>
<script type="module">${FRAME_PROBE} watch(document.querySelector('vod-player').media);</script>`,
      videoId: `<!doctype html><script type="module" src="${base}/sdk/vodkit-player.js"></script>
<vod-player muted autoplay style="width:640px" video-id="${fixture.videoId}" api-base="${fixture.origin}"></vod-player>
<script type="module">${FRAME_PROBE} watch(document.querySelector('vod-player').media);</script>`,
    };
    // The pages come from a third origin, as a customer's site would load the SDK (with CORS).
    const pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-bench-pages-'));
    for (const [name, html] of Object.entries(pages))
      fs.writeFileSync(path.join(pageDir, `${name}.html`), html);
    fs.writeFileSync(
      path.join(pageDir, '360.html'),
      `<!doctype html><body style="margin:0"><script type="module" src="${base}/sdk/vodkit-player.js"></script>
<vod-player muted autoplay loop projection="360" style="width:640px;height:360px;aspect-ratio:auto" src=${JSON.stringify(fixture.master)}></vod-player>`,
    );
    const site = await serveStatic(pageDir);
    cleanup.push(async () => {
      await site.close();
      fs.rmSync(pageDir, { recursive: true, force: true });
    });
    const samples: Record<keyof typeof pages, number[]> = { bareHlsJs: [], src: [], videoId: [] };
    const phaseSamples: Record<keyof typeof pages, Phases[]> = { bareHlsJs: [], src: [], videoId: [] };
    // Warm-up (the OS page cache, Chromium's own start-up), then interleaved runs.
    for (const name of Object.keys(pages)) await firstFrame(browser, `${site.origin}/${name}.html`);
    for (let i = 0; i < runs; i++) {
      for (const name of Object.keys(pages) as (keyof typeof pages)[]) {
        const run = await firstFrame(browser, `${site.origin}/${name}.html`);
        samples[name].push(run.ms);
        phaseSamples[name].push(run.phases);
      }
    }
    const firstFrameMs = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    // Median of each phase over the runs, in time order.
    const phasesMedianMs = Object.fromEntries(
      Object.entries(phaseSamples).map(([subject, runs]) => {
        const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
        const medians = keys.map((k) => [k, median(runs.flatMap((r) => (k in r ? [r[k]!] : [])))] as const);
        medians.sort((a, b) => a[1] - b[1]);
        return [
          subject,
          Object.fromEntries([
            ...medians,
            ['firstFrame', summarize(samples[subject as keyof typeof pages]).medianMs],
          ]),
        ];
      }),
    );
    log(`player phases (median ms from navigation): ${JSON.stringify(phasesMedianMs)}`);
    const ratio = (k: keyof typeof pages) =>
      round(summarize(samples[k]).medianMs / summarize(samples.bareHlsJs).medianMs, 2);
    log(
      `player first frame: bare ${firstFrameMs.bareHlsJs!.medianMs} ms, src ${ratio('src')}×, video-id ${ratio('videoId')}×`,
    );

    // 360° at 640×360: frames the sphere renders per second while the video plays.
    const context = await browser.newContext({ viewport: { width: 800, height: 500 } });
    const page = await context.newPage();
    await page.goto(`${site.origin}/360.html`);
    await page.waitForFunction(
      () => {
        const p = document.querySelector('vod-player') as unknown as {
          view360: { state: string } | null;
          currentTime: number;
        };
        return p.view360?.state === 'on' && p.currentTime > 0.5;
      },
      null,
      { timeout: 30_000 },
    );
    const fps = await frameRate(page, 4);
    await context.close();
    log(`player 360°: ${round(fps.renderedPerS)} rendered frames/s, ${round(fps.rafPerS)} rAF/s`);

    return {
      method:
        'Chromium (Debian, SwiftShader WebGL), fresh context per run (cold cache), pages on a Vodkit server, the 2-rung 640x360 fixture ladder on another origin; first frame = performance.now() at the first requestVideoFrameCallback; 1 warm-up each, then interleaved',
      firstFrameMs,
      phasesMedianMs,
      ratioToBareHlsJs: { src: ratio('src'), videoId: ratio('videoId') },
      view360At640x360: { renderedFps: round(fps.renderedPerS), rafPerS: round(fps.rafPerS), seconds: 4 },
      bundle: bundleSizes(dist),
    };
  } finally {
    for (const c of cleanup) await c();
    await browser.close();
    await fixture.close();
    await server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const repoRoot = path.resolve(import.meta.dirname, '../..');
  benchPlayer(repoRoot, Number(process.argv[2]) || 5).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      log(`player bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}
