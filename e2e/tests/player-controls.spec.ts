import { expect, type Locator, type Page, test } from '@playwright/test';
import { baseUrl } from '../helpers/env.ts';
import { createHlsFixture, type HlsFixture } from '../helpers/hls-fixture.ts';

// The controls beyond play/seek/volume/quality: speed, picture-in-picture, title, retry, hotkeys,
// QoE events, languages and the focus behaviour, in a real Chromium on the fixture ladder.

interface PlayerApi extends HTMLElement {
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  playbackRate: number;
  readonly qoe: {
    startupMs: number | null;
    rebufferCount: number;
    rebufferMs: number;
    renditionSwitches: number;
  };
  play(): Promise<void>;
  pause(): void;
}

let fixture: HlsFixture;

test.beforeAll(async () => {
  fixture = await createHlsFixture(8);
});

test.afterAll(async () => {
  await fixture?.close();
});

let pageErrors: string[] = [];

test.beforeEach(async ({ page }) => {
  // A render that throws (e.g. the clock written under Lit's feet) leaves stale controls: fail on it.
  pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => {
    const w = window as unknown as { vodEvents: { type: string; detail: unknown }[] };
    w.vodEvents = [];
    for (const type of [
      'vod-startup',
      'vod-rebuffer-start',
      'vod-rebuffer-end',
      'vod-captions-toggle',
      'vod-error',
    ]) {
      document.addEventListener(type, (e) => w.vodEvents.push({ type, detail: (e as CustomEvent).detail }));
    }
  });
});

test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

function openPlayground(page: Page, flags: Record<string, string> = {}, src = fixture.master) {
  return page.goto(`${baseUrl()}/player.html?${new URLSearchParams({ src, ...flags })}`);
}

const events = (page: Page, type: string) =>
  page.evaluate(
    (t) =>
      (window as unknown as { vodEvents: { type: string; detail: Record<string, number> }[] }).vodEvents
        .filter((e) => e.type === t)
        .map((e) => e.detail),
    type,
  );

const get = <T>(player: Locator, fn: (p: PlayerApi) => T) =>
  player.evaluate(fn as unknown as (el: HTMLElement) => T);

async function ready(player: Locator): Promise<void> {
  await expect.poll(() => get(player, (p) => p.duration), { timeout: 20_000 }).toBeGreaterThan(7);
}

test('playback speed from the menu and the < > keys', async ({ page }) => {
  await openPlayground(page, { muted: '1' });
  const player = page.locator('vod-player');
  await ready(player);
  await player.getByRole('button', { name: /Playback speed 1×/ }).click();
  await player.getByRole('menuitemradio', { name: '1.5×' }).click();
  expect(await get(player, (p) => p.playbackRate)).toBe(1.5);
  await expect(player.getByRole('button', { name: /Playback speed/ })).toBeFocused();

  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('>');
  expect(await get(player, (p) => p.playbackRate)).toBe(2);
  await page.keyboard.press('>');
  expect(await get(player, (p) => p.playbackRate)).toBe(2);
  await page.keyboard.press('<');
  await page.keyboard.press('<');
  expect(await get(player, (p) => p.playbackRate)).toBe(1.25);
});

test('hotkeys: j/l, number keys to tenths, c asks for captions; no-hotkeys turns them off', async ({
  page,
}) => {
  await openPlayground(page, { muted: '1' });
  const player = page.locator('vod-player');
  await ready(player);
  const time = () => get(player, (p) => p.currentTime);
  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('5');
  await expect.poll(time).toBeCloseTo(4, 1);
  await page.keyboard.press('j');
  await expect.poll(time).toBe(0);
  await page.keyboard.press('l');
  await expect.poll(time).toBeCloseTo(8, 0);
  await page.keyboard.press('2');
  await expect.poll(time).toBeCloseTo(1.6, 1);
  await page.keyboard.press('c');
  expect(await events(page, 'vod-captions-toggle')).toHaveLength(1);

  await player.evaluate((p) => p.setAttribute('no-hotkeys', ''));
  await page.keyboard.press('7');
  await page.keyboard.press('k');
  await page.keyboard.press('c');
  expect(await time()).toBeCloseTo(1.6, 1);
  expect(await get(player, (p) => p.paused)).toBe(true);
  expect(await events(page, 'vod-captions-toggle')).toHaveLength(1);
  // A focused button keeps its own keys.
  await player.getByRole('button', { name: 'Play', exact: true }).last().focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => get(player, (p) => p.paused)).toBe(false);
});

