import fs from 'node:fs';
import { expect, type Locator, test } from '@playwright/test';
import type { EncoderJob } from '@vodkit/api';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { fileIdOf, tusUpload } from '../../server/test/upload.ts';
import { expectNoSeriousViolations } from '../helpers/axe.ts';
import { apiToken, baseUrl } from '../helpers/env.ts';
import { createHlsFixture, type HlsFixture } from '../helpers/hls-fixture.ts';

// axe-core on the demo, the embed and the player playground, in the states the player tests reach:
// idle, playing with the controls shown, each menu open, a fatal error, 360°, another language.
// Serious and critical violations fail; the rest is attached to the report.

let fixture: HlsFixture;
let videoId: string;

test.beforeAll(async () => {
  fixture = await createHlsFixture(6);
  const file = await clips.h264Aac(tempDir(), { duration: 4, width: 640, height: 360 });
  const bearer = await apiToken();
  const url = await tusUpload(fs.readFileSync(file), { baseUrl: baseUrl(), bearer });
  const post = await fetch(`${baseUrl()}/v1/encoder/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId: fileIdOf(url) }),
  });
  let job = (await post.json()) as EncoderJob;
  while (!job.playback) {
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${job.status}`);
    await new Promise((r) => setTimeout(r, 300));
    const res = await fetch(`${baseUrl()}/v1/encoder/jobs/${job.jobId}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    job = (await res.json()) as EncoderJob;
  }
  videoId = job.videoId;
});

test.afterAll(async () => {
  await fixture?.close();
});

const currentTime = (player: Locator) =>
  player.evaluate((p: HTMLElement & { currentTime: number }) => p.currentTime);

test('the demo page', async ({ page }) => {
  await page.goto(`${baseUrl()}/`);
  await expect(page.locator('vod-uploader')).toBeVisible();
  await expectNoSeriousViolations(page, 'demo');
});

test('the uploader page: idle, then a row that is uploaded, with its event log', async ({ page }) => {
  await page.goto(`${baseUrl()}/uploader.html`);
  await expect(page.locator('vod-uploader')).toBeVisible();
  await expectNoSeriousViolations(page, 'uploader page');
  const clip = await clips.h264Aac(tempDir(), { duration: 1 });
  await page.locator('vod-uploader input[type=file]').setInputFiles(clip);
  await expect(page.locator('vod-uploader [part~=status]')).toHaveText('Uploaded', { timeout: 60_000 });
  await expect(page.locator('#log li').first()).toBeVisible();
  await expectNoSeriousViolations(page, 'uploader page with a row and events');
});

test('the player playground: idle, playing, menus, 360°, French, error', async ({ page }) => {
  await page.goto(`${baseUrl()}/player.html`);
  await expectNoSeriousViolations(page, 'playground without a source');

  const q = new URLSearchParams({
    src: fixture.master,
    muted: '1',
    autoplay: '1',
    loop: '1',
    title: 'Fixture',
  });
  await page.goto(`${baseUrl()}/player.html?${q}`);
  const player = page.locator('vod-player');
  await expect.poll(() => currentTime(player), { timeout: 20_000 }).toBeGreaterThan(0.5);
  await player.hover();
  await expectNoSeriousViolations(page, 'playing');
  // Paused, the controls stay up for the menus (axe takes longer than the controls' idle delay).
  await player.evaluate((p: HTMLElement & { pause(): void }) => p.pause());

  await player.getByRole('button', { name: /^Quality/ }).focus();
  await page.keyboard.press('Enter');
  await expect(player.getByRole('menu', { name: 'Quality' })).toBeVisible();
  await expectNoSeriousViolations(page, 'quality menu open');
  await page.keyboard.press('Escape');
  await player.getByRole('button', { name: /Playback speed/ }).focus();
  await page.keyboard.press('Enter');
  await expect(player.getByRole('menu', { name: 'Playback speed' })).toBeVisible();
  await expectNoSeriousViolations(page, 'speed menu open');

  // preload="auto": the sphere (three.js) comes before play, as it does once played.
  await page.goto(
    `${baseUrl()}/player.html?${new URLSearchParams({ src: fixture.master, muted: '1', projection: '360', lang: 'fr', preload: 'auto' })}`,
  );
  await expect
    .poll(
      () =>
        page
          .locator('vod-player')
          .evaluate((p) => (p as unknown as { view360: { state: string } | null }).view360?.state),
      {
        timeout: 20_000,
      },
    )
    .toBe('on');
  await expectNoSeriousViolations(page, '360°, French');

  await page.goto(
    `${baseUrl()}/player.html?${new URLSearchParams({ src: `${fixture.origin}/stream/missing/master.m3u8` })}`,
  );
  await expect(page.locator('vod-player').getByRole('alert')).toBeVisible({ timeout: 20_000 });
  await expectNoSeriousViolations(page, 'fatal error');
});

test('the embed page: idle and playing', async ({ page }) => {
  await page.goto(`${baseUrl()}/embed/${videoId}`);
  const player = page.locator('vod-player');
  await expect(player.getByRole('button', { name: 'Play', exact: true }).first()).toBeVisible();
  await expectNoSeriousViolations(page, 'embed idle');
  await player.getByRole('button', { name: 'Play', exact: true }).first().click();
  await expect.poll(() => currentTime(player), { timeout: 20_000 }).toBeGreaterThan(0.3);
  await player.hover();
  await expectNoSeriousViolations(page, 'embed playing');
});
