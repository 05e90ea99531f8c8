import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { baseUrl } from '../helpers/env.ts';

/**
 * The whole flow as a person walks it on the demo site: pick a file in <vod-uploader>, see the
 * probed metadata, watch the encoding progress, and see <vod-player> play the result; then the
 * embed URL the demo hands out plays on its own.
 */
test('demo: upload → metadata → encode → play → embed', async ({ page, request }) => {
  const dir = tempDir();
  const clip = await clips.h264Aac(dir, { duration: 6, width: 640, height: 360 });

  await page.goto(`${baseUrl()}/`);
  // Live progress comes over Server-Sent Events, not polling.
  const events = page.waitForResponse(/\/v1\/videos\/[a-z0-9]+\/events\?token=/);
  await page.locator('vod-uploader input[type=file]').setInputFiles(clip);

  const metadata = page.getByTestId('metadata');
  await expect(metadata).toBeVisible();
  await expect(metadata).toContainText('640×360');
  await expect(metadata).toContainText('h264');
  await expect(page.locator('#probe-time')).toContainText(/probed in \d+ ms/);

  const sse = await events;
  expect(sse.status()).toBe(200);
  expect(sse.headers()['content-type']).toContain('text/event-stream');

  const player = page.locator('#player-slot vod-player');
  await expect(player).toBeAttached({ timeout: 90_000 });
  await expect
    .poll(() => player.evaluate((p: HTMLElement & { currentTime: number }) => p.currentTime), {
      timeout: 60_000,
    })
    .toBeGreaterThan(1);
  const [width, height] = await player.evaluate(
    (p: HTMLElement & { videoWidth: number; videoHeight: number }) => [p.videoWidth, p.videoHeight],
  );
  expect(width).toBeGreaterThan(0);
  expect(width / height).toBeCloseTo(16 / 9, 1);
  await expect(page.getByTestId('encode-status')).toHaveText('completed', { timeout: 90_000 });

  // Every step shown (metadata, encode status, player, embed snippets): no serious axe finding.
  const axe = await new AxeBuilder({ page }).analyze();
  expect(
    axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([]);
  await expect(page.getByTestId('metadata')).toContainText('MP4');

  const tag = await page.locator('#embed-tag').textContent();
  expect(tag).toContain('<vod-player video-id=');
  const iframe = (await page.locator('#embed-iframe').textContent()) ?? '';
  const embedUrl = /src="([^"]+)"/.exec(iframe)?.[1];
  expect(embedUrl).toContain('/embed/');

  // Responsive: no fixed 640×360 box.
  expect(iframe).toContain('aspect-ratio:640 / 360');
  expect(iframe).not.toContain('width="640"');

  // The iframe page plays by itself, muted autoplay as embeds do.
  await page.goto(`${embedUrl}?autoplay=1`);
  const embedded = page.locator('vod-player');
  await expect
    .poll(() => embedded.evaluate((p: HTMLElement & { currentTime: number }) => p.currentTime), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0.5);

  // A CMS given the embed URL finds the oEmbed endpoint in the page, and a title.
  await expect(page).toHaveTitle('h264-aac.mp4');
  const discovery = await page.locator('link[type="application/json+oembed"]').getAttribute('href');
  expect(discovery).toBe(`${baseUrl()}/oembed?url=${encodeURIComponent(embedUrl!)}&format=json`);

  const oembed = await request.get(`${baseUrl()}/oembed?url=${encodeURIComponent(embedUrl!)}`);
  expect(oembed.ok()).toBe(true);
  const body = (await oembed.json()) as { type: string; html: string; width: number; height: number };
  expect(body.type).toBe('video');
  expect(body.html).toContain(embedUrl);
  expect(body.html).toContain('aspect-ratio:640 / 360');
  expect(body.height).toBe(Math.round((body.width * 9) / 16));
});