test('title, picture-in-picture where offered, and the retry button after a fatal error', async ({
  page,
}) => {
  // The master answers 404 until the test lets it through: the retry must load it again.
  let broken = true;
  await page.route('**/master.m3u8', (route) =>
    broken ? route.fulfill({ status: 404, body: 'gone' }) : route.continue(),
  );
  await openPlayground(page, { muted: '1', title: 'Fixture ladder' });
  const player = page.locator('vod-player');
  await expect(player.locator('[part="title"]')).toHaveText('Fixture ladder');
  await expect(player.getByRole('group', { name: 'Video player: Fixture ladder' })).toBeVisible();
  await expect(player.getByRole('alert')).toContainText('does not exist');

  broken = false;
  await player.getByRole('button', { name: 'Try again' }).click();
  await expect(player.getByRole('alert')).toHaveCount(0);
  await expect.poll(() => get(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);

  const pipOffered = await page.evaluate(() => document.pictureInPictureEnabled);
  await expect(player.getByRole('button', { name: 'Picture in picture' })).toHaveCount(pipOffered ? 1 : 0);
});

test('remote playback: no cast button without a device; one appears with a device and opens the picker', async ({
  page,
}) => {
  // This Chromium has no cast device to find: the real RemotePlayback reports none, so no button.
  await openPlayground(page, { muted: '1' });
  const player = page.locator('vod-player');
  await ready(player);
  await expect(player.getByRole('button', { name: 'Picture in picture' })).toBeVisible();
  await expect(player.getByRole('button', { name: 'Play on another device' })).toHaveCount(0);

  // A device that comes and goes, as a TV on the network does (a stand-in for the browser's picker).
  await page.evaluate(() => {
    const w = window as unknown as { remoteLog: string[]; setDevice(on: boolean): void };
    w.remoteLog = [];
    let report: ((available: boolean) => void) | undefined;
    w.setDevice = (on) => report?.(on);
    Object.defineProperty(HTMLMediaElement.prototype, 'remote', {
      configurable: true,
      get: () => ({
        watchAvailability: (cb: (available: boolean) => void) => {
          report = cb;
          w.remoteLog.push('watch');
          return Promise.resolve(7);
        },
        cancelWatchAvailability: (id: number) => {
          w.remoteLog.push(`cancel ${id}`);
          return Promise.resolve();
        },
        prompt: () => {
          w.remoteLog.push('prompt');
          return Promise.resolve();
        },
      }),
    });
    const fresh = document.createElement('vod-player');
    fresh.id = 'remote';
    fresh.setAttribute('muted', '');
    fresh.setAttribute('src', document.querySelector('vod-player')!.getAttribute('src')!);
    document.body.append(fresh);
  });
  const remote = page.locator('#remote');
  const cast = remote.getByRole('button', { name: 'Play on another device' });
  await expect(remote.locator('[part="controls"]')).toBeVisible();
  await expect(cast).toHaveCount(0);
  await page.evaluate(() => (window as unknown as { setDevice(on: boolean): void }).setDevice(true));
  await cast.click();
  await page.evaluate(() => (window as unknown as { setDevice(on: boolean): void }).setDevice(false));
  await expect(cast).toHaveCount(0);
  await page.evaluate(() => document.querySelector('#remote')!.remove());
  expect(await page.evaluate(() => (window as unknown as { remoteLog: string[] }).remoteLog)).toEqual([
    'watch',
    'prompt',
    'cancel 7',
  ]);
});

test('QoE: startup time, a rebuffer and its duration, as vod-* events and on the playground', async ({
  page,
}) => {
  // The third segment of every rung arrives late: playback stalls once, at 4 s.
  await page.route('**/seg_002.m4s', async (route) => {
    await new Promise((r) => setTimeout(r, 7000));
    await route.continue();
  });
  await openPlayground(page, { muted: '1', autoplay: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => events(page, 'vod-startup'), { timeout: 20_000 }).toHaveLength(1);
  const [startup] = await events(page, 'vod-startup');
  expect(startup!.ms).toBeGreaterThan(0);
  await expect.poll(() => events(page, 'vod-rebuffer-end'), { timeout: 30_000 }).not.toHaveLength(0);
  const [start] = await events(page, 'vod-rebuffer-start');
  const [end] = await events(page, 'vod-rebuffer-end');
  expect(start!.count).toBe(1);
  expect(end!.ms).toBeGreaterThan(0);
  const qoe = await get(player, (p) => p.qoe);
  expect(qoe.startupMs).toBe(startup!.ms);
  expect(qoe.rebufferCount).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#stat-startup')).toHaveText(`${startup!.ms} ms`);
  await expect(page.locator('#stat-rebuffer')).toHaveText(/^[1-9]\d* \(\d+\.\d s\)$/);
});

/** The French and German strings are chunks of their own (`assets/fr-*.js`, `assets/de-*.js`). */
function localeChunks(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const m = /\/assets\/(fr|de)-[\w-]+\.js$/.exec(new URL(r.url()).pathname);
    if (m) seen.push(m[1]!);
  });
  return seen;
}

