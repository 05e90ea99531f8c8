import fs from 'node:fs';
import path from 'node:path';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { clips, makeClip, tempDir } from '../../server/test/fixtures.ts';
import {
  open,
  reachedPercent,
  readyFile,
  throttleUpload,
  tusRequests,
  uploader,
  waitForEvent,
} from '../helpers/uploader-page.ts';

/**
 * `<vod-uploader>` beyond one upload: several files and their queue, a second file without `multiple`,
 * the processing stage after the upload (real probe, real encode, the real event stream), languages and
 * the dark palette.
 */

let dir: string;
/** 2 s, 640×360, H.264 + AAC. */
let small: string;
/** ~15 MB, so that a throttled upload lasts long enough to see the queue. */
let big: string;

test.beforeAll(async () => {
  dir = tempDir('vodkit-uploader-more-');
  small = await clips.h264Aac(dir, { duration: 2 });
  big = await makeClip(path.join(dir, 'big.mp4'), {
    duration: 8,
    width: 1280,
    height: 720,
    video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '4', '-pix_fmt', 'yuv420p'],
  });
});

test.afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy under another name: another file to tus (its resume fingerprint includes the name). */
function copyAs(file: string, name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(file, to);
  return to;
}

const row = (page: Page, filename: string): Locator =>
  uploader(page)
    .locator('[part~=upload]')
    .filter({ has: page.locator(`[title="${filename}"]`) });

