import { expect, type Locator, type Page, test } from '@playwright/test';
import { baseUrl } from '../helpers/env.ts';
import { createHlsFixture, FIXTURE_RUNGS, type HlsFixture } from '../helpers/hls-fixture.ts';

// <vod-player> and <vod-scrubber> in a real Chromium playing real H.264/AAC fMP4 HLS: the ladder is made
// with ffmpeg at test time and served from another origin (with CORS), and the page is the playground
// the Vodkit server serves from the built demo.

/** The slice of VodPlayer the tests read (the e2e project does not compile the player's sources). */
interface PlayerApi extends HTMLElement {
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  muted: boolean;
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly levels: { index: number; width: number; height: number; bitrate: number; name: string }[];
  level: number;
  readonly media: HTMLVideoElement;
  play(): Promise<void>;
  pause(): void;
}

interface RecordedEvent {
  type: string;
  detail: Record<string, unknown>;
}

let fixture: HlsFixture;

test.beforeAll(async () => {
  fixture = await createHlsFixture(6);
});

test.afterAll(async () => {
  await fixture?.close();
});

test.beforeEach(async ({ page }) => {
  // Recorded from the very first event: a 404 can fire vod-error before the test could listen.
  await page.addInitScript(() => {
    const w = window as unknown as { vodEvents: { type: string; detail: unknown }[] };
    w.vodEvents = [];
    for (const type of [
      'vod-ready',
      'vod-error',
      'vod-quality-change',
      'vod-play',
      'vod-pause',
      'vod-seek',
    ]) {
      document.addEventListener(type, (e) => w.vodEvents.push({ type, detail: (e as CustomEvent).detail }));
    }
  });
});

function openPlayground(page: Page, src: string, flags: Record<string, string> = {}) {
  const q = new URLSearchParams({ src, ...flags });
  return page.goto(`${baseUrl()}/player.html?${q}`);
}

const events = (page: Page, type: string) =>
  page.evaluate(
    (t) => (window as unknown as { vodEvents: RecordedEvent[] }).vodEvents.filter((e) => e.type === t),
    type,
  );

/** Runs `fn` on the player in the page (Playwright ships its source, so it must not close over anything). */
const read = <T, A = undefined>(player: Locator, fn: (p: PlayerApi, arg: A) => T, arg?: A): Promise<T> =>
  player.evaluate(fn as unknown as (el: HTMLElement, arg: unknown) => T, arg);

