import path from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { injectSphericalV1 } from '../../server/test/spherical.ts';
import { baseUrl } from '../helpers/env.ts';
import { createHlsFixture, type HlsFixture } from '../helpers/hls-fixture.ts';

// 360° video in a real Chromium: WebGL 2 runs on SwiftShader here, so three.js really draws the sphere.

interface View360 {
  state: string;
  yaw: number;
  pitch: number;
  fov: number;
  frames: number;
}
interface Player360 extends HTMLElement {
  currentTime: number;
  readonly view360: View360 | null;
  readonly paused: boolean;
  play(): Promise<void>;
  pause(): void;
}

let fixture: HlsFixture;

test.beforeAll(async () => {
  fixture = await createHlsFixture(6);
});

test.afterAll(async () => {
  await fixture?.close();
});

/** The chunk that holds three.js (it is named after the only module importing it). */
const isThreeChunk = (url: string) => /\/assets\/sphere-view-[\w-]+\.js/.test(url);

function recordScripts(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'script') urls.push(r.url());
  });
  return urls;
}

const view = (player: Locator) => player.evaluate((p: Player360) => p.view360);

/**
 * Plays a moment, then pauses: from then on only a change of the view changes the picture. Playing
 * is what brings three.js in (with the default `preload="metadata"` the poster stands in until then).
 */
async function pausedOnAFrame(player: Locator): Promise<void> {
  await player.evaluate((p: Player360) => p.play());
  await expect.poll(() => view(player).then((v) => v?.state), { timeout: 20_000 }).toBe('on');
  await expect
    .poll(() => player.evaluate((p: Player360) => p.currentTime), { timeout: 20_000 })
    .toBeGreaterThan(0.5);
  await player.evaluate((p: Player360) => p.pause());
  await settled(player);
}

/** Resolves after two animation frames of the page: a redraw asked for before then has happened. */
const animationFrames = (player: Locator) =>
  player.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Paused, the sphere stops drawing once it has drawn the last frame: waits for that; its frame count. */
async function settled(player: Locator): Promise<number> {
  const frames = () => view(player).then((v) => v!.frames);
  // The sphere draws in animation frames: unchanged across two of them, it has stopped drawing.
  await expect
    .poll(async () => {
      const n = await frames();
      await animationFrames(player);
      return (await frames()) - n;
    })
    .toBe(0);
  return frames();
}

async function open360(page: Page, extra: Record<string, string> = {}): Promise<Locator> {
  const q = new URLSearchParams({ src: fixture.master, muted: '1', projection: '360', ...extra });
  await page.goto(`${baseUrl()}/player.html?${q}`);
  return page.locator('vod-player');
}

test('projection="360" draws the video on a sphere; dragging turns it and changes the pixels', async ({
  page,
}, testInfo) => {
  const scripts = recordScripts(page);
  // preload="none": until play nothing comes, three.js (~130 KB gz) included; the poster stands in.
  const player = await open360(page, { preload: 'none' });
  await expect(player.locator('[part="big-play-button"]')).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(scripts.filter(isThreeChunk)).toEqual([]);
  expect(await view(player)).toBeNull();
  await pausedOnAFrame(player);
  expect(scripts.filter(isThreeChunk)).toHaveLength(1);

  const canvas = player.locator('canvas');
  await expect(canvas).toBeVisible();
  const before = await canvas.screenshot();
  const box = (await canvas.boundingBox())!;
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x - 200, y + 40, { steps: 8 });
  await page.mouse.up();
  await expect.poll(() => view(player).then((v) => v!.yaw)).not.toBe(0);
  const after = await canvas.screenshot();
  expect(after.equals(before)).toBe(false);
  // A drag is not a click: it did not start playback.
  expect(await player.evaluate((p: Player360) => p.paused)).toBe(true);
  await testInfo.attach('after drag', { body: after, contentType: 'image/png' });

  // The wheel zooms within limits; the reset button points back to the middle.
  await page.mouse.move(x, y);
  for (let i = 0; i < 30; i++) await page.mouse.wheel(0, -120);
  await expect.poll(() => view(player).then((v) => v!.fov)).toBe(30);
  await player.hover();
  await player.getByRole('button', { name: 'Reset view' }).click();
  await expect.poll(() => view(player)).toMatchObject({ yaw: 0, pitch: 0, fov: 75 });
  const reset = await canvas.screenshot();
  expect(reset.equals(after)).toBe(false);
});