test('multiple: each file has its own row; concurrency=1 queues the second until the first is done', async ({
  page,
}) => {
  const requests = tusRequests(page);
  const second = copyAs(small, 'second.mp4');
  await open(page, { multiple: '', concurrency: '1', 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 4 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles([big, second]);

  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(2);
  await reachedPercent(page, 10);
  await expect(row(page, 'big.mp4').locator('[part~=status]')).toHaveText('Uploading');
  await expect(row(page, 'second.mp4').locator('[part~=status]')).toHaveText('Queued');
  // Only the first file has gone out.
  expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(1);

  // Pausing the first frees its slot: the queued one starts, and the paused one keeps its own controls.
  await row(page, 'big.mp4').getByRole('button', { name: 'Pause' }).click();
  await expect(row(page, 'big.mp4').locator('[part~=status]')).toHaveText('Paused');
  const secondDone = await waitForEventWhere(page, 'vod-upload-complete', 'second.mp4');
  await row(page, 'big.mp4').getByRole('button', { name: 'Resume' }).click();
  const bigDone = await waitForEventWhere(page, 'vod-upload-complete', 'big.mp4');

  expect(secondDone.fileId).not.toBe(bigDone.fileId);
  expect(secondDone.key).not.toBe(bigDone.key);
  expect((await readyFile(String(bigDone.fileId))).size).toBe(fs.statSync(big).size);
  expect((await readyFile(String(secondDone.fileId))).filename).toBe('second.mp4');
  await expect(row(page, 'big.mp4').locator('[part~=result]')).toContainText(String(bigDone.fileId));
  await expect(row(page, 'second.mp4').locator('[part~=result]')).toContainText(String(secondDone.fileId));
  // A finished row can be taken off the list.
  await row(page, 'second.mp4').getByRole('button', { name: 'Remove second.mp4 from the list' }).click();
  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(1);
});

test('without multiple, a second file dropped during an upload is refused with a visible reason, gone after a cancel', async ({
  page,
}) => {
  const requests = tusRequests(page);
  await open(page, { 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 2 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  await reachedPercent(page, 5);

  const bytes = fs.readFileSync(small).toString('base64');
  const drop = () =>
    uploader(page)
      .locator('.drop-zone')
      .evaluate((el, b64) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], 'late.mp4', { type: 'video/mp4' }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, bytes);
  await drop();

  const notice = uploader(page).locator('[part~=notice]');
  await expect(notice).toContainText('“late.mp4” was not added: “big.mp4” is still uploading');
  await expect(notice).toHaveAttribute('role', 'alert');
  const error = await waitForEvent(page, 'vod-upload-error');
  expect(error).toMatchObject({ code: 'upload_busy', filename: 'late.mp4' });
  // The running upload goes on, alone.
  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(1);
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toHaveCount(0);

  // Refused again, then the running upload is cancelled: "… is still uploading" would be stale, so it goes.
  await drop();
  await expect(notice).toBeVisible();
  await uploader(page).getByRole('button', { name: 'Cancel' }).click();
  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(0);
  await expect(notice).toHaveCount(0);
  expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(1);
});

test('encode + player: the row follows probing, encoding and playable over SSE, then plays the video', async ({
  page,
}) => {
  const streams: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/events?token=')) streams.push(r.url());
  });
  await open(page, { encode: '', player: '' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);

  const done = await waitForEvent(page, 'vod-upload-complete');
  const ready = await waitForEvent(page, 'vod-file-ready');
  expect(ready).toMatchObject({ fileId: done.fileId, filename: 'h264-aac.mp4' });
  expect((ready.metadata as { video: { width: number } }).video.width).toBe(640);
  const start = await waitForEvent(page, 'vod-encoding-start');
  expect(start).toMatchObject({
    fileId: done.fileId,
    videoId: expect.any(String),
    jobId: expect.any(String),
  });

  const playable = await waitForEvent(page, 'vod-video-playable');
  const playback = playable.playback as { hls: string; embed: string };
  expect(playback.hls).toContain(`/stream/${start.videoId}/master.m3u8`);
  const finished = await waitForEvent(page, 'vod-video-ready');
  expect(finished).toMatchObject({ fileId: done.fileId, videoId: start.videoId });
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Ready to watch');
  // The event stream did the work: one EventSource on this video, with the token in the query.
  expect(streams.some((u) => u.includes(`/v1/videos/${start.videoId}/events`))).toBe(true);
  const progress = await page.evaluate(() =>
    window.uploaderEvents.filter((e) => e.type === 'vod-encoding-progress').map((e) => e.detail.progress),
  );
  expect(progress.length).toBeGreaterThan(0);

  // The row's <vod-player> plays the new video with no code on the page.
  const player = uploader(page).locator('vod-player[part~=player]');
  await expect(player).toHaveAttribute('video-id', String(start.videoId));
  // It preloads metadata (the default): no segment before play, so it is played. Its playlists may not
  // have their end yet: the player then holds at the edge and resumes on its own, and play() resolves.
  await player.evaluate((el) => (el as unknown as HTMLMediaElement).play());
  await expect
    .poll(() => player.evaluate((el) => (el as unknown as HTMLMediaElement).currentTime), { timeout: 30_000 })
    .toBeGreaterThan(0);
});

test('protected: the row mints a playback token, and its player plays the video the stream refuses without one', async ({
  page,
}) => {
  const streamRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/stream/')) streamRequests.push(r.url());
  });
  await open(page, { encode: '', player: '', protected: '' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);

  const playable = await waitForEvent(page, 'vod-video-playable');
  const token = String(playable.playbackToken);
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const hls = (playable.playback as { hls: string }).hls;
  // The job really is protected: its master answers 401 without the token, 200 with it.
  const status = (url: string) => page.evaluate(async (u) => (await fetch(u)).status, url);
  expect(await status(hls)).toBe(401);
  expect(await status(`${hls}?token=${token}`)).toBe(200);

  const player = uploader(page).locator('vod-player[part~=player]');
  await expect(player).toHaveAttribute('playback-token', token);
  // As above: played, perhaps held at the edge of the encode for a moment.
  await player.evaluate((el) => (el as unknown as HTMLMediaElement).play());
  await expect
    .poll(() => player.evaluate((el) => (el as unknown as HTMLMediaElement).currentTime), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
  expect(await player.evaluate((el) => (el as unknown as { error: unknown }).error)).toBeNull();
  // Every request of the player carried the token or a signature derived from it.
  const fromPlayer = streamRequests.filter((u) => u !== hls);
  expect(fromPlayer.length).toBeGreaterThan(0);
  expect(fromPlayer.every((u) => /[?&](token|sig)=/.test(u))).toBe(true);
});

test('when the event stream is refused, the row polls the job and still gets to ready', async ({ page }) => {
  await page.route('**/v1/videos/*/events*', (route) =>
    route.fulfill({
      status: 403,
      json: { error: { code: 'permission_denied', message: 'no streams here' } },
    }),
  );
  const polls: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && r.url().includes('/v1/encoder/jobs/')) polls.push(r.url());
  });
  await open(page, { encode: '' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  const ready = await waitForEvent(page, 'vod-video-ready');
  expect(polls.length).toBeGreaterThan(0);
  expect(polls.every((u) => u.endsWith(`/v1/encoder/jobs/${ready.jobId}`))).toBe(true);
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Ready to watch');
});

test('without encode the row stops at Uploaded; trackEncoding() follows a job the page created', async ({
  page,
}) => {
  await open(page);
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  const ready = await waitForEvent(page, 'vod-file-ready');
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Uploaded');
  expect(await page.evaluate(() => window.uploaderEvents.some((e) => e.type === 'vod-encoding-start'))).toBe(
    false,
  );

  // The page's own code: a token from its app server, its own job, then the hand-over.
  const videoId = await page.evaluate(async (fileId) => {
    const { token } = (await (await fetch('/demo-app/token', { method: 'POST' })).json()) as {
      token: string;
    };
    const res = await fetch('/v1/encoder/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fileId, presets: [{ resolutions: ['240'], format: 'hls' }] }),
    });
    const job = (await res.json()) as { videoId: string };
    const el = document.querySelector('vod-uploader') as unknown as {
      trackEncoding(fileId: string, videoId: string): void;
    };
    el.trackEncoding(fileId, job.videoId);
    return job.videoId;
  }, String(ready.fileId));

  const start = await waitForEvent(page, 'vod-encoding-start');
  expect(start).toMatchObject({ fileId: ready.fileId, videoId });
  const done = await waitForEvent(page, 'vod-video-ready');
  expect((done.playback as { hls: string }).hls).toContain(`/stream/${videoId}/master.m3u8`);
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Ready to watch');
});

