import fs from 'node:fs';
import type { EncoderJob } from '@vodkit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { hugeSttsMp4 } from '../../test/hostile-mp4.ts';
import { apiFetcher, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

/*
 * Uploaded bytes crafted to stop the server, sent through its real HTTP routes: the server must answer
 * /healthz throughout and end each job or request with a clear result.
 */

let server: TestServer;
let token: string;
const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

beforeAll(async () => {
  server = await startServer();
  token = await server.token();
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
    const { hostile } = await hugeSttsMp4(tempDir('vodkit-hostile-'));
    const fileId = await upload(fs.readFileSync(hostile));
    const created = await api('/v1/encoder/jobs', { method: 'POST', json: { fileId } });
    expect(created.status).toBe(201);
    const { jobId } = (await created.json()) as EncoderJob;
    const { value: job, health } = await whileHealthy(async () => {
      const j = (await (await api(`/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
      return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : null;
    });
    expect(health).toBeGreaterThan(0);
    // The index is read up to the samples stsz lists: the 2 s clip's one keyframe, then a normal encode.
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
