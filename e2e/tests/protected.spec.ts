import fs from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { signPlaybackToken } from '@vodkit/api/sign';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { api, encode, uploadFile } from '../helpers/api.ts';
import { baseUrl, devKey } from '../helpers/env.ts';

/**
 * Protected playback in a real Chromium: `<vod-player playback-token token-url>` plays a protected video,
 * fails with `forbidden` without a token, keeps playing across token expiries (token-url refresh), and
 * recovers from a refused token. Domain restrictions are checked from two real origins of the same
 * server: http://127.0.0.1:<port> (its public URL) and http://localhost:<port> (another site).
 */

let videoId: string;
/** Where the page runs: the same server under another origin than the stream's. */
const otherOrigin = () => baseUrl().replace('127.0.0.1', 'localhost');
const TOKEN_URL = '/app/playback-token';

const playbackToken = (expiresIn: number) => signPlaybackToken({ ...devKey(), videoId, expiresIn });

test.beforeAll(async () => {
  const dir = tempDir('vodkit-e2e-protected-');
  // 40 s: longer than hls.js' 30 s forward buffer, so a seek fetches segments long after the start.
  const file = await clips.h264Aac(dir, { duration: 40, width: 320, height: 180, fps: 15 });
  const fileId = await uploadFile(file, {
    metadata: { filename: 'protected.mp4', filetype: 'video/mp4', title: 'Protected clip' },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const job = await encode({ fileId, presets: [{ resolutions: ['240'], format: 'hls' }], protected: true });
  videoId = job.videoId;
});

interface StreamRequest {
  url: string;
  status: number;
}

/**
 * Opens a page of `origin` with a fresh `<vod-player>` for the video (the SDK bundle is already on
 * the playground page), answers `token-url` as the customer's app server would, and records every
 * /stream response and every vod-error.
 */
async function openPlayer(
  page: Page,
  attrs: Record<string, string>,
  options: { origin?: string; tokenLife?: number; tokenUrlHoldUntil?: number } = {},
): Promise<{ stream: StreamRequest[]; issued: string[] }> {
  const stream: StreamRequest[] = [];
  const issued: string[] = [];
  page.on('response', (res) => {
    if (res.url().includes('/stream/')) stream.push({ url: res.url(), status: res.status() });
  });
  const origin = options.origin ?? baseUrl();
  await page.route(`${origin}${TOKEN_URL}`, async (route) => {
    expect(route.request().method()).toBe('POST');
    const hold = (options.tokenUrlHoldUntil ?? 0) - Date.now();
    if (hold > 0) await new Promise((r) => setTimeout(r, hold));
    const token = await playbackToken(options.tokenLife ?? 600);
    issued.push(token);
    await route.fulfill({ json: { token } });
  });
  await page.goto(`${origin}/player.html`);
  await page.evaluate(
    ({ attrs, apiBase }) => {
      const w = window as unknown as { vodErrors: unknown[] };
      w.vodErrors = [];
      document.addEventListener('vod-error', (e) => w.vodErrors.push((e as CustomEvent).detail));
      const player = document.createElement('vod-player');
      for (const [k, v] of Object.entries({ 'api-base': apiBase, muted: '', ...attrs }))
        player.setAttribute(k, v);
      player.id = 'protected';
      document.body.replaceChildren(player);
    },
    { attrs: { 'video-id': videoId, ...attrs }, apiBase: baseUrl() },
  );
  return { stream, issued };
}

/** Puts the embed in an iframe of the page and waits for the frame's load event (fired even when blocked). */
function frameEmbed(page: Page, src: string): Promise<void> {
  return page.evaluate(
    (src) =>
      new Promise<void>((resolve) => {
        const frame = document.createElement('iframe');
        frame.id = 'embed';
        frame.addEventListener('load', () => resolve(), { once: true });
        frame.src = src;
        document.body.replaceChildren(frame);
      }),
    src,
  );
}

const player = (page: Page) => page.locator('#protected');
const currentTime = (page: Page) =>
  player(page).evaluate((p) => (p as unknown as { currentTime: number }).currentTime);
const play = (page: Page) => player(page).evaluate((p) => (p as unknown as { play(): Promise<void> }).play());
const vodErrors = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { vodErrors: { code: string; fatal: boolean; status?: number }[] }).vodErrors,
  );

