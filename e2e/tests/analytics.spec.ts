import fs from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import type { VideoStats } from '@vodkit/api';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { api, encode, uploadFile } from '../helpers/api.ts';
import { baseUrl } from '../helpers/env.ts';

/**
 * Viewer analytics in a real Chromium: `<vod-player video-id>` on a page of another origin
 * (http://localhost:<port>, the API being http://127.0.0.1:<port>) reports its view by itself, and
 * the stats API shows it; `no-analytics` sends nothing at all.
 */

const otherOrigin = () => baseUrl().replace('127.0.0.1', 'localhost');

let videoId: string;

test.beforeAll(async () => {
  videoId = await encodedVideo();
});

async function encodedVideo(): Promise<string> {
  const dir = tempDir('vodkit-e2e-analytics-');
  const file = await clips.h264Aac(dir, { duration: 3, width: 160, height: 90, fps: 15 });
  const fileId = await uploadFile(file, {
    metadata: { filename: 'watched.mp4', filetype: 'video/mp4', title: 'Watched clip' },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return (await encode({ fileId, presets: [{ resolutions: ['240'], format: 'hls' }] })).videoId;
}

interface Beacon {
  origin: string | null;
  body: { sessionId: string; events: { type: string }[] };
}

/** Every beacon the page sends, with its body and its Origin header as sent. */
function recordBeacons(page: Page): Promise<Beacon>[] {
  const sent: Promise<Beacon>[] = [];
  page.on('request', (req) => {
    if (!req.url().endsWith('/v1/beacons')) return;
    sent.push(
      req.headerValue('origin').then((origin) => ({ origin, body: JSON.parse(req.postData() ?? '{}') })),
    );
  });
  return sent;
}

/** Puts players for `videoId` on a page of the other origin (the SDK is on the playground page) and plays them muted. */
async function playOnOtherOrigin(
  page: Page,
  videoId: string,
  players: Record<string, string>[],
): Promise<void> {
  await page.goto(`${otherOrigin()}/player.html`);
  await page.evaluate(
    ({ videoId, apiBase, players }) => {
      document.body.replaceChildren(
        ...players.map((attrs, i) => {
          const player = document.createElement('vod-player');
          for (const [k, v] of Object.entries({
            'video-id': videoId,
            'api-base': apiBase,
            muted: '',
            ...attrs,
          }))
            player.setAttribute(k, v);
          player.id = `p${i}`;
          return player;
        }),
      );
    },
    { videoId, apiBase: baseUrl(), players },
  );
  for (let i = 0; i < players.length; i++) {
    const p = page.locator(`#p${i}`);
    await p.evaluate((el) => (el as unknown as { play(): Promise<void> }).play());
  }
  // A second and a half of real playing, on every player.
  for (let i = 0; i < players.length; i++) {
    await expect
      .poll(() =>
        page.locator(`#p${i}`).evaluate((el) => (el as unknown as { currentTime: number }).currentTime),
      )
      .toBeGreaterThan(1.5);
  }
}

const stats = (videoId: string) => api<VideoStats>('GET', `/v1/videos/${videoId}/stats?granularity=hour`);

test('a player on another origin shows up in the stats: one view, its watch time and startup time', async ({
  page,
}) => {
  const recorded = recordBeacons(page);
  await playOnOtherOrigin(page, videoId, [{}]);
  // Leaving the page is a pagehide: the player sends what it has with sendBeacon.
  await page.goto('about:blank');
  await expect
    .poll(async () => (await stats(videoId)).watchTimeS, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(1.2);
  const s = await stats(videoId);
  expect(s.views).toBe(1);
  expect(s.uniqueViewers).toBe(1);
  expect(s.watchTimeS).toBeLessThanOrEqual(4);
  expect(s.startupMs.p50).toBeGreaterThan(0);
  expect(s.errorRate).toBe(0);
  expect(s.series.reduce((a, b) => a + b.views, 0)).toBe(1);
  // All of it from the page's origin, in one session: the view, its startup time and rendition
  // (what leaves at pagehide, the watch time, is not seen by the browser's request log: the stats have it).
  const beacons = await Promise.all(recorded);
  expect(new Set(beacons.map((b) => b.origin))).toEqual(new Set([otherOrigin()]));
  expect(new Set(beacons.map((b) => b.body.sessionId)).size).toBe(1);
  const types = beacons.flatMap((b) => b.body.events.map((e) => e.type));
  expect(types.filter((t) => t === 'view')).toHaveLength(1);
  expect(types).toContain('startup');
  expect(types).toContain('rendition');
});

test('no-analytics sends nothing: beside a reporting player, only that one’s beacons leave', async ({
  page,
}) => {
  const before = await stats(videoId);
  const recorded = recordBeacons(page);
  // p0 opts out; p1 reports, and proves that beacons were sent when p0's would have been.
  await playOnOtherOrigin(page, videoId, [{ 'no-analytics': '' }, {}]);
  await page.goto('about:blank');
  await expect
    .poll(async () => (await stats(videoId)).watchTimeS - before.watchTimeS, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(1.2);
  expect((await stats(videoId)).views).toBe(before.views + 1);
  const beacons = await Promise.all(recorded);
  expect(beacons.length).toBeGreaterThan(0);
  expect(new Set(beacons.map((b) => b.body.sessionId)).size).toBe(1);
});
