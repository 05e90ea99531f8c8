import fs from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import type { CaptionTrack, EncoderJob } from '@vodkit/api';
import { clips, tempDir } from '../../server/test/fixtures.ts';
import { api, uploadFile, waitForJob } from '../helpers/api.ts';
import { baseUrl } from '../helpers/env.ts';

/**
 * Captions end to end: a real upload and encode, caption tracks added through the API, and the
 * embed page playing them in Chromium through hls.js and the master playlist's SUBTITLES group.
 */

test.describe.configure({ mode: 'serial' });

const ENGLISH = [
  'WEBVTT',
  '',
  '00:00:00.500 --> 00:00:02.000',
  'Hello from the <b>captions</b>',
  '',
  '00:00:02.500 --> 00:00:04.000',
  'Second cue<script>alert(1)</script>',
  '',
].join('\n');
const FRENCH_SRT = ['1', '00:00:00,500 --> 00:00:02,000', 'Bonjour des sous-titres', ''].join('\r\n');

let videoId: string;

test.beforeAll(async () => {
  const dir = tempDir('vodkit-e2e-captions-');
  const clip = await clips.h264Aac(dir, { duration: 6, width: 640, height: 360 });
  const fileId = await uploadFile(clip, {
    metadata: { filename: 'captions.mp4', filetype: 'video/mp4', title: 'Captions' },
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const job = await api<EncoderJob>('POST', '/v1/encoder/jobs', { fileId });
  videoId = job.videoId;
  await api<CaptionTrack>('POST', `/v1/videos/${videoId}/tracks`, {
    language: 'en',
    label: 'English',
    kind: 'captions',
    default: true,
    content: ENGLISH,
  });
  await api<CaptionTrack>('POST', `/v1/videos/${videoId}/tracks`, { language: 'fr', content: FRENCH_SRT });
  await waitForJob(job.jobId);
});

interface PlayerLike extends HTMLElement {
  media: HTMLVideoElement;
  currentTime: number;
  noControls: boolean;
}

/** `language:mode` of each text track of the player's video. */
const trackModes = (player: Locator) =>
  player.evaluate((p) => [...(p as PlayerLike).media.textTracks].map((t) => `${t.language}:${t.mode}`));

/** The text of the active cues of the showing track ('' when none shows or no cue is active). */
const shownCueText = (player: Locator) =>
  player.evaluate((p) => {
    const shown = [...(p as PlayerLike).media.textTracks].find((t) => t.mode === 'showing');
    return [...(shown?.activeCues ?? [])].map((c) => (c as VTTCue).text).join('\n');
  });

const seek = (player: Locator, time: number) =>
  player.evaluate((p, t) => {
    const video = (p as PlayerLike).media;
    video.pause();
    video.currentTime = t;
    return new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
  }, time);

/** Pixels of the player on screen close to magenta, the `--vod-cue-color` the test sets. */
async function magentaPixels(page: Page, player: Locator): Promise<number> {
  // Two frames, so the cue box the last change asked for is painted.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const png = (await player.screenshot()).toString('base64');
  return page.evaluate(async (data) => {
    const img = new Image();
    img.src = `data:image/png;base64,${data}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i]! > 200 && px[i + 1]! < 60 && px[i + 2]! > 200) n++;
    return n;
  }, png);
}

test('the master playlist carries the tracks and hls.js shows the default one at the right time', async ({
  page,
}) => {
  const master = await (await fetch(`${baseUrl()}/stream/${videoId}/master.m3u8`)).text();
  expect(master).toMatch(
    /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English",DEFAULT=YES/,
  );
  expect(master).toMatch(
    /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="fr",NAME="Français",DEFAULT=NO/,
  );

  await page.goto(`${baseUrl()}/embed/${videoId}?preload=auto`);
  // The page can style cues through the player's custom properties; magenta is easy to find on screen.
  await page.addStyleTag({
    content: 'vod-player { --vod-cue-color: rgb(255 0 255); --vod-cue-background: transparent; }',
  });
  const player = page.locator('vod-player');
  await expect.poll(() => trackModes(player)).toEqual(['en:showing', 'fr:disabled']);
  // kind "captions" travels as Apple's SDH characteristics and comes back as <track kind="captions">
  // (what axe's video-caption rule looks for).
  expect(
    await player.evaluate((p) => [...(p as PlayerLike).media.querySelectorAll('track')].map((t) => t.kind)),
  ).toEqual(['captions', 'subtitles']);

  // The WebVTT's X-TIMESTAMP-MAP says cue time 0 is the renditions' first timestamp (0.1 s after the
  // source's origin, media/retime.ts): the cues land where they were written, with the picture.
  const starts = () =>
    player.evaluate((p) =>
      [...([...(p as PlayerLike).media.textTracks].find((t) => t.mode === 'showing')?.cues ?? [])].map((c) =>
        Math.round(c.startTime * 100),
      ),
    );
  await expect.poll(starts).toEqual([50, 250]);
  await seek(player, 1);
  await expect.poll(() => shownCueText(player)).toBe('Hello from the <b>captions</b>');
  await seek(player, 3);
  // The <script> was stripped on upload; its text is only text.
  await expect.poll(() => shownCueText(player)).toBe('Second cuealert(1)');
  await seek(player, 4.5);
  await expect.poll(() => shownCueText(player)).toBe('');

  // Drawn on screen: the browser renders the showing track's cue over the picture. The test picture
  // has magenta of its own, so what counts is the difference with captions off on the same frame.
  await player.evaluate((p) => {
    (p as PlayerLike).noControls = true;
  });
  await seek(player, 1);
  await expect.poll(() => shownCueText(player)).not.toBe('');
  // `c` turns captions off, then on again.
  await player.evaluate((p) => p.shadowRoot!.querySelector<HTMLElement>('.frame')!.focus());
  await page.keyboard.press('c');
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:disabled']);
  const without = await magentaPixels(page, player);
  await page.keyboard.press('c');
  await expect.poll(() => trackModes(player)).toEqual(['en:showing', 'fr:disabled']);
  await expect.poll(() => shownCueText(player)).toBe('Hello from the <b>captions</b>');
  await expect.poll(async () => (await magentaPixels(page, player)) - without).toBeGreaterThan(200);
});

test('the CC menu lists Off and each track, and switches between them', async ({ page }) => {
  await page.goto(`${baseUrl()}/embed/${videoId}?preload=auto`);
  const player = page.locator('vod-player');
  await expect.poll(() => trackModes(player)).toEqual(['en:showing', 'fr:disabled']);
  await seek(player, 1);

  const button = player.getByRole('button', { name: 'Captions' });
  await button.click();
  const menu = player.getByRole('menu', { name: 'Captions' });
  // The tracks (Off first), then the viewer's caption settings, each a group of its own.
  await expect(menu.getByRole('menuitemradio')).toHaveText([
    'Off',
    'English',
    'Français',
    '75%',
    '100%',
    '150%',
    '200%',
    'Dark',
    'None',
  ]);
  await expect(menu.getByRole('group', { name: 'Text size' }).getByRole('menuitemradio')).toHaveCount(4);
  await expect(menu.getByRole('group', { name: 'Background' }).getByRole('menuitemradio')).toHaveCount(2);
  await expect(menu.getByRole('menuitemradio', { name: 'English' })).toHaveAttribute('aria-checked', 'true');
  // Focus starts on the checked item; the arrow keys walk the menu.
  await expect(menu.getByRole('menuitemradio', { name: 'English' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(menu.getByRole('menuitemradio', { name: 'Français' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(menu).toHaveCount(0);
  await expect(button).toBeFocused();
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:showing']);
  await expect.poll(() => shownCueText(player)).toBe('Bonjour des sous-titres');

  await button.click();
  await menu.getByRole('menuitemradio', { name: 'Off' }).click();
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:disabled']);
  expect(await shownCueText(player)).toBe('');
});

test('the embed takes ?captions= to start with a language or with captions off', async ({ page }) => {
  await page.goto(`${baseUrl()}/embed/${videoId}?captions=fr&preload=auto`);
  const player = page.locator('vod-player');
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:showing']);
  await seek(player, 1);
  await expect.poll(() => shownCueText(player)).toBe('Bonjour des sous-titres');

  // A page may also style cues with `::part(video)::cue`.
  await page.addStyleTag({
    content: 'vod-player::part(video)::cue { color: rgb(255 0 255); background: none; }',
  });
  await player.evaluate((p) => {
    (p as PlayerLike).noControls = true;
  });
  await player.evaluate((p) => p.shadowRoot!.querySelector<HTMLElement>('.frame')!.focus());
  await page.keyboard.press('c');
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:disabled']);
  const without = await magentaPixels(page, player);
  // `c` brings back the track shown last.
  await page.keyboard.press('c');
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:showing']);
  await expect.poll(async () => (await magentaPixels(page, player)) - without).toBeGreaterThan(200);

  await page.goto(`${baseUrl()}/embed/${videoId}?captions=off&preload=auto`);
  await expect.poll(() => player.evaluate((p) => (p as PlayerLike).media.textTracks.length)).toBe(2);
  await seek(player, 1);
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:disabled']);
  // `c` brings the default track back.
  await player.evaluate((p) => p.shadowRoot!.querySelector<HTMLElement>('.frame')!.focus());
  await page.keyboard.press('c');
  await expect.poll(() => trackModes(player)).toEqual(['en:showing', 'fr:disabled']);
});

test('native HLS that ignores the SUBTITLES group still gets the tracks, as <track>s', async ({ page }) => {
  // Chromium's own HLS (no MSE, as on an iPhone) plays the stream but lists no text track of its own.
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.MediaSource = undefined;
    w.ManagedMediaSource = undefined;
  });
  await page.goto(`${baseUrl()}/embed/${videoId}?preload=auto`);
  const player = page.locator('vod-player');
  expect(await player.evaluate((p) => (p as PlayerLike).media.src)).toMatch(/master\.m3u8$/);
  await expect.poll(() => trackModes(player)).toEqual(['en:showing', 'fr:disabled']);
  expect(
    await player.evaluate((p) =>
      [...(p as PlayerLike).media.querySelectorAll('track')].map(
        (t) => `${t.kind}:${t.label}:${t.src.slice(0, 5)}`,
      ),
    ),
  ).toEqual(['captions:English:blob:', 'subtitles:Français:blob:']);
  await seek(player, 1);
  await expect.poll(() => shownCueText(player)).toBe('Hello from the <b>captions</b>');

  const button = player.getByRole('button', { name: 'Captions' });
  await button.click();
  await player.getByRole('menuitemradio', { name: 'Français' }).click();
  await expect.poll(() => trackModes(player)).toEqual(['en:disabled', 'fr:showing']);
  await expect.poll(() => shownCueText(player)).toBe('Bonjour des sous-titres');

  // The duplicate guard: an engine that surfaces the stream's own tracks late (Safari may) gets no
  // doubles. No engine here does, so the page adds a track as one would (addtrack fires the same way).
  await player.evaluate((p) => (p as PlayerLike).media.addTextTrack('captions', 'English (engine)', 'en'));
  await expect
    .poll(() => player.evaluate((p) => (p as PlayerLike).media.querySelectorAll('track').length))
    .toBe(0);
  await expect.poll(() => trackModes(player)).toEqual(['en:hidden']);
});

test('cues added to a new <track> before the browser has loaded it are kept (what hls.js 1.7 can do)', async ({
  page,
}) => {
  await page.goto(`${baseUrl()}/player.html`);
  const texts = await page.evaluate(async () => {
    /** hls.js' order: a <track> without src is appended and shown, and a cue is added in that same task. */
    const early = async (media: HTMLMediaElement) => {
      const el = document.createElement('track');
      el.kind = 'subtitles';
      el.srclang = 'en';
      media.append(el);
      el.track.mode = 'showing';
      el.track.addCue(new VTTCue(0.5, 2, 'early'));
      // The browser's load of the src-less track runs a task later, empties the cues, and fails.
      await new Promise((r) => el.addEventListener('error', r, { once: true }));
      await new Promise((r) => setTimeout(r, 0));
      el.track.addCue(new VTTCue(3, 4, 'later'));
      return Array.from(el.track.cues ?? [], (c) => (c as VTTCue).text);
    };
    const player = document.createElement('vod-player') as HTMLElement & { media: HTMLVideoElement };
    document.body.replaceChildren(player, document.createElement('video'));
    return { player: await early(player.media), plainVideo: await early(document.querySelector('video')!) };
  });
  // A plain <video> shows the browser's behaviour; the player keeps the early cue.
  expect(texts).toEqual({ player: ['early', 'later'], plainVideo: ['later'] });
});
