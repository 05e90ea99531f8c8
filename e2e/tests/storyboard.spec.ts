import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { EncoderJob } from '@vodkit/api';
import { tempDir } from '../../server/test/fixtures.ts';
import { colourSteps, parseVttTiles } from '../../server/test/pictures.ts';
import { encode, uploadFile } from '../helpers/api.ts';
import { baseUrl } from '../helpers/env.ts';

// A video made of flat colour steps, encoded by the real server: the storyboard the server made feeds
// <vod-player video-id>'s seek preview, and the preview draws the tile of the hovered instant.

/** 2 s each: which colour the preview shows says which instant its tile was taken from. */
const STEPS = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 255, 0],
  [255, 0, 255],
  [0, 255, 255],
] as const;
const hex = (rgb: readonly number[]) => `0x${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

let job: EncoderJob;

test.beforeAll(async () => {
  const dir = tempDir('vodkit-e2e-storyboard-');
  const file = await colourSteps(path.join(dir, 'steps.mp4'), STEPS.map(hex), 2, '640x360');
  const fileId = await uploadFile(file);
  fs.rmSync(dir, { recursive: true, force: true });
  job = await encode({ fileId });
});

test('hovering the seek bar draws the storyboard tile of that instant, and the page load has no 404', async ({
  page,
}) => {
  expect(job.storyboard).toBe(`${baseUrl()}/stream/${job.videoId}/storyboard.vtt`);
  const tiles = parseVttTiles(await (await fetch(job.storyboard!)).text());
  expect(tiles).toHaveLength(12);

  const failed: string[] = [];
  page.on('response', (res) => {
    if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
  });
  await page.goto(`${baseUrl()}/player.html`);
  await page.evaluate(
    ({ origin, videoId }) => {
      const el = document.createElement('vod-player');
      el.id = 'sb';
      el.setAttribute('video-id', videoId);
      el.setAttribute('api-base', origin);
      el.toggleAttribute('muted', true);
      // Previews before play come with preload="auto" (the default, metadata, fetches playlists only).
      el.setAttribute('preload', 'auto');
      document.querySelector('main')!.append(el);
    },
    { origin: baseUrl(), videoId: job.videoId },
  );
  const player = page.locator('#sb');
  await expect
    .poll(() => player.evaluate((p) => (p as unknown as { duration: number }).duration), { timeout: 30_000 })
    .toBeGreaterThan(11.5);

  // 10.5 s: tile 10, the first of the sheet's second row; its step is the 6th colour.
  const at = 10.5;
  const tile = tiles.find((t) => at >= t.start && at < t.end)!;
  expect(tile).toMatchObject({ x: 0, y: 90, w: 160, h: 90 });
  await player.hover();
  const bar = (await player.locator('vod-scrubber').boundingBox())!;
  await page.mouse.move(bar.x + (bar.width * at) / 12, bar.y + bar.height / 2, { steps: 4 });
  const thumbnail = player.locator('[part="thumbnail"]');
  const offset = (v: number) => (v === 0 ? '0px' : `-${v}px`);
  await expect(thumbnail).toHaveCSS('background-position', `${offset(tile.x)} ${offset(tile.y)}`);
  await expect(thumbnail).toHaveCSS(
    'background-image',
    `url("${baseUrl()}/stream/${job.videoId}/${tile.sheet}")`,
  );
  await expect(player.locator('[part="preview"]')).toContainText('0:10');

  // What is drawn: the element's own pixels (a screenshot), averaged in the page, away from the border.
  const drawn = async (): Promise<number[]> => {
    const png = (await thumbnail.screenshot()).toString('base64');
    return page.evaluate(async (data) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = Object.assign(document.createElement('canvas'), {
        width: img.width,
        height: img.height,
      });
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data: px } = ctx.getImageData(img.width / 4, img.height / 4, img.width / 2, img.height / 2);
      const sum = [0, 0, 0];
      for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += px[i + c]!;
      return sum.map((v) => Math.round(v / (px.length / 4)));
    }, png);
  };
  const expected = STEPS[Math.floor(at / 2)]!;
  // The sheet may still be loading at the first look: poll until the tile is painted.
  await expect
    .poll(async () => Math.max(...(await drawn()).map((v, c) => Math.abs(v - expected[c]!))), {
      timeout: 10_000,
    })
    .toBeLessThan(40);

  // The whole load — playlists, segments, poster, storyboard and sheet — answered without a 4xx.
  expect(failed).toEqual([]);
});