test('plays a protected video with a playback token; segments carry the playlist signature', async ({
  page,
}) => {
  const { stream } = await openPlayer(page, { 'playback-token': await playbackToken(600) });
  await play(page);
  await expect.poll(() => currentTime(page)).toBeGreaterThan(1);
  expect(await vodErrors(page)).toEqual([]);
  const segments = stream.filter((r) => r.url.endsWith('.m4s') || /\.m4s\?/.test(r.url));
  expect(segments.length).toBeGreaterThan(0);
  for (const s of segments) {
    expect(s.status).toBe(200);
    expect(s.url).toMatch(/\?sig=\d+\.[\w-]+$/);
  }
});

test('fails clearly without a token', async ({ page }) => {
  await openPlayer(page, {});
  await expect
    .poll(() => vodErrors(page))
    .toContainEqual(expect.objectContaining({ code: 'forbidden', fatal: true, status: 401 }));
  await expect(player(page).locator('[part="error"]')).toBeVisible();
});

test('keeps playing across a token expiry: a segment refused after exp is refetched with a fresh token', async ({
  page,
}) => {
  // hls.js buffers this whole small video at once, so the network has to cross the expiry: segments
  // from the third on are held back (a slow network) until the first token is past its expiry and the
  // server's 5 s of clock tolerance, and reach the server only then. The app server is as slow, so
  // the player's early refresh cannot win the race and the refused request must be recovered.
  const first = await playbackToken(3);
  const expiresAtMs = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()).exp * 1000;
  const segmentOf = (url: string) => Number(/(\d+)\.m4s/.exec(url)?.[1] ?? -1);
  const releaseAt = expiresAtMs + 6000;
  await page.route(/\/stream\/.*\.m4s/, async (route) => {
    const wait = releaseAt - Date.now();
    if (segmentOf(route.request().url()) >= 2 && wait > 0) await new Promise((r) => setTimeout(r, wait));
    await route.continue();
  });
  const { stream, issued } = await openPlayer(
    page,
    { 'playback-token': first, 'token-url': TOKEN_URL },
    { tokenUrlHoldUntil: releaseAt },
  );
  await play(page);
  // Segment 2 starts at 8 s: playing past 10 s needs what was fetched after the expiry.
  await expect.poll(() => currentTime(page), { timeout: 60_000 }).toBeGreaterThan(10);
  expect(issued.length).toBeGreaterThanOrEqual(1);
  // The server refused the held request's expired token; the player refreshed and got the segment.
  const refused = stream.filter((r) => segmentOf(r.url) >= 2 && r.status === 401);
  expect(refused.length).toBeGreaterThan(0);
  for (const r of refused) {
    const again = stream.find(
      (s) => segmentOf(s.url) === segmentOf(r.url) && s.status === 200 && !s.url.includes(first),
    );
    expect(again?.url, r.url).toMatch(/\?token=/);
  }
  expect((await vodErrors(page)).filter((e) => e.fatal)).toEqual([]);
});

test('recovers from a refused token by asking token-url once and retrying', async ({ page }) => {
  const expired = await playbackToken(-60);
  const { stream, issued } = await openPlayer(page, { 'playback-token': expired, 'token-url': TOKEN_URL });
  await play(page);
  await expect.poll(() => currentTime(page)).toBeGreaterThan(1);
  expect(stream.find((r) => r.url.includes(expired))?.status).toBe(401);
  expect(issued.length).toBeGreaterThanOrEqual(1);
  expect((await vodErrors(page)).filter((e) => e.fatal)).toEqual([]);
});

/** What Safari on iPhone offers: no MSE, so the browser's own HLS (Chromium has one too) plays. */
const withoutMse = (page: Page) =>
  page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.MediaSource = undefined;
    w.ManagedMediaSource = undefined;
  });

