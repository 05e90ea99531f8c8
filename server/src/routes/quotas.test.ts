import fs from 'node:fs';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

/** Issue 5, defect 7: per-key quotas on unfinished uploads and on active jobs, with 429s. */

let server: TestServer;
let clipDir: string;
let mp4: Buffer;

beforeAll(async () => {
  clipDir = tempDir('vodkit-quota-clips-');
  [server, mp4] = await Promise.all([
    startServer({
      VOD_MAX_OPEN_UPLOADS_PER_KEY: '3',
      VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY: '1000000',
      VOD_MAX_ACTIVE_JOBS_PER_KEY: '2',
    }),
    clips.h264Aac(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
  ]);
  // Jobs stay queued: the job quota is about what waits, not how fast it runs.
  await server.app.vodkit.encoding.stop();
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

const codeOf = async (res: Response): Promise<string> =>
  ((await res.json()) as { error: { code: string } }).error.code;

async function keyToken(): Promise<string> {
  const key = await server.app.vodkit.auth.createKey('quota');
  return signToken({ ...key, permissions: ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete'] });
}

const create = (bearer: string, length: number | null) =>
  fetch(`${server.baseUrl}/v1/uploads`, {
    method: 'POST',
    headers: {
      authorization: bearer,
      'tus-resumable': '1.0.0',
      ...(length === null ? { 'upload-defer-length': '1' } : { 'upload-length': String(length) }),
    },
  });

describe('unfinished uploads per key', () => {
  it('refuses a fourth unfinished upload with 429 too_many_uploads; finishing or terminating frees a place', async () => {
    const a = await keyToken();
    const b = await keyToken();
    const urls: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await create(a, 100);
      expect(res.status).toBe(201);
      urls.push(res.headers.get('location')!);
    }
    const fourth = await create(a, 100);
    expect(fourth.status).toBe(429);
    expect(await codeOf(fourth)).toBe('too_many_uploads');
    // A real client sees the same refusal.
    const err = (await tusUpload(mp4, { baseUrl: server.baseUrl, bearer: a }).catch((e: unknown) => e)) as {
      originalResponse?: { getStatus(): number };
    };
    expect(err.originalResponse?.getStatus()).toBe(429);
    // Another key is not affected.
    expect((await create(b, 100)).status).toBe(201);

    // Finishing one frees its place.
    const patch = await fetch(urls[0]!, {
      method: 'PATCH',
      headers: {
        authorization: a,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: Buffer.alloc(100),
    });
    expect(patch.status).toBe(204);
    const again = await create(a, 100);
    expect(again.status).toBe(201);
    expect((await create(a, 100)).status).toBe(429);
    // Terminating one frees its place.
    const del = await fetch(urls[1]!, {
      method: 'DELETE',
      headers: { authorization: a, 'tus-resumable': '1.0.0' },
    });
    expect(del.status).toBe(204);
    expect((await create(a, 100)).status).toBe(201);
  });

  it('refuses uploads whose declared bytes pass the per-key reservation', async () => {
    const a = await keyToken();
    expect((await create(a, 600_000)).status).toBe(201);
    const over = await create(a, 500_000);
    expect(over.status).toBe(429);
    const body = (await over.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('too_many_uploads');
    expect(body.error.message).toContain('VOD_MAX_OPEN_UPLOAD_BYTES_PER_KEY');
    expect((await create(a, 400_000)).status).toBe(201);
    // A deferred length reserves the largest upload allowed (20 GiB here): refused.
    expect((await create(await keyToken(), null)).status).toBe(429);
  });

  it('gives the reservation back when tus refuses the creation', async () => {
    const a = await keyToken();
    for (let i = 0; i < 5; i++) {
      const bad = await fetch(`${server.baseUrl}/v1/uploads`, {
        method: 'POST',
        headers: { authorization: a, 'upload-length': '10' }, // no Tus-Resumable: 412
      });
      expect(bad.status).toBe(412);
    }
    expect((await create(a, 100)).status).toBe(201);
  });
});

describe('active jobs per key', () => {
  it('refuses a third queued job with 429 too_many_jobs; cancelling frees a place', async () => {
    const a = await keyToken();
    const fileId = fileIdOf(await tusUpload(mp4, { baseUrl: server.baseUrl, bearer: a }));
    const job = () =>
      fetch(`${server.baseUrl}/v1/encoder/jobs`, {
        method: 'POST',
        headers: { authorization: a, 'content-type': 'application/json' },
        body: JSON.stringify({ fileId }),
      });
    const first = await job();
    expect(first.status).toBe(201);
    expect((await job()).status).toBe(201);
    const third = await job();
    expect(third.status).toBe(429);
    expect(await codeOf(third)).toBe('too_many_jobs');
    // Another key still gets its job in.
    const b = await keyToken();
    const bFile = fileIdOf(await tusUpload(mp4, { baseUrl: server.baseUrl, bearer: b }));
    const bJob = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
      method: 'POST',
      headers: { authorization: b, 'content-type': 'application/json' },
      body: JSON.stringify({ fileId: bFile }),
    });
    expect(bJob.status).toBe(201);
    const { jobId } = (await first.json()) as { jobId: string };
    const cancel = await fetch(`${server.baseUrl}/v1/encoder/jobs/${jobId}`, {
      method: 'DELETE',
      headers: { authorization: a },
    });
    expect(cancel.status).toBe(200);
    expect((await job()).status).toBe(201);
  });
});
