import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, type Page, type Request } from '@playwright/test';
import type { FileRecord } from '@vodkit/api';
import { baseUrl, demoToken } from './env.ts';

/** The `<vod-uploader>` component page (demo/uploader.html) as the uploader specs drive it. */

export type Detail = Record<string, unknown>;
interface Recorded {
  type: string;
  detail: Detail;
}
declare global {
  interface Window {
    uploaderEvents: Recorded[];
  }
}

/** Opens the component page with attributes from the query string and records the element's events. */
export async function open(page: Page, params: Record<string, string> = {}): Promise<void> {
  await page.goto(`${baseUrl()}/uploader.html?${new URLSearchParams(params)}`);
  await recordEvents(page);
}

export async function recordEvents(page: Page): Promise<void> {
  await page.waitForFunction(() => customElements.get('vod-uploader') !== undefined);
  await page.evaluate(() => {
    window.uploaderEvents = [];
    const el = document.querySelector('vod-uploader')!;
    for (const type of [
      'vod-upload-start',
      'vod-upload-progress',
      'vod-upload-complete',
      'vod-upload-error',
      'vod-upload-cancel',
      'vod-link-accepted',
      'vod-file-ready',
      'vod-file-rejected',
      'vod-encoding-start',
      'vod-encoding-progress',
      'vod-video-playable',
      'vod-video-ready',
      'vod-processing-error',
    ] as const) {
      el.addEventListener(type, (e) => {
        window.uploaderEvents.push({ type, detail: (e as CustomEvent<Detail>).detail });
      });
    }
  });
}

export async function waitForEvent(page: Page, type: string): Promise<Detail> {
  const handle = await page.waitForFunction(
    (t) => window.uploaderEvents.find((e) => e.type === t)?.detail,
    type,
    { timeout: 60_000 },
  );
  return (await handle.jsonValue()) as Detail;
}

/** Every request the page sends to the tus endpoint, in order. */
export function tusRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.startsWith('/v1/uploads')) seen.push(req);
  });
  return seen;
}

/**
 * Resolves once every upload request made so far has ended (answered whole, or aborted) and the page
 * has run two more tasks: an uploader that kept going would have sent its next request by then. The
 * event that makes a "nothing more was sent" check mean something, instead of a fixed wait.
 */
export async function requestsSettled(page: Page, requests: readonly Request[]): Promise<void> {
  await Promise.all(
    requests.map(async (r) => {
      const res = await r.response().catch(() => null);
      await res?.finished().catch(() => null);
    }),
  );
  await page.evaluate(async () => {
    for (let i = 0; i < 2; i++) await new Promise((r) => setTimeout(r, 0));
  });
}

/** Waits until the element has reported at least `percent` of the upload sent. */
export function reachedPercent(page: Page, percent: number): Promise<unknown> {
  return page.waitForFunction(
    (min) =>
      window.uploaderEvents.some(
        (e) => e.type === 'vod-upload-progress' && (e.detail.percent as number) >= min,
      ),
    percent,
  );
}

/** Caps the browser's upload bandwidth (Chromium's DevTools throttling), so uploads take seconds. */
export async function throttleUpload(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

export async function getFile(fileId: string): Promise<{ status: number; body: FileRecord }> {
  const res = await fetch(`${baseUrl()}/v1/files/${fileId}`, {
    headers: { authorization: `Bearer ${await demoToken()}` },
  });
  return { status: res.status, body: (await res.json()) as FileRecord };
}

/** Polls until the server has probed the file. */
export async function readyFile(fileId: string): Promise<FileRecord> {
  let record: FileRecord | undefined;
  await expect
    .poll(
      async () => {
        const { status, body } = await getFile(fileId);
        record = body;
        return status === 200 ? body.status : `HTTP ${status}`;
      },
      { timeout: 30_000 },
    )
    .toBe('ready');
  return record!;
}

export const sha256 = (file: string) =>
  crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The bytes the server stored for a file (`<data dir>/uploads/<fileId>`, see server/src/storage). */
export function storedUpload(fileId: string): string {
  return path.join(process.env.VOD_E2E_DATA_DIR!, 'uploads', fileId);
}

export const uploader = (page: Page) => page.locator('vod-uploader');

/** The text of what has keyboard focus inside the element, or what has it on the page. */
export function focusedControl(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.querySelector('vod-uploader')!;
    const inner = el.shadowRoot!.activeElement;
    return inner ? (inner.textContent ?? '').trim() : `outside: ${document.activeElement?.tagName}`;
  });
}
