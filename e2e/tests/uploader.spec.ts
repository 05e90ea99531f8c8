import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { signToken } from '@vodkit/api/sign';
import { clips, makeClip, tempDir } from '../../server/test/fixtures.ts';
import { baseUrl, demoToken, devKey } from '../helpers/env.ts';
import {
  focusedControl,
  open,
  reachedPercent,
  readyFile,
  recordEvents,
  requestsSettled,
  sha256,
  storedUpload,
  throttleUpload,
  tusRequests,
  uploader,
  waitForEvent,
} from '../helpers/uploader-page.ts';

/**
 * `<vod-uploader>` on its component page (demo/uploader.html), in Chromium, against the real server
 * global-setup started: tus uploads, the demo app server's tokens, probing.
 */

let dir: string;
/** 2 s, 640×360, H.264 + AAC: a few hundred kB. */
let small: string;
/** 8 s of near-lossless 720p: ~15 MB, so that a throttled upload lasts long enough to pause or reload. */
let big: string;

test.beforeAll(async () => {
  dir = tempDir('vodkit-uploader-');
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

test('choosing a file uploads it: the file id is probed with the right metadata', async ({ page }) => {
  const requests = tusRequests(page);
  await open(page, { title: 'Test pattern' });

  const chooser = page.waitForEvent('filechooser');
  await uploader(page).getByRole('button', { name: 'Choose a file' }).click();
  await (await chooser).setFiles(small);

  const start = await waitForEvent(page, 'vod-upload-start');
  expect(start).toEqual({ key: expect.any(String), filename: 'h264-aac.mp4', size: fs.statSync(small).size });
  const done = await waitForEvent(page, 'vod-upload-complete');
  expect(done.filename).toBe('h264-aac.mp4');
  expect(done.size).toBe(fs.statSync(small).size);
  expect(String(done.uploadUrl).endsWith(`/v1/uploads/${done.fileId}`)).toBe(true);
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Uploaded');
  await expect(uploader(page).locator('[part~=result]')).toContainText(String(done.fileId));

  // The server got filename/filetype/title under the names it reads (not Uppy's name/type).
  const creation = requests.find((r) => r.method() === 'POST')!;
  const metadata = Object.fromEntries(
    (await creation.allHeaders())['upload-metadata']!.split(',').map((pair) => {
      const [key, value = ''] = pair.split(' ');
      return [key, Buffer.from(value, 'base64').toString()];
    }),
  );
  expect(metadata).toEqual({ filename: 'h264-aac.mp4', filetype: 'video/mp4', title: 'Test pattern' });

  const file = await readyFile(String(done.fileId));
  expect(file).toMatchObject({
    fileId: done.fileId,
    filename: 'h264-aac.mp4',
    filetype: 'video/mp4',
    title: 'Test pattern',
    size: fs.statSync(small).size,
  });
  expect(file.metadata?.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
  expect(file.metadata?.audio?.codec).toBe('aac');
  expect(file.metadata?.duration).toBeCloseTo(2, 0);

  const progress = await page.evaluate(() =>
    window.uploaderEvents.filter((e) => e.type === 'vod-upload-progress').map((e) => e.detail),
  );
  expect(progress.at(-1)).toMatchObject({ bytesTotal: fs.statSync(small).size, percent: 100 });
});

test('a file dropped on the drop zone uploads, with a visible hover state', async ({ page }) => {
  await open(page);
  const bytes = fs.readFileSync(small).toString('base64');
  const zone = uploader(page).locator('.drop-zone');
  await zone.evaluate((el, b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], 'dropped.mp4', { type: 'video/mp4' }));
    (window as unknown as { transfer: DataTransfer }).transfer = transfer;
    for (const type of ['dragenter', 'dragover']) {
      el.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }, bytes);
  await expect(zone).toHaveAttribute('part', /drop-zone-active/);
  await expect(zone).toContainText('Drop to upload');
  const background = await zone.evaluate((el) => getComputedStyle(el).borderStyle);
  expect(background).toBe('solid');

  await zone.evaluate((el) => {
    const transfer = (window as unknown as { transfer: DataTransfer }).transfer;
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await expect(zone).not.toHaveAttribute('part', /drop-zone-active/);
  const done = await waitForEvent(page, 'vod-upload-complete');
  expect(done.filename).toBe('dropped.mp4');
  const file = await readyFile(String(done.fileId));
  expect(file.filename).toBe('dropped.mp4');
  expect(file.size).toBe(fs.statSync(small).size);
});

test('max-size refuses a bigger file before sending any request', async ({ page }) => {
  const requests = tusRequests(page);
  await open(page, { 'max-size': '100000' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);

  const error = await waitForEvent(page, 'vod-upload-error');
  expect(error.code).toBe('upload_too_large');
  await expect(uploader(page).locator('[part~=error]')).toContainText('h264-aac.mp4');
  await expect(uploader(page).locator('[part~=error]')).toContainText('files can be at most 100 kB');
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Not accepted');
  await expect(uploader(page).locator('[part~=retry-button]')).toHaveCount(0);
  // Nothing went out: no token either, the size check runs first. A refusal by the server would
  // have needed its requests before this error event, and the error is final (no retry button).
  expect(requests).toHaveLength(0);
  expect(await page.evaluate(() => window.uploaderEvents.some((e) => e.type === 'vod-upload-start'))).toBe(
    false,
  );
});

test('pause, then resume: the upload finishes with identical bytes', async ({ page }, testInfo) => {
  const requests = tusRequests(page);
  const size = fs.statSync(big).size;
  await open(page, { 'chunk-size': String(2 * 1024 * 1024) });
  await throttleUpload(page, 6 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);

  // Pause at once when a quarter is acknowledged: the element stops sending mid-file.
  await reachedPercent(page, 25);
  await expect(uploader(page).locator('[part~=stats]')).toContainText('MB/s');
  await page.screenshot({ path: testInfo.outputPath('uploader-mid-upload.png') });
  // By keyboard: focus must stay on the control (it becomes Resume), not fall to <body>.
  await uploader(page).getByRole('button', { name: 'Pause' }).focus();
  await page.keyboard.press('Enter');
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Paused');
  expect(await focusedControl(page)).toBe('Resume');

  // While paused, nothing is sent and the server holds part of the file.
  const uploadUrl = (await requests.find((r) => r.method() === 'POST')!.response())!.headers().location!;
  const fileId = uploadUrl.split('/').pop()!;
  const sentWhilePaused = requests.length;
  // The PATCH in flight at the pause has ended: one that kept going would have sent the next chunk.
  await requestsSettled(page, requests);
  expect(requests.length).toBe(sentWhilePaused);
  const head = await fetch(new URL(uploadUrl, baseUrl()), {
    method: 'HEAD',
    headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${await demoToken()}` },
  });
  const offset = Number(head.headers.get('upload-offset'));
  expect(offset).toBeGreaterThan(0);
  expect(offset).toBeLessThan(size);

  await page.keyboard.press('Enter');
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Uploading');
  expect(await focusedControl(page)).toBe('Pause');
  const done = await waitForEvent(page, 'vod-upload-complete');
  expect(done.fileId).toBe(fileId);
  // The resumed PATCHes started at the server's offset: the first byte was not sent twice.
  const patchOffsets = await Promise.all(
    requests
      .filter((r) => r.method() === 'PATCH')
      .map(async (r) => Number(await r.headerValue('upload-offset'))),
  );
  expect(patchOffsets).toContain(offset);
  expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(1);

  const file = await readyFile(fileId);
  expect(file.size).toBe(size);
  expect(sha256(storedUpload(fileId))).toBe(sha256(big));
});

test('a page reload mid-upload: picking the same file continues from the server offset', async ({ page }) => {
  const requests = tusRequests(page);
  const size = fs.statSync(big).size;
  await open(page, { 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 6 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  await reachedPercent(page, 30);
  const post = requests.find((r) => r.method() === 'POST')!;
  const fileId = (await post.response())!.headers().location!.split('/').pop()!;

  await page.reload();
  const before = requests.length;
  await recordEvents(page);
  await throttleUpload(page, 6 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  const done = await waitForEvent(page, 'vod-upload-complete');

  const after = requests.slice(before);
  // Same upload, found through the fingerprint in localStorage: no new creation, a HEAD for the offset,
  // then PATCHes from there on.
  expect(done.fileId).toBe(fileId);
  expect(after.filter((r) => r.method() === 'POST')).toHaveLength(0);
  expect(after[0]!.method()).toBe('HEAD');
  const headResponse = (await after[0]!.response())!;
  const resumedAt = Number(headResponse.headers()['upload-offset']);
  expect(resumedAt).toBeGreaterThanOrEqual(0.25 * size);
  const firstPatch = after.find((r) => r.method() === 'PATCH')!;
  expect(Number(await firstPatch.headerValue('upload-offset'))).toBe(resumedAt);
  // The progress after the reload starts at the server's offset, not at zero.
  const firstProgress = await page.evaluate(
    () => window.uploaderEvents.find((e) => e.type === 'vod-upload-progress')!.detail,
  );
  expect(firstProgress.bytesUploaded as number).toBeGreaterThanOrEqual(resumedAt);

  const file = await readyFile(fileId);
  expect(file.size).toBe(size);
  expect(sha256(storedUpload(fileId))).toBe(sha256(big));
});

test('a bad token shows the server’s error message', async ({ page }) => {
  await open(page, { token: 'garbage' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  const error = await waitForEvent(page, 'vod-upload-error');

  // The very answer the server gives to this token.
  const res = await fetch(`${baseUrl()}/v1/uploads`, {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000', authorization: 'Bearer garbage' },
  });
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(res.status).toBe(401);
  expect(error).toMatchObject({ code: body.error.code, message: body.error.message, status: 401 });
  await expect(uploader(page).locator('[part~=error]')).toHaveText(body.error.message);
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Failed');
  await expect(uploader(page).getByRole('button', { name: 'Retry' })).toBeVisible();
});

test('token-url: a token the server refuses as expired is replaced by a fresh one', async ({ page }) => {
  // The app server's first answer is a token that expired two minutes ago (past the server's tolerance).
  const expired = await signToken({ ...devKey(), permissions: ['allow_upload'], expiresIn: -120 });
  let tokenCalls = 0;
  await page.route('**/demo-app/token', (route) => {
    tokenCalls++;
    return tokenCalls === 1 ? route.fulfill({ json: { token: expired } }) : route.continue();
  });
  const requests = tusRequests(page);
  await open(page);
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  const done = await waitForEvent(page, 'vod-upload-complete');

  expect(tokenCalls).toBe(2);
  const posts = requests.filter((r) => r.method() === 'POST');
  expect(posts).toHaveLength(2);
  const refused = (await posts[0]!.response())!;
  expect(refused.status()).toBe(401);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('auth_expired');
  expect((await posts[1]!.response())!.status()).toBe(201);
  expect(await page.evaluate(() => window.uploaderEvents.some((e) => e.type === 'vod-upload-error'))).toBe(
    false,
  );
  expect((await readyFile(String(done.fileId))).size).toBe(fs.statSync(small).size);
});

test('token-url: a 401 in the middle of an upload fetches a new token and continues', async ({ page }) => {
  const requests = tusRequests(page);
  let tokenCalls = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/demo-app/token')) tokenCalls++;
  });
  // The third PATCH is answered as if the token had just expired.
  let patches = 0;
  await page.route('**/v1/uploads/*', (route) => {
    if (route.request().method() === 'PATCH' && ++patches === 3) {
      return route.fulfill({
        status: 401,
        json: { error: { code: 'auth_expired', message: 'The token has expired.' } },
      });
    }
    return route.continue();
  });
  const size = fs.statSync(big).size;
  await open(page, { 'chunk-size': String(2 * 1024 * 1024) });
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  const done = await waitForEvent(page, 'vod-upload-complete');

  expect(tokenCalls).toBe(2);
  // After the 401: a HEAD for the offset, then the rest; one upload all along.
  const methods = requests.map((r) => r.method());
  expect(methods.filter((m) => m === 'POST')).toHaveLength(1);
  expect(methods.slice(3, 5)).toEqual(['PATCH', 'HEAD']);
  expect(await page.evaluate(() => window.uploaderEvents.some((e) => e.type === 'vod-upload-error'))).toBe(
    false,
  );
  const fileId = String(done.fileId);
  expect((await readyFile(fileId)).size).toBe(size);
  expect(sha256(storedUpload(fileId))).toBe(sha256(big));
});

test('cancel stops the upload and deletes it on the server', async ({ page }) => {
  const requests = tusRequests(page);
  await open(page, { 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 4 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  await reachedPercent(page, 10);
  const uploadUrl = (await requests.find((r) => r.method() === 'POST')!.response())!.headers().location!;
  await uploader(page).getByRole('button', { name: 'Cancel' }).click();

  expect(await waitForEvent(page, 'vod-upload-cancel')).toMatchObject({ filename: 'big.mp4' });
  await expect(uploader(page).locator('[part~=upload]')).toHaveCount(0);
  await expect(uploader(page).getByRole('button', { name: 'Choose a file' })).toBeEnabled();
  await expect.poll(() => requests.some((r) => r.method() === 'DELETE' && r.url() === uploadUrl)).toBe(true);
  await expect
    .poll(async () => {
      const head = await fetch(uploadUrl, {
        method: 'HEAD',
        headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${await demoToken()}` },
      });
      return head.status;
    })
    .toBeGreaterThanOrEqual(404);
});

test('after a network failure, Retry continues from the server offset', async ({ page }) => {
  const requests = tusRequests(page);
  let offline = false;
  await page.route('**/v1/uploads/*', (route) =>
    offline && route.request().method() === 'PATCH' ? route.abort('connectionreset') : route.continue(),
  );
  const size = fs.statSync(big).size;
  await open(page, { 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 6 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  await reachedPercent(page, 30);
  offline = true;

  // tus retries by itself first (about 9 s of back-off), then the element gives up with a Retry button.
  const error = await waitForEvent(page, 'vod-upload-error');
  expect(error.code).toBe('network_error');
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Failed');
  await expect(uploader(page).locator('[part~=error]')).toContainText('could not be reached');

  offline = false;
  const before = requests.length;
  await uploader(page).getByRole('button', { name: 'Retry' }).click();
  const done = await waitForEvent(page, 'vod-upload-complete');
  const after = requests.slice(before);
  expect(after[0]!.method()).toBe('HEAD');
  expect(after.filter((r) => r.method() === 'POST')).toHaveLength(0);
  const resumedAt = Number((await after[0]!.response())!.headers()['upload-offset']);
  expect(resumedAt).toBeGreaterThanOrEqual(0.25 * size);

  const fileId = String(done.fileId);
  expect((await readyFile(fileId)).size).toBe(size);
  expect(sha256(storedUpload(fileId))).toBe(sha256(big));
});

test('auto-start="false" waits for the Upload button', async ({ page }) => {
  const requests = tusRequests(page);
  await open(page, { 'auto-start': 'false' });
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  // "Ready" is a state a row that auto-starts never shows (adding queues it in the same call).
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Ready');
  await requestsSettled(page, requests);
  expect(requests).toHaveLength(0);
  await uploader(page).getByRole('button', { name: 'Upload' }).click();
  const done = await waitForEvent(page, 'vod-upload-complete');
  expect((await readyFile(String(done.fileId))).filename).toBe('h264-aac.mp4');
});

test('an element removed mid-upload leaves the upload on the server; put back, it resumes', async ({
  page,
}) => {
  const requests = tusRequests(page);
  const size = fs.statSync(big).size;
  await open(page, { 'chunk-size': String(1024 * 1024) });
  await throttleUpload(page, 6 * 1024 * 1024);
  await uploader(page).locator('input[type=file]').setInputFiles(big);
  await reachedPercent(page, 20);
  await page.evaluate(() => {
    const el = document.querySelector('vod-uploader')!;
    const parent = el.parentElement!;
    el.remove();
    (window as unknown as { reattach: () => void }).reattach = () => parent.append(el);
  });
  // The PATCH in flight at the removal has ended: a DELETE on disconnect would have gone out by then.
  await requestsSettled(page, requests);
  expect(requests.some((r) => r.method() === 'DELETE')).toBe(false);

  await page.evaluate(() => (window as unknown as { reattach: () => void }).reattach());
  await expect(uploader(page).locator('[part~=status]')).toHaveText('Paused');
  await uploader(page).getByRole('button', { name: 'Resume' }).click();
  const done = await waitForEvent(page, 'vod-upload-complete');
  expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(1);
  const fileId = String(done.fileId);
  expect((await readyFile(fileId)).size).toBe(size);
  expect(sha256(storedUpload(fileId))).toBe(sha256(big));
});

test('upload(file) uploads programmatically and resolves with the file id; a refusal rejects', async ({
  page,
}) => {
  await open(page, { 'max-size': '10000000' });
  const bytes = fs.readFileSync(small).toString('base64');
  const result = await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    // The e2e project does not load the element's types: the one method used, typed here.
    const el = document.querySelector('vod-uploader') as unknown as {
      upload(file: File): Promise<Record<string, unknown>>;
    };
    const done = await el.upload(new File([data], 'api.mp4', { type: 'video/mp4' }));
    const refused = await el
      .upload(new File([new Uint8Array(10_000_001)], 'huge.mp4', { type: 'video/mp4' }))
      .then(
        () => null,
        (err: Error & { code?: string }) => ({ name: err.name, code: err.code }),
      );
    return { done, refused };
  }, bytes);
  expect(result.done).toMatchObject({ filename: 'api.mp4', size: fs.statSync(small).size });
  expect(result.refused).toEqual({ name: 'VodUploadError', code: 'upload_too_large' });
  expect((await readyFile(String(result.done.fileId))).filename).toBe('api.mp4');
});

test('accept refuses another type of file before sending any request', async ({ page }) => {
  const requests = tusRequests(page);
  const audio = await clips.audioOnly(dir, { duration: 1 });
  await open(page, { accept: 'video/*' });
  await expect(uploader(page).locator('[part~=hint]')).toHaveText('video');
  await uploader(page).locator('input[type=file]').setInputFiles(audio);
  const error = await waitForEvent(page, 'vod-upload-error');
  expect(error.code).toBe('unsupported_media');
  await expect(uploader(page).locator('[part~=error]')).toContainText('Allowed: video/*');
  // Refused by the element before any request (the error event came first, and is final).
  expect(requests).toHaveLength(0);
});

test('token-url failing is reported as such, without retries against the API', async ({ page }) => {
  const requests = tusRequests(page);
  await page.route('**/demo-app/token', (route) =>
    route.fulfill({ status: 503, json: { error: { code: 'unavailable', message: 'app server down' } } }),
  );
  await open(page);
  await uploader(page).locator('input[type=file]').setInputFiles(small);
  const error = await waitForEvent(page, 'vod-upload-error');
  expect(error.code).toBe('token_unavailable');
  await expect(uploader(page).locator('[part~=error]')).toContainText('app server down');
  expect(requests.filter((r) => r.method() === 'POST')).toHaveLength(0);
});
