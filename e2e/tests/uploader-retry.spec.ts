import fs from 'node:fs';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { clips, makeClip, tempDir, x264 } from '../../server/test/fixtures.ts';
import { startOrigin } from '../../server/test/origin.ts';
import {
  open,
  reachedPercent,
  sha256,
  storedUpload,
  throttleUpload,
  uploader,
  waitForEvent,
} from '../helpers/uploader-page.ts';

/**
 * `<vod-uploader>` when the network comes and goes (issue 18): nothing after the bytes are stored is
 * final, the row says "Reconnecting…" while offline and goes on by itself, a refused step says what
 * happened and offers Retry; pasting a file; the "Paste a link" field (issue 15 §1).
 */

let dir: string;
/** 2 s, 640×360, H.264 + AAC. */
let small: string;
/** A few MB: a throttled upload lasts long enough to go offline in the middle of it. */
let medium: string;

test.beforeAll(async () => {
  dir = tempDir('vodkit-uploader-retry-');
  small = await clips.h264Aac(dir, { duration: 2 });
  medium = await makeClip(path.join(dir, 'medium.mp4'), {
    duration: 3,
    width: 640,
    height: 360,
    video: x264('-crf', '6'),
  });
});

test.afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const status = (page: Page) => uploader(page).locator('[part~=status]');
const events = (page: Page, type: string) =>
  page.evaluate((t) => window.uploaderEvents.filter((e) => e.type === t).map((e) => e.detail), type);