test('native HLS: a refused token is refreshed from token-url and the source set again', async ({ page }) => {
  await withoutMse(page);
  const expired = await playbackToken(-60);
  const { stream, issued } = await openPlayer(page, { 'playback-token': expired, 'token-url': TOKEN_URL });
  await play(page).catch(() => undefined); // the first source fails: play() may reject
  await expect.poll(() => issued.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await play(page);
  await expect.poll(() => currentTime(page), { timeout: 30_000 }).toBeGreaterThan(1);
  const media = await player(page).evaluate((p) => (p as unknown as { media: HTMLVideoElement }).media.src);
  // The browser's own player, given the fresh token (hls.js would have used blob: for MSE).
  expect(media).toMatch(/\/master\.m3u8\?token=/);
  expect(media).toContain(issued.at(-1)!);
  expect(stream.find((r) => r.url.includes(expired))?.status).toBe(401);
  expect((await vodErrors(page)).filter((e) => e.fatal)).toEqual([]);
});

test('native HLS: playing across a token expiry, a refused segment leads to a fresh token and a resume', async ({
  page,
}) => {
  // As the hls.js case above: segments from the third on reach the server only after the first
  // token (and the server's 5 s tolerance) expired, and token-url answers only then too.
  await withoutMse(page);
  const first = await playbackToken(3);
  const expiresAtMs = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()).exp * 1000;
  const segmentOf = (url: string) => Number(/(\d+)\.m4s/.exec(url)?.[1] ?? -1);
  const releaseAt = expiresAtMs + 6000;
  await page.route(/\/stream\/.*\.m4s/, async (route) => {
    const wait = releaseAt - Date.now();
    if (segmentOf(route.request().url()) >= 2 && wait > 0) await new Promise((r) => setTimeout(r, wait));
    await route.continue();
  });
  const { stream, issued } = await openPlayer(
    page,
    { 'playback-token': first, 'token-url': TOKEN_URL },
    { tokenUrlHoldUntil: releaseAt },
  );
  await play(page);
  await expect.poll(() => currentTime(page), { timeout: 60_000 }).toBeGreaterThan(10);
  expect(issued.length).toBeGreaterThanOrEqual(1);
  expect(stream.some((r) => segmentOf(r.url) >= 2 && r.status === 401)).toBe(true);
  const media = await player(page).evaluate((p) => (p as unknown as { media: HTMLVideoElement }).media.src);
  expect(media).toContain(issued.at(-1)!);
  expect((await vodErrors(page)).filter((e) => e.fatal)).toEqual([]);
});

test('native HLS without token-url: a refused token is a clear forbidden error, not a retry loop', async ({
  page,
}) => {
  await withoutMse(page);
  const { stream } = await openPlayer(page, { 'playback-token': await playbackToken(-60) });
  await play(page).catch(() => undefined);
  await expect
    .poll(() => vodErrors(page), { timeout: 30_000 })
    .toContainEqual(expect.objectContaining({ code: 'forbidden', fatal: true, status: 401 }));
  expect(stream.filter((r) => r.url.includes('master.m3u8')).length).toBeLessThanOrEqual(3);
});

test('domain restrictions: another origin plays only when it is on the list, and may frame the embed only then', async ({
  page,
}) => {
  const other = otherOrigin();
  await api('PATCH', `/v1/videos/${videoId}`, { allowedOrigins: [other] });
  try {
    const allowed = await openPlayer(page, { 'playback-token': await playbackToken(600) }, { origin: other });
    await play(page);
    await expect.poll(() => currentTime(page)).toBeGreaterThan(1);
    // (The storyboard is another part's work and may 404 here; nothing may be refused.)
    expect(allowed.stream.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);

    // An embed framed by the allowed site loads its player.
    const token = await playbackToken(600);
    await page.goto(`${other}/player.html`);
    await frameEmbed(page, `${baseUrl()}/embed/${videoId}?token=${token}&muted=1`);
    await expect(page.frameLocator('#embed').locator('vod-player')).toHaveCount(1);

    await api('PATCH', `/v1/videos/${videoId}`, { allowedOrigins: ['https://elsewhere.example'] });
    const refusedPage = await page.context().newPage();
    const refused = await openPlayer(
      refusedPage,
      { 'playback-token': await playbackToken(600) },
      { origin: other },
    );
    await expect
      .poll(() => vodErrors(refusedPage))
      .toContainEqual(expect.objectContaining({ code: 'forbidden', fatal: true, status: 403 }));
    expect(refused.stream.some((r) => r.status === 403)).toBe(true);

    // The same site may no longer frame the embed: Chromium blocks it (frame-ancestors), so the frame
    // stays empty even after it fired load.
    await frameEmbed(refusedPage, `${baseUrl()}/embed/${videoId}?token=${token}&muted=1`);
    await expect(refusedPage.frameLocator('#embed').locator('vod-player')).toHaveCount(0);
  } finally {
    await api('PATCH', `/v1/videos/${videoId}`, { allowedOrigins: null });
  }
});