test('a file the server refuses after probing shows the server’s reason', async ({ page }) => {
  const junk = path.join(dir, 'junk.mp4');
  fs.writeFileSync(junk, Buffer.alloc(64 * 1024, 7));
  await open(page, { encode: '' });
  await uploader(page).locator('input[type=file]').setInputFiles(junk);
  const done = await waitForEvent(page, 'vod-upload-complete');
  const rejected = await waitForEvent(page, 'vod-file-rejected');
  expect(rejected).toMatchObject({
    fileId: done.fileId,
    code: expect.any(String),
    message: expect.any(String),
  });
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Not accepted');
  await expect(uploader(page).locator('[part~=error]')).toHaveText(String(rejected.message));
  // No job for a refused file.
  expect(await page.evaluate(() => window.uploaderEvents.some((e) => e.type === 'vod-encoding-start'))).toBe(
    false,
  );
});

test('lang picks the texts; a page can override them', async ({ page }) => {
  await open(page, { lang: 'fr' });
  await expect(uploader(page).locator('[part~=prompt]')).toHaveText('Glissez une vidéo ici');
  await expect(uploader(page).locator('[part~=choose-button]')).toHaveText('Choisir un fichier');
  await uploader(page).evaluate((el) => {
    (el as unknown as { translations: Record<string, string> }).translations = { chooseFile: 'Parcourir…' };
    el.setAttribute('lang', 'de');
  });
  await expect(uploader(page).locator('[part~=prompt]')).toHaveText('Video hierher ziehen');
  await expect(uploader(page).locator('[part~=choose-button]')).toHaveText('Parcourir…');
});

test.describe('on a touch screen', () => {
  test.use({ hasTouch: true, isMobile: true });
  test('the prompt says "Choose a video", not "Drag"', async ({ page }) => {
    await open(page);
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
    await expect(uploader(page).locator('[part~=prompt]')).toHaveText('Choose a video');
  });
});

/** WCAG contrast of the computed `color` of `el` against the background colour painted behind it. */
async function contrast(target: Locator): Promise<{ ratio: number; background: string }> {
  return target.evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const lin = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    // The first opaque background up the tree, through the shadow root to the page.
    let node: Element | null = el;
    let background = 'rgb(255, 255, 255)';
    while (node) {
      const bg = getComputedStyle(node).backgroundColor;
      const parts = rgb(bg);
      if (parts.length === 3 || (parts.length === 4 && parts[3] === 1)) {
        background = bg;
        break;
      }
      node = node.parentElement ?? ((node.getRootNode() as ShadowRoot).host || null);
    }
    if (!node) background = getComputedStyle(document.documentElement).backgroundColor;
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(rgb(background));
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), background };
  });
}

for (const theme of ['light', 'dark'] as const) {
  test(`${theme} page: every text the element draws has 4.5:1 contrast, the pill and track follow the theme`, async ({
    page,
  }) => {
    await open(page, { 'auto-start': 'false', ...(theme === 'dark' ? { dark: '' } : {}) });
    await uploader(page).locator('input[type=file]').setInputFiles(small);
    const el = uploader(page);
    for (const part of ['prompt', 'hint', 'filename', 'status', 'stats', 'choose-button', 'start-button']) {
      const { ratio } = await contrast(el.locator(`[part~=${part}]`));
      expect(ratio, `${part} on ${theme}`).toBeGreaterThanOrEqual(4.5);
    }
    const { ratio: orRatio } = await contrast(el.locator('.or'));
    expect(orRatio).toBeGreaterThanOrEqual(4.5);
    // Dark page: no white or light-grey boxes left (the status pill and progress track).
    const lightness = await el.evaluate((host) => {
      const root = host.shadowRoot!;
      const l = (sel: string) => {
        const [r = 0, g = 0, b = 0] = (
          getComputedStyle(root.querySelector(sel)!).backgroundColor.match(/[\d.]+/g) ?? []
        ).map(Number);
        return (r + g + b) / 3;
      };
      return { pill: l('.status'), track: l('.progress'), card: l('.upload'), zone: l('.drop-zone') };
    });
    for (const [name, value] of Object.entries(lightness)) {
      if (theme === 'dark') expect(value, name).toBeLessThan(96);
      else expect(value, name).toBeGreaterThan(200);
    }
  });
}

/** The first recorded event of `type` for the file named `filename`. */
async function waitForEventWhere(page: Page, type: string, filename: string) {
  const handle = await page.waitForFunction(
    ([t, f]) => window.uploaderEvents.find((e) => e.type === t && e.detail.filename === f)?.detail,
    [type, filename] as const,
    { timeout: 90_000 },
  );
  return (await handle.jsonValue()) as Record<string, unknown>;
}