test('offline right after the upload: "Reconnecting…", then the row goes on by itself — no failure without encode', async ({
  page,
  context,
}) => {
  let reads = 0;
  await page.route('**/v1/files/*', async (route) => {
    // The first read of the file after the upload meets a dropped network.
    if (route.request().method() === 'GET' && ++reads === 1) {
      await context.setOffline(true);
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  await open(page);
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  await waitForEvent(page, 'vod-upload-complete');

  await expect(status(page)).toHaveText('Reconnecting…');
  await expect(uploader(page).locator('[part~=message]')).toHaveText(
    'You are offline. It carries on by itself when the connection is back.',
  );
  await context.setOffline(false);
  const ready = await waitForEvent(page, 'vod-file-ready');
  await expect(status(page)).toHaveText('Uploaded');
  expect(reads).toBe(2);
  expect(ready).toMatchObject({ filename: 'h264-aac.mp4' });
  // No encode was asked for, so nothing may say it failed.
  expect(await events(page, 'vod-processing-error')).toEqual([]);
  await expect(uploader(page).locator('[part~=error]')).toHaveCount(0);
});

test('offline in the middle of the upload: "Reconnecting…", then it resumes from the server’s offset', async ({
  page,
  context,
}) => {
  const patches: string[] = [];
  page.on('requestfailed', (r) => {
    if (r.method() === 'PATCH') patches.push('failed');
  });
  await open(page, { 'chunk-size': String(256 * 1024) });
  await throttleUpload(page, 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(medium);
  await reachedPercent(page, 15);
  await context.setOffline(true);
  await expect(status(page)).toHaveText('Reconnecting…');
  await expect(uploader(page).getByRole('button', { name: 'Pause' })).toBeVisible();
  await context.setOffline(false);

  const done = await waitForEvent(page, 'vod-upload-complete');
  expect(sha256(storedUpload(String(done.fileId)))).toBe(sha256(medium));
  expect(await events(page, 'vod-upload-error')).toEqual([]);
  // One upload, resumed: a single creation request.
  const starts = await events(page, 'vod-upload-start');
  expect(starts).toHaveLength(1);
});

test('a refused encode request: "Interrupted" with what to do, never "Encoding failed"; Retry starts the encode', async ({
  page,
}) => {
  let posts = 0;
  await page.route('**/v1/encoder/jobs', (route) => {
    if (route.request().method() === 'POST' && ++posts === 1) {
      // A proxy in the way, with no Vodkit error body.
      return route.fulfill({ status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' });
    }
    return route.continue();
  });
  const labels: string[] = [];
  await page.exposeFunction('recordLabel', (text: string) => labels.push(text));
  await open(page, { encode: '' });
  await uploader(page).evaluate((el) => {
    new MutationObserver(() => {
      const label = el.shadowRoot?.querySelector('[part~=status]')?.textContent;
      if (label) (window as unknown as { recordLabel(t: string): void }).recordLabel(label);
    }).observe(el.shadowRoot!, { subtree: true, childList: true, characterData: true });
  });
  await uploader(page).locator('input[type=file]').setInputFiles(small);

  await expect(status(page)).toHaveText('Interrupted');
  await expect(uploader(page).locator('[part~=error]')).toHaveText(
    'The server answered HTTP 404. Your file is safe on the server, but encoding has not started: retry to start it.',
  );
  const [error] = await events(page, 'vod-processing-error');
  expect(error).toMatchObject({ code: 'upload_failed' });

  await uploader(page).getByRole('button', { name: 'Retry' }).click();
  const ready = await waitForEvent(page, 'vod-video-ready');
  expect(ready.videoId).toEqual(expect.any(String));
  await expect(status(page)).toHaveText('Ready to watch');
  await expect(uploader(page).locator('[part~=error]')).toHaveCount(0);
  expect(posts).toBe(2);
  expect(labels).not.toContain('Encoding failed');
});

test('pasting a file uploads it, on the element and with nothing focused', async ({ page }) => {
  await open(page, { multiple: '' });
  const bytes = fs.readFileSync(small).toString('base64');
  const paste = (selector: 'button' | 'body', name: string) =>
    page.evaluate(
      ([b64, where, filename]) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], filename, { type: 'video/mp4' }));
        const target =
          where === 'body'
            ? document.body
            : document.querySelector('vod-uploader')!.shadowRoot!.querySelector('[part~=choose-button]')!;
        target.dispatchEvent(
          new ClipboardEvent('paste', {
            clipboardData: transfer,
            bubbles: true,
            composed: true,
            cancelable: true,
          }),
        );
      },
      [bytes, selector, name] as const,
    );
  await paste('button', 'pasted.mp4');
  await paste('body', 'pasted-on-page.mp4');
  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(2);
  await expect
    .poll(async () => (await events(page, 'vod-upload-complete')).map((d) => d.filename).sort())
    .toEqual(['pasted-on-page.mp4', 'pasted.mp4']);
});

test('Paste a link: the server downloads it, the row shows the download’s progress, then the usual stages', async ({
  page,
}) => {
  const bytes = fs.readFileSync(small);
  const origin = await startOrigin();
  // The origin sends half, then holds the rest until the row has shown the download's progress.
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  origin.route('/videos/holiday.mp4', (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, bytes.length / 2));
    void held.then(() => res.end(bytes.subarray(bytes.length / 2)));
  });
  try {
    await open(page);
    const field = uploader(page).getByRole('textbox', { name: 'Paste a link' });
    // Not a link the server can fetch: refused on the spot, nothing sent.
    await field.fill('ftp://example.com/a.mp4');
    await uploader(page).getByRole('button', { name: 'Add link' }).click();
    await expect(uploader(page).locator('[part~=link-error]')).toHaveText(
      'Enter an http:// or https:// link to a video file.',
    );
    await expect(uploader(page).locator('[part~=upload]')).toHaveCount(0);

    await field.fill(origin.url('/videos/holiday.mp4'));
    await field.press('Enter');
    const accepted = await waitForEvent(page, 'vod-link-accepted');
    expect(accepted).toMatchObject({ url: origin.url('/videos/holiday.mp4'), filename: 'holiday.mp4' });
    await expect(status(page)).toHaveText(/^Downloading \d+%$/);
    await expect(uploader(page).locator('[part~=stats]')).toContainText(' of ');
    release();

    const ready = await waitForEvent(page, 'vod-file-ready');
    expect(ready).toMatchObject({ fileId: accepted.fileId });
    expect((ready.metadata as { video: { width: number } }).video.width).toBe(640);
    await expect(status(page)).toHaveText('Uploaded');
    await expect(uploader(page).locator('[part~=result]')).toContainText(String(accepted.fileId));

    // The server's refusal (cloud metadata stays refused even in development) is shown as it said it.
    await field.fill('http://169.254.169.254/latest/meta-data/');
    await field.press('Enter');
    const refused = await waitForEvent(page, 'vod-upload-error');
    expect(refused).toMatchObject({ code: 'url_not_allowed', status: 400 });
    await expect(uploader(page).locator('[part~=error]')).toHaveText(String(refused.message));
    await expect(status(page)).toHaveText('Not accepted');
  } finally {
    release();
    await origin.close();
  }
});