test('plays the ladder muted on autoplay and lists both rungs', async ({ page }, testInfo) => {
  const seenBefore = fixture.requests.length;
  // When hls.js' chunk is requested and when the master is: the master must not wait for hls.js.
  const order: string[] = [];
  page.on('request', (r) => {
    if (/\/assets\/hls-[\w-]+\.js$/.test(r.url())) order.push('hls.js');
    if (r.url() === fixture.master) order.push('master');
  });
  page.on('requestfinished', (r) => {
    if (/\/assets\/hls-[\w-]+\.js$/.test(r.url())) order.push('hls.js done');
  });
  await openPlayground(page, fixture.master, { autoplay: '1', muted: '1' });
  const player = page.locator('vod-player');

  await expect.poll(() => read(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
  expect(await read(player, (p) => p.muted)).toBe(true);
  expect(await read(player, (p) => p.paused)).toBe(false);

  const size = await read(player, (p) => [p.videoWidth, p.videoHeight]);
  expect(FIXTURE_RUNGS.map((r) => [r.width, r.height])).toContainEqual(size);

  const levels = await read(player, (p) => p.levels);
  const bySize = (a: number[], b: number[]) => a[0]! - b[0]!;
  expect(levels.map((l) => [l.width, l.height]).sort(bySize)).toEqual(
    FIXTURE_RUNGS.map((r) => [r.width, r.height]).sort(bySize),
  );
  expect(levels.map((l) => l.index)).toEqual([0, 1]);
  expect(levels.every((l) => l.bitrate > 0 && l.name)).toBe(true);

  const [ready] = await events(page, 'vod-ready');
  expect(ready?.detail.duration).toBeCloseTo(fixture.duration, 0);
  expect(await events(page, 'vod-play')).not.toHaveLength(0);

  // The master was fetched while hls.js was still on its way, and hls.js took that answer: one request.
  expect(order.indexOf('master')).toBeGreaterThan(-1);
  expect(order.indexOf('master')).toBeLessThan(order.indexOf('hls.js done'));
  const masters = fixture.requests.slice(seenBefore).filter((u) => u.endsWith('/master.m3u8'));
  expect(masters).toHaveLength(1);

  await testInfo.attach('playground', { body: await page.screenshot(), contentType: 'image/png' });
});

test('switches to the 320x180 rung when `level` is set, and back to auto', async ({ page }) => {
  await openPlayground(page, fixture.master, { autoplay: '1', muted: '1', loop: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => read(player, (p) => p.levels.length), { timeout: 20_000 }).toBe(2);
  const low = await read(player, (p) => p.levels.findIndex((l) => l.height === 180));

  await read(
    player,
    (p, i) => {
      p.level = i;
    },
    low,
  );
  expect(await read(player, (p) => p.level)).toBe(low);
  await expect.poll(() => read(player, (p) => p.videoWidth), { timeout: 20_000 }).toBe(320);
  await expect
    .poll(async () => (await events(page, 'vod-quality-change')).map((e) => e.detail))
    .toContainEqual(expect.objectContaining({ level: low, height: 180, auto: false }));

  // The quality menu shows the manual choice, and Auto hands control back to hls.js. While playing,
  // the bar hides after a while untouched; moving the pointer over the player brings it back.
  await player.hover();
  await player.getByRole('button', { name: 'Quality' }).click();
  await expect(player.getByRole('menuitemradio', { name: /180p/ })).toHaveAttribute('aria-checked', 'true');
  await player.getByRole('menuitemradio', { name: /Auto/ }).click();
  expect(await read(player, (p) => p.level)).toBe(-1);
});

test('the seek bar is a keyboard slider', async ({ page }) => {
  await openPlayground(page, fixture.master, { muted: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => read(player, (p) => p.duration), { timeout: 20_000 }).toBeGreaterThan(5);

  const slider = player.getByRole('slider', { name: 'Seek' });
  await expect(slider).toHaveAttribute('aria-valuemax', String(fixture.duration));
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => read(player, (p) => p.currentTime)).toBeCloseTo(5, 1);
  await expect(slider).toHaveAttribute('aria-valuenow', '5');
  await page.keyboard.press('Home');
  await expect.poll(() => read(player, (p) => p.currentTime)).toBe(0);
  await page.keyboard.press('End');
  await expect.poll(() => read(player, (p) => p.currentTime)).toBeGreaterThan(5.5);
  await expect(slider).toHaveAttribute('aria-valuetext', /6 seconds of 6 seconds/);
  expect((await events(page, 'vod-seek')).map((e) => e.detail.time)).toHaveLength(3);
  // The slider consumed the arrows: the player's own ←/→ shortcut did not seek a second time.
  expect(await read(player, (p) => p.paused)).toBe(true);
});

test('the mute button and the keyboard shortcuts', async ({ page }) => {
  await openPlayground(page, fixture.master, { muted: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => read(player, (p) => p.duration), { timeout: 20_000 }).toBeGreaterThan(5);

  await player.getByRole('button', { name: 'Unmute' }).click();
  expect(await read(player, (p) => p.muted)).toBe(false);
  await player.getByRole('button', { name: 'Mute' }).click();
  expect(await read(player, (p) => p.muted)).toBe(true);

  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('m');
  expect(await read(player, (p) => p.muted)).toBe(false);
  await page.keyboard.press('m');
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => read(player, (p) => p.currentTime)).toBeCloseTo(5, 1);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => read(player, (p) => p.currentTime)).toBeCloseTo(0, 1);
  await page.keyboard.press('k');
  await expect.poll(() => read(player, (p) => p.paused)).toBe(false);
  await page.keyboard.press(' ');
  await expect.poll(() => read(player, (p) => p.paused)).toBe(true);
  // `paused` flips at once; the media's pause event (and so vod-pause) follows in a task of its own.
  await expect.poll(async () => (await events(page, 'vod-pause')).length).toBeGreaterThan(0);
});

test('a missing stream fires vod-error with a stable code', async ({ page }) => {
  await openPlayground(page, `${fixture.origin}/stream/missing/master.m3u8`, { autoplay: '1', muted: '1' });
  await expect
    .poll(async () => (await events(page, 'vod-error')).map((e) => e.detail), { timeout: 20_000 })
    .toContainEqual(expect.objectContaining({ code: 'not_found', fatal: true, status: 404 }));
  await expect(page.locator('vod-player').getByRole('alert')).toContainText('does not exist');
});

test('without Media Source Extensions it plays through native HLS', async ({ page }) => {
  // What Safari on iPhone offers: no MSE, native HLS (Chromium has one too since 2025).
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.MediaSource = undefined;
    w.ManagedMediaSource = undefined;
  });
  await openPlayground(page, fixture.master, { autoplay: '1', muted: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => read(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
  expect(await read(player, (p) => p.levels)).toEqual([]);
  expect(await read(player, (p) => p.media.src)).toBe(fixture.master);
  await expect(player.getByRole('button', { name: 'Quality' })).toHaveCount(0);
  expect((await events(page, 'vod-ready'))[0]?.detail).toMatchObject({ levels: [], live: false });

  await openPlayground(page, `${fixture.origin}/stream/missing/master.m3u8`, { autoplay: '1', muted: '1' });
  await expect
    .poll(async () => (await events(page, 'vod-error')).map((e) => e.detail), { timeout: 20_000 })
    .toContainEqual(expect.objectContaining({ code: 'not_found', fatal: true, status: 404 }));
});

test('video-id + api-base + token play the Vodkit stream, poster and storyboard; start-time and an early level apply', async ({
  page,
}) => {
  await page.goto(`${baseUrl()}/player.html`);
  const player = page.locator('#by-id');
  const seenBefore = fixture.requests.length;
  const requests = () => fixture.requests.slice(seenBefore);
  await page.evaluate(
    ({ origin, videoId }) => {
      const el = document.createElement('vod-player');
      el.id = 'by-id';
      el.setAttribute('video-id', videoId);
      el.setAttribute('api-base', `${origin}/`);
      el.setAttribute('token', 'tok-123');
      el.toggleAttribute('muted', true);
      el.toggleAttribute('autoplay', true);
      el.setAttribute('start-time', '2.5');
      // Chosen before the manifest is known: applied once it is parsed.
      (el as unknown as { level: number }).level = 0;
      document.querySelector('main')!.append(el);
    },
    { origin: fixture.origin, videoId: fixture.videoId },
  );
  await expect.poll(() => read(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(2.7);
  expect(requests()).toContain(`/stream/${fixture.videoId}/master.m3u8?token=tok-123`);
  // Level 0 is the lowest rung (hls.js sorts by bitrate); playback began in the segment holding 2.5 s.
  expect(await read(player, (p) => [p.level, p.videoWidth])).toEqual([0, 320]);
  expect(requests()).toContain(`/stream/${fixture.videoId}/lo/seg_001.m4s`);
  expect(requests()).not.toContain(`/stream/${fixture.videoId}/lo/seg_000.m4s`);
  expect(requests().filter((r) => r.includes('/hi/seg_'))).toEqual([]);
  expect(requests()).toContain(`/stream/${fixture.videoId}/poster.jpg?token=tok-123`);
  expect(await player.evaluate((p) => p.shadowRoot!.querySelector('video')!.poster)).toContain('poster.jpg');

  // The video's storyboard (beside its playlists) feeds the seek preview: 3.5 s is the 4th tile.
  await player.hover();
  const bar = (await player.locator('vod-scrubber').boundingBox())!;
  await page.mouse.move(bar.x + (bar.width * 3.5) / fixture.duration, bar.y + bar.height / 2, { steps: 4 });
  const thumbnail = player.locator('[part="thumbnail"]');
  await expect(thumbnail).toHaveCSS('background-position', '0px -90px');
  await expect(thumbnail).toHaveCSS('background-image', /storyboard\.jpg\?token=tok-123/);
  await expect(player.locator('[part="preview"]')).toContainText('0:03');
});

test('a standalone <vod-scrubber for> follows a plain <video> and a <vod-player>', async ({ page }) => {
  await openPlayground(page, fixture.master, { muted: '1' });
  // The scrubbers go in before their targets exist: frameworks render in any order.
  await page.evaluate((mp4) => {
    const main = document.querySelector('main')!;
    const forVideo = document.createElement('vod-scrubber');
    forVideo.id = 'plain-scrubber';
    forVideo.setAttribute('for', 'plain');
    forVideo.setAttribute('label', 'Seek plain video');
    const forPlayer = document.createElement('vod-scrubber');
    forPlayer.setAttribute('for', 'player');
    forPlayer.setAttribute('label', 'Seek player');
    main.append(forVideo, forPlayer);
    const video = Object.assign(document.createElement('video'), { id: 'plain', src: mp4, muted: true });
    main.append(video);
  }, fixture.mp4);

  const video = page.locator('#plain');
  const slider = page.getByRole('slider', { name: 'Seek plain video' });
  await expect(slider).toHaveAttribute('aria-valuemax', String(fixture.duration), { timeout: 20_000 });
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(5, 1);
  await page.keyboard.press('PageDown');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBe(0);

  // A click on the rail seeks to that point.
  const box = (await page.locator('#plain-scrubber').boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime))
    .toBeCloseTo(fixture.duration / 2, 0);

  // Playing the video moves the standalone slider (timeupdate flows in).
  await video.evaluate((v: HTMLVideoElement) => {
    v.currentTime = 0;
    return v.play();
  });
  await expect.poll(async () => Number(await slider.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(1);

  // With a <vod-player> as the target it reads the re-dispatched media events.
  const playerSlider = page.getByRole('slider', { name: 'Seek player' });
  await expect(playerSlider).toHaveAttribute('aria-valuemax', String(fixture.duration), { timeout: 20_000 });
  await playerSlider.focus();
  await page.keyboard.press('End');
  await expect.poll(() => read(page.locator('vod-player#player'), (p) => p.currentTime)).toBeGreaterThan(5.5);
});
