import fs from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { api, encode, uploadFile } from '../helpers/api.ts';
import { baseUrl } from '../helpers/env.ts';

// Chapters and instant clips (issue 15 §2, §4) as a viewer sees them, on one 6 s video encoded by the
// real server. Its segments are [0, 1), [1, 2), [2, 5), [5, 6): the clip [2.5, 4.5] is one segment
// that starts 0.5 s before it and ends 0.5 s after.

let videoId: string;

test.beforeAll(async () => {
  const dir = tempDir('vodkit-e2e-chapters-');
  const clip = await clips.h264Aac(dir, { duration: 6, width: 320, height: 180 });
  const fileId = await uploadFile(clip);
  fs.rmSync(dir, { recursive: true, force: true });
  const job = await encode({ fileId, presets: [{ resolutions: ['240'] }] });
  videoId = job.videoId;
  await api('PUT', `/v1/videos/${videoId}/chapters`, {
    chapters: [
      { start: 0, title: 'Intro' },
      { start: 2, title: 'The <b>middle</b> part' },
      { start: 4, title: 'Finale' },
    ],
  });
});

/** A `<vod-player>` of the video on the playground page, with extra attributes. */
async function addPlayer(page: Page, attributes: Record<string, string>): Promise<Locator> {
  await page.goto(`${baseUrl()}/player.html`);
  await page.evaluate(
    ({ origin, id, attributes }) => {
      const el = document.createElement('vod-player');
      el.id = 'p';
      el.setAttribute('video-id', id);
      el.setAttribute('api-base', origin);
      el.toggleAttribute('muted', true);
      for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
      document.querySelector('main')!.append(el);
    },
    { origin: baseUrl(), id: videoId, attributes },
  );
  return page.locator('#p');
}

const time = (player: Locator) => player.evaluate((p) => (p as unknown as HTMLVideoElement).currentTime);

test('chapters: marks on the seek bar, the title in the preview, the menu and the N/P keys', async ({
  page,
}) => {
  const failed: string[] = [];
  page.on('response', (res) => {
    if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
  });
  // Chapters are extras, fetched before play only when the page preloads (`metadata`, the default,
  // fetches playlists only).
  const player = await addPlayer(page, { preload: 'auto' });
  const scrubber = player.locator('vod-scrubber');
  // A mark where each chapter but the first starts: 2 s and 4 s of 6 s.
  const marks = scrubber.locator('[part="chapter-marker"]');
  await expect(marks).toHaveCount(2);
  const readLefts = () =>
    marks.evaluateAll((els) => els.map((e) => Number.parseFloat((e as HTMLElement).style.left)));
  // The marks are drawn as soon as the chapters load, at 0 % until the media's duration is known.
  await expect.poll(async () => (await readLefts())[0]).toBeGreaterThan(0);
  const lefts = await readLefts();
  // At 2 s and 4 s of the media's duration (6 s and a few ms of the encode's audio).
  expect(lefts[0]).toBeCloseTo(33.3, 0);
  expect(lefts[1]).toBeCloseTo(66.6, 0);

  // Hovering the middle of the bar (3 s) shows that chapter's title, as text, above the time.
  await player.hover();
  const box = (await scrubber.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
  await expect(scrubber.locator('[part="preview"]')).toContainText('The middle part');

  // The menu: one item per chapter; choosing one seeks to its start.
  await player.locator('vod-chapters-menu [part="button"]').click();
  const items = player.locator('vod-chapters-menu [role="menuitemradio"]');
  await expect(items).toHaveCount(3);
  await expect(items.locator('.title')).toHaveText(['Intro', 'The middle part', 'Finale']);
  await items.nth(2).click();
  await expect.poll(() => time(player)).toBeCloseTo(4, 1);

  // Keys: P goes back to the chapter before (within 2 s of this one's start), N forward again.
  await page.keyboard.press('p');
  await expect.poll(() => time(player)).toBeCloseTo(2, 1);
  await player.evaluate((p) => {
    (p as unknown as HTMLVideoElement).currentTime = 0.5;
  });
  await page.keyboard.press('n');
  await expect.poll(() => time(player)).toBeCloseTo(2, 1);
  expect(failed).toEqual([]);
});

test('an instant clip starts at start and pauses at end, in the element and in the embed', async ({
  page,
}) => {
  const masters: string[] = [];
  page.on('request', (req) => {
    if (req.url().includes('/master.m3u8')) masters.push(new URL(req.url()).search);
  });
  const player = await addPlayer(page, { start: '2.5', end: '4.5', preload: 'auto' });
  // The clip's timeline begins at its first segment (2 s into the video): start is 0.5 s into it.
  await expect.poll(() => time(player)).toBeCloseTo(0.5, 2);
  expect(masters[0]).toBe('?start=2.5&end=4.5');
  await player.evaluate((p) => (p as unknown as HTMLVideoElement).play());
  await expect
    .poll(() => player.evaluate((p) => (p as unknown as HTMLVideoElement).paused), { timeout: 15_000 })
    .toBe(true);
  // Paused exactly at end (2 s after start), although the segment goes on to 5 s.
  expect(await time(player)).toBeCloseTo(2.5, 2);
  expect(await player.evaluate((p) => (p as unknown as HTMLVideoElement).ended)).toBe(false);

  await page.goto(`${baseUrl()}/embed/${videoId}?start=2.5&end=4.5&autoplay=1`);
  const embedded = page.locator('vod-player');
  await expect
    .poll(
      () =>
        embedded.evaluate((p) => {
          const v = p as unknown as HTMLVideoElement;
          return v.paused && v.currentTime > 2 ? v.currentTime : -1;
        }),
      { timeout: 15_000 },
    )
    .toBeCloseTo(2.5, 2);
});