test('the arrow keys turn the 360° view', async ({ page }) => {
  const player = await open360(page);
  await pausedOnAFrame(player);
  const canvas = player.locator('canvas');
  const before = await canvas.screenshot();
  const time = await player.evaluate((p: Player360) => p.currentTime);

  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => view(player)).toMatchObject({ yaw: 20, pitch: 10 });
  // In 360° the arrows turn the view instead of seeking.
  expect(await player.evaluate((p: Player360) => p.currentTime)).toBe(time);
  expect((await canvas.screenshot()).equals(before)).toBe(false);
});

test('in fullscreen the sphere fills the screen at its resolution and still turns', async ({ page }) => {
  const player = await open360(page);
  await pausedOnAFrame(player);
  await player.getByRole('group', { name: 'Video player' }).focus();
  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.localName)).toBe('vod-player');
  const canvas = player.locator('canvas');
  const screen = page.viewportSize()!;
  // The drawing buffer follows the box (three.js renders at the new size, not a stretched old one).
  await expect
    .poll(() =>
      canvas.evaluate((c: HTMLCanvasElement) => {
        const box = c.getBoundingClientRect();
        return { w: Math.round(box.width), h: Math.round(box.height), bufferW: c.width / devicePixelRatio };
      }),
    )
    .toEqual({ w: screen.width, h: screen.height, bufferW: screen.width });
  await settled(player);
  const before = await canvas.screenshot();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => view(player).then((v) => v!.yaw)).toBe(350);
  expect((await canvas.screenshot()).equals(before)).toBe(false);
  await page.keyboard.press('f');
  await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();
});

test.describe('on a phone', () => {
  test.use({ hasTouch: true, isMobile: true });

  test('the motion button asks for permission from the tap; once granted, turning the device turns the view', async ({
    page,
  }) => {
    // iOS asks the viewer before a page may read the device's motion; Chromium has no such prompt, so
    // the page gets iOS's API: the first answer is "denied", the next "granted".
    await page.addInitScript(() => {
      const answers = ['denied', 'granted'];
      (DeviceOrientationEvent as unknown as { requestPermission(): Promise<string> }).requestPermission =
        async () => answers.shift() ?? 'granted';
    });
    // The device itself is Chromium's emulated orientation sensor, driven over CDP.
    const cdp = await page.context().newCDPSession(page);
    const override = (alpha: number) =>
      cdp.send('DeviceOrientation.setDeviceOrientationOverride', { alpha, beta: 90, gamma: 0 });
    // Resolves once the page has received the new orientation and a task has run after it. The
    // listener is in place before the sensor moves, so the event cannot slip past it.
    const orient = async (alpha: number) => {
      await page.evaluate((a) => {
        (window as unknown as { oriented: Promise<void> }).oriented = new Promise<void>((resolve) => {
          const on = (e: DeviceOrientationEvent) => {
            if (Math.round(e.alpha ?? -1) % 360 !== a) return;
            removeEventListener('deviceorientation', on);
            setTimeout(resolve, 0);
          };
          addEventListener('deviceorientation', on);
        });
      }, alpha);
      await override(alpha);
      await page.evaluate(() => (window as unknown as { oriented: Promise<void> }).oriented);
    };
    await override(0);
    const player = await open360(page);
    await pausedOnAFrame(player);
    const canvas = player.locator('canvas');
    const motion = player.getByRole('button', { name: 'Look around by moving the device' });

    await motion.click();
    await expect(motion).toHaveAttribute('aria-pressed', 'false');
    const drawn = await settled(player);
    const before = await canvas.screenshot();
    await orient(90);
    await animationFrames(player);
    // Refused: the sphere does not even draw again.
    expect((await view(player))!.frames).toBe(drawn);

    await motion.click();
    await expect(motion).toHaveAttribute('aria-pressed', 'true');
    await orient(180);
    await expect.poll(async () => (await canvas.screenshot()).equals(before)).toBe(false);
    // Off again: the device no longer moves the view.
    await motion.click();
    await expect(motion).toHaveAttribute('aria-pressed', 'false');
    await settled(player);
    const still = await canvas.screenshot();
    await orient(270);
    await animationFrames(player);
    expect((await canvas.screenshot()).equals(still)).toBe(true);
  });
});

