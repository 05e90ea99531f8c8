import { expect, type Page, test } from '@playwright/test';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { expectNoSeriousViolations } from '../helpers/axe.ts';
import { baseUrl, devKey } from '../helpers/env.ts';

/**
 * The Studio as an operator walks it (issue 16): sign in with the dev key, upload through the
 * Studio's `<vod-uploader>`, watch the row go live to completed and the video play, edit its title,
 * add captions and chapters, make a clip, read the analytics charts of those plays, protect it (the
 * list's poster still shows), manage API keys, delete it with a confirmation, sign out;
 * axe on every page, and the same pages at phone size.
 */

const VTT = 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello from the Studio\n';

const currentTime = (page: Page) =>
  page.locator('#studio-player').evaluate((p: HTMLElement & { currentTime: number }) => p.currentTime);

/** No page scrolls sideways (the phone layout holds). */
const noSidewaysScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function signIn(page: Page, secret: string): Promise<void> {
  await page.getByLabel('API key').fill(devKey().apiKey);
  await page.getByLabel('Secret').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('studio: sign in, upload, watch, edit, captions, chapters, clip, protect, keys, delete, sign out — axe on every page, desktop and phone', async ({
  page,
  request,
}) => {
  const clip = await clips.h264Aac(tempDir(), { duration: 3, width: 426, height: 240 });
  const { secret } = devKey();

  await page.goto(`${baseUrl()}/studio`);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await expectNoSeriousViolations(page, 'studio: sign-in');
  await signIn(page, 'not-the-secret');
  await expect(page.getByRole('alert')).toContainText('sign_in_failed');
  await signIn(page, secret);
  await expect(page.getByRole('heading', { name: 'Videos', level: 1 })).toBeVisible();

  // The session is an httpOnly, SameSite=Strict cookie; the secret is nowhere in the page's reach.
  const cookie = (await page.context().cookies()).find((c) => c.name === 'vodkit_studio')!;
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(cookie.expires).toBeGreaterThan(Date.now() / 1000);
  const stored = await page.evaluate(() =>
    JSON.stringify([document.cookie, { ...localStorage }, { ...sessionStorage }, location.href]),
  );
  expect(stored).not.toContain(secret);
  expect(await page.getByLabel('Secret').count()).toBe(0);

  // Upload through the Studio: the row appears and follows the encode live (its event stream, cookie only).
  const stream = page.waitForResponse((r) => /\/v1\/videos\/[a-z0-9]+\/events$/.test(r.url()));
  await page.locator('studio-videos vod-uploader input[type=file]').setInputFiles(clip);
  const row = page.locator('.video-row').first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  expect((await stream).status()).toBe(200);
  await expect(row.getByTestId('status')).toHaveText(/completed/, { timeout: 60_000 });
  await expectNoSeriousViolations(page, 'studio: videos');

  // The video's page: it plays.
  await row.locator('.row-title').click();
  await expect(page.locator('#studio-player')).toBeVisible();
  await page.locator('#studio-player').evaluate((p: HTMLElement & { play(): Promise<void> }) => p.play());
  await expect.poll(() => currentTime(page), { timeout: 20_000 }).toBeGreaterThan(0.5);

  // Edit the title; the list and its search find it by the new one.
  await page.getByLabel('Title', { exact: true }).fill('Studio sunset');
  await page.getByRole('button', { name: 'Save title' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Studio sunset');

  // Captions: upload a WebVTT file as the default track.
  const captions = page.locator('studio-captions');
  await captions.locator('input[name=file]').setInputFiles({
    name: 'en.vtt',
    mimeType: 'text/vtt',
    buffer: Buffer.from(VTT),
  });
  await captions.getByLabel('Language').fill('en');
  await captions.getByLabel('Default track').check();
  await captions.getByRole('button', { name: 'Upload captions' }).click();
  await expect(captions.locator('.tracks li')).toHaveCount(1);
  await expect(captions.locator('.tracks li')).toContainText('default');
  await captions.getByRole('button', { name: /Unset default/ }).click();
  await expect(captions.locator('.badge')).toHaveCount(0);
  await expectNoSeriousViolations(page, 'studio: video');

  const player = page.locator('#studio-player');
  const seek = (t: number) =>
    player.evaluate((p: HTMLElement & { currentTime: number; pause(): void }, at) => {
      p.pause();
      p.currentTime = at;
    }, t);

  // Chapters: the second one's start taken from the player; saved, they are there after a reload.
  const chapters = page.locator('studio-chapters');
  await seek(0);
  await chapters.getByRole('button', { name: 'Add chapter' }).click();
  await chapters.getByLabel('Chapter title').fill('Opening');
  await seek(1.5);
  await chapters.getByRole('button', { name: 'Add chapter' }).click();
  await chapters.getByLabel('Chapter title').nth(1).fill('Sunset');
  await expect(chapters.getByLabel('Start (s)').nth(1)).toHaveValue('1.5');
  await chapters.getByRole('button', { name: 'Save chapters' }).click();
  await expect(chapters.getByRole('status')).toHaveText('Chapters saved.');
  await page.reload();
  await expect(chapters.getByLabel('Chapter title')).toHaveCount(2);
  await expect(chapters.getByLabel('Chapter title').nth(0)).toHaveValue('Opening');
  await expect(chapters.getByLabel('Chapter title').nth(1)).toHaveValue('Sunset');
  await expect(chapters.getByLabel('Start (s)').nth(1)).toHaveValue('1.5');
  await expectNoSeriousViolations(page, 'studio: video with chapters');

  // A clip: start and end picked on the player, then a new video cut from the source.
  await seek(0.5);
  await page.getByRole('button', { name: 'Set start here' }).click();
  await seek(2);
  await page.getByRole('button', { name: 'Set end here' }).click();
  await expect(page.getByLabel('Clip start (s)')).toHaveValue('0.5');
  await expect(page.getByLabel('Clip end (s)')).toHaveValue('2');
  await page.getByLabel('Clip title').fill('The middle');
  await page.getByRole('button', { name: 'Create clip' }).click();
  await page.getByRole('link', { name: 'open the clip' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('The middle');
  await expect(page.getByTestId('video-status')).toHaveText(/completed/, { timeout: 60_000 });
  await expect(page.locator('.status-line')).toContainText('0:02');
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Studio sunset');

  // The charts, from the plays above: the Studio's own player reported them (beacons, issue 16).
  const stats = page.locator('studio-stats');
  await expect
    .poll(
      async () => {
        await stats.getByRole('button', { name: 'Refresh' }).click();
        return Number(await stats.getByTestId('stat-views').textContent());
      },
      { timeout: 30_000 },
    )
    .toBeGreaterThanOrEqual(1);
  await expect(stats.getByTestId('stat-watch')).not.toHaveText('0:00');
  await expect(stats.getByTestId('stat-startup')).toHaveText(/^\d+ \/ \d+ ms$/);
  for (const chart of ['#chart-views', '#chart-watch', '#chart-startup']) {
    await expect(stats.locator(`${chart} canvas`)).toHaveCount(1);
  }

  // Protected: the list still shows its poster (with a playback token of its own).
  await page.getByRole('checkbox', { name: /^Protected: plays only/ }).check();
  await page.getByRole('button', { name: 'Save protection' }).click();
  await expect(page.locator('studio-protection').getByRole('status')).not.toBeEmpty();

  await page.getByRole('link', { name: '← All videos' }).click();
  await page.getByLabel('Search by title').fill('sunset');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('.video-row')).toHaveCount(1);
  await expect(page.locator('.row-title')).toHaveText('Studio sunset');
  const poster = page.locator('.video-row .poster img');
  await expect(poster).toHaveAttribute('src', /\?token=/);
  await expect
    .poll(() => poster.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)))
    .toBeGreaterThan(0);
  await expect(page.locator('.video-row').getByTestId('views')).toHaveText(/^[1-9]\d*$/);
  await page.getByLabel('Search by title').fill('middle');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('.row-title')).toHaveText('The middle');

  // Webhooks and API keys.
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
  await expectNoSeriousViolations(page, 'studio: webhooks');
  await page.getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Name').fill('e2e app server');
  await page.getByRole('button', { name: 'Create key' }).click();
  const newKey = (await page.getByTestId('new-api-key').textContent())!;
  await expect(page.getByTestId('new-secret')).toHaveText(/^[A-Za-z0-9_-]{40,}$/);
  await expectNoSeriousViolations(page, 'studio: keys, a new secret shown');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  await expect(page.getByTestId('new-secret')).toHaveCount(0);
  await page.getByRole('button', { name: 'Revoke e2e app server' }).click();
  await page.getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByRole('row', { name: new RegExp(newKey) })).toContainText('revoked');

  // Phone size: the list and a video's page, without sideways scrolling (axe ran on these pages above:
  // the same content, so it is not run again).
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Videos', exact: true }).click();
  await expect(page.locator('.video-row')).not.toHaveCount(0);
  expect(await noSidewaysScroll(page)).toBe(true);
  await page.getByLabel('Search by title').fill('sunset');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.row-title', { hasText: 'Studio sunset' }).click();
  await expect(page.locator('#studio-player')).toBeVisible();
  expect(await noSidewaysScroll(page)).toBe(true);

  // Delete, with a confirmation: Cancel keeps it; "Delete for good" removes the file and both its
  // videos (the clip was cut from the same file), back to the list, where neither is found.
  await page.getByRole('button', { name: 'Delete video…' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('cannot be undone');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Delete video…' }).click();
  await dialog.getByRole('button', { name: 'Delete for good' }).click();
  await expect(page.getByRole('heading', { name: 'Videos', level: 1 })).toBeVisible();
  for (const title of ['sunset', 'middle']) {
    await page.getByLabel('Search by title').fill(title);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.locator('.video-row')).toHaveCount(0);
  }

  // Sign out: back to the form, and the old cookie no longer opens the API.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  const replay = await request.get(`${baseUrl()}/v1/videos`, {
    headers: { cookie: `vodkit_studio=${cookie.value}`, 'sec-fetch-site': 'same-origin' },
  });
  expect(replay.status()).toBe(401);
});

test('the demo links to the Studio', async ({ page }) => {
  await page.goto(`${baseUrl()}/`);
  await page.getByRole('link', { name: 'Studio' }).click();
  await expect(page).toHaveURL(/\/studio$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});