test('lang: an English page fetches no other language', async ({ page }) => {
  const chunks = localeChunks(page);
  await openPlayground(page, { muted: '1', lang: 'en' });
  const player = page.locator('vod-player');
  await ready(player);
  await expect(player.getByRole('button', { name: 'Unmute' })).toBeVisible();
  expect(chunks).toEqual([]);
});

test('lang: French strings, a page override, and the document language by default', async ({ page }) => {
  const chunks = localeChunks(page);
  await openPlayground(page, { muted: '1', lang: 'fr' });
  const player = page.locator('vod-player');
  await ready(player);
  await expect(player.getByRole('group', { name: 'Lecteur vidéo' })).toBeVisible();
  await expect(player.getByRole('button', { name: 'Activer le son' })).toBeVisible();
  await player.evaluate((p) => {
    (p as unknown as { translations: unknown }).translations = { fr: { unmute: 'Son !' } };
  });
  await expect(player.getByRole('button', { name: 'Son !' })).toBeVisible();
  // Only the language asked for was fetched, once.
  expect(chunks).toEqual(['fr']);
  await player.evaluate((p) => {
    p.removeAttribute('lang');
    document.documentElement.lang = 'de';
    (p as unknown as { requestUpdate(): void }).requestUpdate();
  });
  await expect(player.getByRole('button', { name: 'Ton an' })).toBeVisible();
  expect(chunks).toEqual(['fr', 'de']);
});

/** The colour of one pixel of a PNG screenshot, decoded by the page. */
async function pixel(page: Page, png: Buffer, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    async ({ data, x, y }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = Object.assign(document.createElement('canvas'), {
        width: img.width,
        height: img.height,
      });
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return [...ctx.getImageData(x, y, 1, 1).data];
    },
    { data: png.toString('base64'), x, y },
  );
}

test('the focus ring of the video frame is painted above the video', async ({ page }) => {
  await openPlayground(page, { muted: '1' });
  const player = page.locator('vod-player');
  await player.evaluate((p) => p.style.setProperty('--vod-focus-color', 'rgb(255, 0, 255)'));
  await ready(player);
  await get(player, (p) => {
    p.currentTime = 1;
  });
  // Tab until the frame (not a control) has keyboard focus.
  for (let i = 0; i < 15; i++) {
    const onFrame = await player.evaluate(
      (p) => p.shadowRoot!.activeElement?.getAttribute('role') === 'group',
    );
    if (onFrame) break;
    await page.keyboard.press('Tab');
  }
  const box = (await player.boundingBox())!;
  const shot = await player.screenshot();
  // Half way down the left edge: the video covers it, so only a ring above the video shows there.
  const [r, g, b] = await pixel(page, shot, 1, Math.round(box.height / 2));
  expect([r, g, b]).toEqual([255, 0, 255]);
});

test('the controls do not fade while keyboard focus is on one of them', async ({ page }) => {
  await openPlayground(page, { muted: '1', autoplay: '1', loop: '1' });
  const player = page.locator('vod-player');
  await expect.poll(() => get(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.3);
  const frame = player.locator('.frame');

  // Keyboard focus on the frame itself: the controls fade after a while of playing.
  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('Shift');
  await expect(frame).toHaveClass(/idle/, { timeout: 10_000 });

  // Keyboard focus on the mute button: they stay, however long it takes.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const focused = await player.evaluate((p) => p.shadowRoot!.activeElement?.getAttribute('part'));
  expect(focused).toBeTruthy();
  await expect(frame).not.toHaveClass(/idle/);
  // A page timer armed now, longer than the player's 2.5 s idle delay, fires after any idle timer the
  // key press armed (timers of one page fire in deadline order): by then the bar would have hidden.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 2500 + 500)));
  await expect(frame).not.toHaveClass(/idle/);
  await expect(player.locator('[part="controls"]')).toHaveCSS('opacity', '1');
});
