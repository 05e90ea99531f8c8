import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { expectNoSeriousViolations } from '../helpers/axe.ts';
import { baseUrl } from '../helpers/env.ts';
import { serveStatic, writeHlsLadder } from '../helpers/hls-fixture.ts';
import { createRichFixture, type RichFixture } from '../helpers/rich-hls.ts';

// <vod-player> on a phone (390×844, touch): menus that fit a small player, 44 px targets, gestures,
// what it fetches before play, and a video that is still encoding. The fixture has two rungs, two
// audio languages and a caption track.

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

interface PlayerApi extends HTMLElement {
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  playbackRate: number;
  play(): Promise<void>;
  pause(): void;
}

let fixture: RichFixture;

test.beforeAll(async () => {
  fixture = await createRichFixture(6);
});

test.afterAll(async () => {
  await fixture?.close();
});

/** A page with one `<vod-player>` `width` px wide (16:9: 358 px → a 201 px tall player). */
async function mount(page: Page, attrs: Record<string, string>, width = 358): Promise<Locator> {
  await page.goto(`${baseUrl()}/player.html`);
  await page.evaluate(
    ({ attrs, width }) => {
      const player = document.createElement('vod-player');
      player.id = 'phone';
      player.style.cssText = `width: ${width}px; margin: 16px`;
      for (const [name, value] of Object.entries(attrs)) player.setAttribute(name, value);
      document.body.replaceChildren(player);
    },
    { attrs, width },
  );
  return page.locator('#phone');
}

const get = <T>(player: Locator, fn: (p: PlayerApi) => T) =>
  player.evaluate(fn as unknown as (el: HTMLElement) => T);

/** The menus of the bar: their button, the menu it opens. */
const MENUS = [
  { name: 'speed', button: '[part="speed-button"]', menu: '[part="speed-menu"]' },
  { name: 'quality', button: '[part="quality-button"]', menu: '[part="quality-menu"]' },
  { name: 'captions', button: 'vod-captions-menu [part="button"]', menu: 'vod-captions-menu [part="menu"]' },
  { name: 'audio', button: 'vod-audio-menu [part="button"]', menu: 'vod-audio-menu [part="menu"]' },
] as const;

test('in a 201 px tall player every item of every menu is on screen and can be tapped', async ({ page }) => {
  const player = await mount(page, { src: fixture.master });
  // Before play (preload="metadata"): the quality and captions menus come from the master playlist.
  for (const m of MENUS) await expect(player.locator(m.button)).toBeVisible({ timeout: 20_000 });
  const box = (await player.boundingBox())!;
  expect(Math.round(box.height)).toBe(201);
  for (const m of MENUS) {
    const items = player.locator(`${m.menu} [role="menuitemradio"]`);
    await player.locator(m.button).tap();
    const count = await items.count();
    expect(count, m.name).toBeGreaterThanOrEqual(2);
    // Under 300 px of height the menu is a bottom sheet inside the player, scrolling when longer.
    const sheet = (await player.locator(m.menu).boundingBox())!;
    expect(sheet.y, m.name).toBeGreaterThanOrEqual(box.y - 0.5);
    expect(sheet.y + sheet.height, m.name).toBeLessThanOrEqual(box.y + box.height + 0.5);
    expect(sheet.width, m.name).toBeCloseTo(box.width, 0);
    if (m.name === 'captions') await expectNoSeriousViolations(page, 'player: captions bottom sheet');
    for (let i = 0; i < count; i++) {
      if (!(await player.locator(m.menu).isVisible())) await player.locator(m.button).tap();
      const item = items.nth(i);
      // tap() scrolls the item into view and fails when anything else would receive the tap.
      await item.tap();
      await expect(player.locator(m.menu), `${m.name} item ${i} closes the menu`).toBeHidden();
      await player.locator(m.button).tap();
      await expect(items.nth(i), `${m.name} item ${i} is now the checked one`).toHaveAttribute(
        'aria-checked',
        'true',
      );
      const itemBox = (await items.nth(i).boundingBox())!;
      expect(itemBox.height).toBeGreaterThanOrEqual(44);
    }
    // Closing it by tapping a checked item again (the captions menu checks one per group).
    await player.locator(`${m.menu} [role="menuitemradio"][aria-checked="true"]`).first().tap();
    await expect(player.locator(m.menu)).toBeHidden();
  }
  expect(await get(player, (p) => p.playbackRate)).toBe(2);
  // The caption settings tapped last (200 %, no background) are the viewer's: stored in this browser,
  // they apply to the next player as soon as its video has captions.
  const cueStyle = (p: Locator) =>
    p.evaluate((el) => {
      const style = getComputedStyle(el);
      return [style.getPropertyValue('--vod-cue-scale'), style.getPropertyValue('--vod-cue-background')];
    });
  await expect.poll(() => cueStyle(player)).toEqual(['2', 'transparent']);
  const next = await mount(page, { src: `${fixture.master}?next=1` });
  await expect(next.locator('vod-captions-menu [part="button"]')).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => cueStyle(next)).toEqual(['2', 'transparent']);
});

