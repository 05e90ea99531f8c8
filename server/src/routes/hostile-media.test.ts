import fs from 'node:fs';
import type { EncoderJob } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { hugeSttsMp4 } from '../../test/hostile-mp4.ts';
import { apiFetcher } from '../../test/server.ts';
import { type ServerProcess, startServerProcess } from '../../test/server-process.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

/*
 * Uploaded bytes crafted to stop the server, sent through its real HTTP routes to a server in its own
 * process (the default `all` role: HTTP and encoding in one): it must answer /healthz throughout, stay
 * alive, and end each job or request with a clear result.
 */

let server: ServerProcess;
let token: string;
const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

/** The job of the crafted MP4, created before the tests: its video takes the caption uploads too. */
let created: EncoderJob;
beforeAll(async () => {
  server = await startServerProcess();
  token = await server.token();
  const { hostile } = await hugeSttsMp4(tempDir('vodkit-hostile-'));
  const fileId = await upload(fs.readFileSync(hostile));
  const res = await api('/v1/encoder/jobs', { method: 'POST', json: { fileId } });
  expect(res.status).toBe(201);
  created = (await res.json()) as EncoderJob;
});
afterAll(async () => {
  await server?.close();
});

const upload = (data: Buffer): Promise<string> =>
  tusUpload(data, {
    baseUrl: server.baseUrl,
    bearer: token,
    metadata: { filename: 'clip.mp4', filetype: 'video/mp4', title: 'Hostile' },
  }).then(fileIdOf);

/** Polls until `fn` yields a value, asking /healthz between polls (each must answer 200). */
async function whileHealthy<T>(
  fn: () => Promise<T | null>,
  ms = 90_000,
): Promise<{ value: T; health: number }> {
  const until = Date.now() + ms;
  let health = 0;
  while (Date.now() < until) {
    const res = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(200);
    health++;
    const value = await fn();
    if (value !== null) return { value, health };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

describe('hostile uploads', () => {
  it('an MP4 whose stts claims 2^30 samples encodes (or fails cleanly) while the server stays healthy', async () => {
    const { value: job, health } = await whileHealthy(async () => {
      const j = (await (await api(`/v1/encoder/jobs/${created.jobId}`)).json()) as EncoderJob;
      return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : null;
    });
    expect(health).toBeGreaterThan(0);
    // The index is read up to the samples stsz lists: the 2 s clip's one keyframe, then a normal encode.
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect(server.alive()).toBe(true);
  });

  it("a caption file of the audit's `y\\n\\n` blocks is refused while /healthz keeps answering", async () => {
    const cue = '1\n00:00:01,000 --> 00:00:02,000\nhello\n\n';
    for (const blocks of [100_000, 200_000]) {
      let settled = false;
      const post = api(`/v1/videos/${created.videoId}/tracks`, {
        method: 'POST',
        json: { language: 'en', format: 'srt', content: cue + 'y\n\n'.repeat(blocks) },
      }).finally(() => {
        settled = true;
      });
      // Awaited below; a failed health check must not leave it unhandled.
      post.catch(() => {});
      // Requests sent while the upload is read: each must be answered (the old parse held the event
      // loop for minutes, and these timed out).
      let answered = 0;
      while (!settled) {
        const res = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        answered++;
      }
      const res = await post;
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('captions_too_large');
      expect(answered).toBeGreaterThan(0);
    }
    expect(server.alive()).toBe(true);
  });
});