test('a flat video never fetches three.js', async ({ page }) => {
  const scripts = recordScripts(page);
  const q = new URLSearchParams({ src: fixture.master, muted: '1', autoplay: '1' });
  await page.goto(`${baseUrl()}/player.html?${q}`);
  const player = page.locator('vod-player');
  await expect
    .poll(() => player.evaluate((p: Player360) => p.currentTime), { timeout: 20_000 })
    .toBeGreaterThan(0.5);
  expect(await view(player)).toBeNull();
  await expect(player.locator('canvas')).toHaveCount(0);
  // hls.js came as its own chunk; three.js did not come at all.
  expect(scripts.some((u) => /\/assets\/hls-[\w-]+\.js/.test(u))).toBe(true);
  expect(scripts.filter(isThreeChunk)).toEqual([]);
  // Nor did the code for captions (no text tracks here) or playback tokens (none given).
  expect(scripts.filter((u) => /\/assets\/(vod-captions-menu|sidecar-tracks|token-loader)-/.test(u))).toEqual(
    [],
  );
});

test('without WebGL a 360° video says so and plays flat', async ({ page }) => {
  await page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (
      this: HTMLCanvasElement,
      type: string,
      ...rest: unknown[]
    ) {
      if (type.startsWith('webgl')) return null;
      return (original as (...a: unknown[]) => unknown).call(this, type, ...rest);
    } as typeof original;
  });
  const scripts = recordScripts(page);
  const player = await open360(page);
  // The sphere is wanted once the video plays (before, the poster stands in whatever the browser).
  await player.evaluate((p: Player360) => p.play());
  await expect(player.locator('[part="notice"]')).toHaveText(/cannot show 360° video/);
  await expect(player.locator('[part="notice"]')).toHaveRole('status');
  expect((await view(player))?.state).toBe('no-webgl');
  await expect
    .poll(() => player.evaluate((p: Player360) => p.currentTime), { timeout: 20_000 })
    .toBeGreaterThan(0.5);
  await expect(player.locator('video')).toBeVisible();
  expect(scripts.filter(isThreeChunk)).toEqual([]);
});

test('demo: an upload with spherical metadata plays on the sphere, and so does its embed', async ({
  page,
}) => {
  const dir = tempDir();
  const flat = await clips.h264Aac(dir, { duration: 4, width: 640, height: 320 });
  const spherical = injectSphericalV1(flat, path.join(dir, 'spherical.mp4'));

  await page.goto(`${baseUrl()}/`);
  await page.locator('vod-uploader input[type=file]').setInputFiles(spherical);
  await expect(page.getByTestId('metadata')).toContainText('640×320');

  const player = page.locator('#player-slot vod-player');
  await expect(player).toBeAttached({ timeout: 90_000 });
  await expect(player.locator('[part="title"]')).toHaveText('spherical.mp4');
  // Once encoded the demo sets chapters, and swaps in a fresh player when the first pauses or ends
  // (a 4 s clip soon does); the fresh one shows the poster until it is played.
  await expect(page.locator('#chapters')).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => player.evaluate((p: Player360) => p.paused), { timeout: 30_000 }).toBe(true);
  await player.evaluate((p: Player360) => p.play());
  // projection="auto": the server's probe said equirectangular, so the player went 360° by itself.
  await expect.poll(() => view(player).then((v) => v?.state), { timeout: 30_000 }).toBe('on');
  await expect(player.locator('canvas')).toBeVisible();

  const iframe = (await page.locator('#embed-iframe').textContent()) ?? '';
  const embedUrl = /src="([^"]+)"/.exec(iframe)![1]!;
  await page.goto(embedUrl);
  const embedded = page.locator('vod-player');
  // The embed preloads metadata by default: the sphere comes with play.
  await embedded.locator('[part="big-play-button"]').click();
  await expect.poll(() => view(embedded).then((v) => v?.state), { timeout: 30_000 }).toBe('on');
});