test('on a touch screen every control is at least 44 × 44 px, and all fit the bar', async ({ page }) => {
  const player = await mount(page, { src: fixture.master }, 358);
  await expect(player.locator('vod-captions-menu [part="button"]')).toBeVisible({ timeout: 20_000 });
  const boxes = await player.evaluate((el) => {
    const root = el.shadowRoot!;
    const buttons = [...root.querySelectorAll<HTMLElement>('[part="controls"] button')];
    for (const menu of root.querySelectorAll('vod-captions-menu, vod-audio-menu'))
      buttons.push(...menu.shadowRoot!.querySelectorAll<HTMLElement>('[part="button"]'));
    const targets = [...buttons, root.querySelector<HTMLElement>('[part="scrubber"]')!];
    return targets
      .filter((t) => t.checkVisibility())
      .map((t) => {
        const r = t.getBoundingClientRect();
        return { name: t.getAttribute('part') ?? '', x: r.x, y: r.y, width: r.width, height: r.height };
      });
  });
  const frame = (await player.boundingBox())!;
  expect(boxes.map((b) => b.name)).toEqual(
    expect.arrayContaining(['play-button', 'mute-button', 'button', 'speed-button', 'quality-button']),
  );
  // Both menu elements' buttons (captions and audio) were measured.
  expect(boxes.filter((b) => b.name === 'button')).toHaveLength(2);
  expect(boxes.map((b) => b.name)).toEqual(
    expect.arrayContaining(['play-button', 'mute-button', 'button', 'speed-button', 'quality-button']),
  );
  for (const b of boxes) {
    expect(b.width, b.name).toBeGreaterThanOrEqual(44);
    expect(b.height, b.name).toBeGreaterThanOrEqual(44);
    expect(b.x, b.name).toBeGreaterThanOrEqual(frame.x);
    expect(b.x + b.width, b.name).toBeLessThanOrEqual(frame.x + frame.width + 0.5);
  }
});

test('by default (preload="metadata") only playlists are fetched before play', async ({ page }) => {
  const seen = fixture.requests.length;
  const player = await mount(page, { src: fixture.master });
  await expect(player.locator('[part="time"] .total')).toHaveText('/ 0:06', { timeout: 20_000 });
  await expect(player.locator('vod-captions-menu [part="button"]')).toBeVisible();
  const before = fixture.requests.slice(seen);
  expect(before.length).toBeGreaterThan(0);
  expect(before.filter((u) => !/\.m3u8(\?|$)/.test(u))).toEqual([]);
  await player.locator('[part="big-play-button"]').tap();
  await expect.poll(() => get(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.3);
  expect(fixture.requests.slice(seen).some((u) => /\.m4s(\?|$)/.test(u))).toBe(true);
});

test('a double tap on the left third seeks back 10 s, on the right third forward 10 s', async ({ page }) => {
  // Long enough that neither seek is clamped at an end (the ladder only: no storyboard, no MP4).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-long-'));
  await writeHlsLadder(dir, 'long', 24);
  const long = await serveStatic(dir);
  try {
    const player = await mount(page, { src: `${long.origin}/stream/long/master.m3u8`, muted: '' });
    await player.locator('[part="big-play-button"]').tap();
    await expect.poll(() => get(player, (p) => p.currentTime), { timeout: 20_000 }).toBeGreaterThan(0.3);
    await player.evaluate((p: PlayerApi) => {
      p.pause();
      p.currentTime = 12;
    });
    await expect.poll(() => get(player, (p) => p.currentTime)).toBe(12);
    const box = (await player.boundingBox())!;
    // Above the control bar, in the side thirds of the picture.
    const y = box.y + box.height * 0.3;
    const doubleTap = async (x: number) => {
      await page.touchscreen.tap(x, y);
      await page.touchscreen.tap(x, y);
    };
    await doubleTap(box.x + box.width * 0.85);
    await expect.poll(() => get(player, (p) => p.currentTime)).toBe(22);
    await expect(player.locator('[part="feedback"]')).toHaveText('+10 s');
    await doubleTap(box.x + box.width * 0.15);
    await expect.poll(() => get(player, (p) => p.currentTime)).toBe(12);
    await expect(player.locator('[part="feedback"]')).toHaveText('−10 s');
    // A double tap is not two single taps: playback stayed paused, and the page stayed inline.
    expect(await get(player, (p) => p.paused)).toBe(true);
    expect(await page.evaluate(() => document.fullscreenElement)).toBeNull();
  } finally {
    await long.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('while the video encodes (slower than real time): processing state, no stall at the edge, plays to the end', async ({
  page,
}) => {
  // Each media playlist gains one 1 s segment every 2 s (once released), without an end until the
  // last: an encode at half real time, published as the server publishes one (an EVENT playlist).
  const encode = fixture.heldPacedBase(2000);
  const player = await mount(page, { 'video-id': fixture.videoId, 'api-base': encode.base, muted: '' });
  const processing = player.locator('[part="processing"]');
  await expect(processing).toHaveText(/^Processing — \d+% ready$/, { timeout: 20_000 });
  // Stalls, from the media's own events: `waiting` until it plays again (or is paused by the player).
  await player.locator('video').evaluate((video: HTMLVideoElement) => {
    const log = { stalls: [] as number[], since: -1, playing: false, ended: false };
    (window as unknown as { stallLog: typeof log }).stallLog = log;
    const end = () => {
      if (log.since >= 0) log.stalls.push(performance.now() - log.since);
      log.since = -1;
    };
    video.addEventListener('waiting', () => {
      if (log.playing && log.since < 0) log.since = performance.now();
    });
    video.addEventListener('playing', () => {
      log.playing = true;
      end();
    });
    video.addEventListener('pause', end);
    video.addEventListener('ended', () => {
      end();
      log.ended = true;
    });
  });
  // The page plays at the edge (1 s published, held there until this play() settles; less than the
  // 1.5 s the player keeps ahead): the player holds, but not by a pause that would reject this play()
  // (AbortError) while it is pending.
  const played = await get(player, (p) =>
    p.play().then(
      () => 'resolved',
      (e: Error) => e.name,
    ),
  );
  expect(played).toBe('resolved');
  encode.release();
  // Playback soon reaches what is published: the player waits for the encoder, and says so.
  await expect(processing).toHaveText('Still processing…', { timeout: 20_000 });
  await expect(processing).toHaveRole('status');
  await expectNoSeriousViolations(page, 'player: still processing');
  const log = () =>
    page.evaluate(
      () => (window as unknown as { stallLog: { stalls: number[]; since: number; ended: boolean } }).stallLog,
    );
  await expect.poll(async () => (await log()).ended, { timeout: 60_000 }).toBe(true);
  const { stalls } = await log();
  expect(Math.max(0, ...stalls)).toBeLessThanOrEqual(2000);
  expect(await get(player, (p) => p.currentTime)).toBeCloseTo(fixture.duration, 0);
  // Done encoding: the state is gone.
  await expect(processing).toHaveCount(0);

  // Before play, over the poster: how much is published of the oEmbed's duration (1 s of 6 here, with
  // the encoder this slow).
  const idle = await mount(page, { 'video-id': fixture.videoId, 'api-base': fixture.pacedBase(60_000) });
  await expect(idle.locator('[part="processing"]')).toHaveText('Processing — 16% ready', { timeout: 20_000 });
  await expectNoSeriousViolations(page, 'player: processing, before play');
});

test('while the video encodes: a pause by the viewer during the hold stands once more is published', async ({
  page,
}) => {
  const encode = fixture.heldPacedBase(500);
  const player = await mount(page, { 'video-id': fixture.videoId, 'api-base': encode.base, muted: '' });
  const processing = player.locator('[part="processing"]');
  await expect(processing).toHaveText(/^Processing — \d+% ready$/, { timeout: 20_000 });
  // Play at the edge (1 s published): the player holds ("Still processing…"), and pauses on a task
  // after `playing`; the viewer (here the page) pauses first, on `playing` itself, so deterministically
  // before the hold's own pause. Every later `play` is counted: a resume would show there.
  const start = await player.locator('video').evaluate(async (video: HTMLVideoElement) => {
    const log = { plays: 0 };
    (window as unknown as { playLog: typeof log }).playLog = log;
    const paused = new Promise<boolean>((resolve) =>
      video.addEventListener(
        'playing',
        () => {
          const holding = document.getElementById('phone')?.shadowRoot?.querySelector('[part="processing"]');
          video.pause();
          video.addEventListener('play', () => log.plays++);
          resolve(holding?.textContent === 'Still processing…');
        },
        { once: true },
      ),
    );
    const player = document.getElementById('phone') as unknown as { play(): Promise<void> };
    const played = await player.play().then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    return { played, holding: await paused };
  });
  expect(start).toEqual({ played: 'resolved', holding: true });
  // The viewer's pause ends the hold: the state does not claim to be waiting for the encoder.
  await expect(processing.filter({ hasText: 'Still processing…' })).toHaveCount(0);
  // The encode moves on, well past what a hold waits for: the player has loaded it (buffered from
  // the new playlists) and still stays paused.
  encode.release();
  await expect
    .poll(
      () => player.locator('video').evaluate((v: HTMLVideoElement) => v.buffered.length && v.buffered.end(0)),
      {
        timeout: 20_000,
      },
    )
    .toBeGreaterThanOrEqual(3);
  expect(await get(player, (p) => p.paused)).toBe(true);
  expect(await page.evaluate(() => (window as unknown as { playLog: { plays: number } }).playLog.plays)).toBe(
    0,
  );
  await expect(processing.filter({ hasText: 'Still processing…' })).toHaveCount(0);
});

test.describe('at desktop size', () => {
  test.use({ viewport: { width: 1280, height: 800 }, hasTouch: false, isMobile: false });

  test('the audio menu lists both languages; the choice is remembered for the next video', async ({
    page,
  }) => {
    const player = await mount(page, { src: fixture.master }, 640);
    const button = player.locator('vod-audio-menu [part="button"]');
    // Before play: the languages come from the master playlist.
    await expect(button).toHaveAttribute('aria-label', 'Audio: English', { timeout: 20_000 });
    await button.click();
    const menu = player.getByRole('menu', { name: 'Audio' });
    await expect(menu.getByRole('menuitemradio')).toHaveText(['English', 'Français']);
    await expect(menu.getByRole('menuitemradio', { name: 'English' })).toBeFocused();
    await expectNoSeriousViolations(page, 'player: audio menu open');
    await menu.getByRole('menuitemradio', { name: 'Français' }).click();
    await expect(button).toHaveAttribute('aria-label', 'Audio: Français');
    await expect(button).toBeFocused();

    // Another video (a new page, another URL): it starts in French, and fetches the French audio.
    const seen = fixture.requests.length;
    const next = await mount(page, { src: `${fixture.master}?next=1`, preload: 'auto', muted: '' });
    await expect(next.locator('vod-audio-menu [part="button"]')).toHaveAttribute(
      'aria-label',
      'Audio: Français',
      {
        timeout: 20_000,
      },
    );
    await expect
      .poll(() => fixture.requests.slice(seen).some((u) => /\/fr\/seg_\d+\.m4s/.test(u)))
      .toBe(true);
    expect(fixture.requests.slice(seen).some((u) => /\/en\/seg_\d+\.m4s/.test(u))).toBe(false);
  });
});
