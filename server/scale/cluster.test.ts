/*
 * Issue 8 end to end: one API node and two encoding workers as separate processes on PostgreSQL and
 * radosgw. Three uploads encode at once; one worker is killed with SIGKILL mid-encode and the other
 * finishes its job; the outputs are complete, play in Chromium through the 302 path, stay protected,
 * and progress reaches SSE on the API node. A second API node resumes an upload begun on the first.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from '@playwright/test';
import type { EncoderJob as Job } from '@vodkit/api';
import pg from 'pg';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromiumLaunchOptions } from '../test/chromium.ts';
import { makeClip, tempDir } from '../test/fixtures.ts';
import { devKeyToken } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { clusterEnv, dropClusterDatabase, type Node, startApi, startWorker } from './cluster.ts';

const scale = inject('scaleEnv');
const root = path.resolve(import.meta.dirname, '../..');

let env: Record<string, string>;
let api: Node;
let workers: Node[] = [];
let bearer = '';
const nodes: Node[] = [];
const dir = tempDir('vodkit-cluster-');

async function call(base: string, pathname: string, init: RequestInit & { json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${bearer}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(`${base}${pathname}`, {
    ...init,
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  return res;
}

async function waitJob(jobId: string, done: (j: Job) => boolean, timeoutMs = 240_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await call(api.baseUrl!, `/v1/encoder/jobs/${jobId}`)).json()) as Job;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${job.status} ${job.progress}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitFileReady(fileId: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const res = await call(api.baseUrl!, `/v1/files/${fileId}`);
    const file = (await res.json()) as { status: string; reason?: unknown };
    if (file.status === 'ready') return;
    if (file.status === 'rejected') throw new Error(`file rejected: ${JSON.stringify(file.reason)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`file ${fileId} never became ready`);
}

/** Fetches a playlist and everything it names, following 302s; returns the URIs fetched. */
async function fetchTree(url: string, seen: string[] = []): Promise<string[]> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  const text = await res.text();
  seen.push(url);
  for (const line of text.split('\n')) {
    const uris = line.startsWith('#')
      ? [...line.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!)
      : line.trim()
        ? [line.trim()]
        : [];
    for (const uri of uris) {
      const child = new URL(uri, url).toString();
      if (child.split('?')[0]!.endsWith('.m3u8')) {
        await fetchTree(child, seen);
      } else {
        const r = await fetch(child, { redirect: 'manual' });
        expect(r.status, child).toBe(302);
        const target = r.headers.get('location')!;
        expect(new URL(target).origin).toBe(new URL(env.VOD_S3_ENDPOINT!).origin);
        const body = await fetch(target);
        expect(body.status, target).toBe(200);
        expect((await body.arrayBuffer()).byteLength).toBeGreaterThan(0);
        seen.push(child);
      }
    }
  }
  return seen;
}

interface Played {
  t: number;
  w: number;
  h: number;
}

/** A customer's page on another origin: plain hls.js, as an integrator would write it. */
const PAGE = `<!doctype html><video muted playsinline></video><script src="/hls.js"></script><script>
window.play = async (url) => {
  const video = document.querySelector('video');
  const hls = new Hls();
  hls.loadSource(url);
  hls.attachMedia(video);
  await video.play();
  const deadline = Date.now() + 30000;
  while (video.currentTime < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return { t: video.currentTime, w: video.videoWidth, h: video.videoHeight };
};
</script>`;

beforeAll(async () => {
  env = await clusterEnv(scale, { VOD_JOB_LEASE_MS: '6000', VOD_ENCODE_CONCURRENCY: '1' });
  api = await startApi('api-a', env);
  nodes.push(api);
  bearer = await devKeyToken(api.dataDir, ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete']);
  workers = await Promise.all([startWorker('worker-1', env), startWorker('worker-2', env)]);
  nodes.push(...workers);
}, 180_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  if (env) await dropClusterDatabase(scale, env);
});

describe('a cluster of one API node and two workers', () => {
  const jobs: Job[] = [];
  let rescuedVideoId = '';

  it('encodes three uploads at once and survives a worker killed mid-encode', async () => {
    const sources = await Promise.all(
      [0, 1, 2].map((i) => makeClip(path.join(dir, `c${i}.mp4`), { duration: 12, width: 1280, height: 720 })),
    );
    const fileIds = await Promise.all(
      sources.map(async (s) =>
        fileIdOf(await tusUpload(fs.readFileSync(s), { baseUrl: api.baseUrl!, bearer })),
      ),
    );
    await Promise.all(fileIds.map(waitFileReady));
    for (const fileId of fileIds) {
      const res = await call(api.baseUrl!, '/v1/encoder/jobs', { method: 'POST', json: { fileId } });
      expect(res.status).toBe(201);
      jobs.push((await res.json()) as Job);
    }

    // Find a job that worker-1 holds and has reported progress on (it is encoding, not just
    // claimed), and kill worker-1 in the middle of it.
    const db = new pg.Client({ connectionString: env.VOD_DATABASE_URL });
    await db.connect();
    const victim = workers[0]!;
    let held: string | null = null;
    for (let i = 0; i < 1200 && !held; i++) {
      const { rows } = await db.query<{ job_id: string; lease_owner: string; progress: number }>(
        "SELECT job_id, lease_owner, progress FROM jobs WHERE status = 'processing'",
      );
      held =
        rows.find(
          (r) =>
            (r.lease_owner.includes(`:${victim.child.pid}:`) ||
              r.lease_owner.endsWith(`:${victim.child.pid}`)) &&
            r.progress > 0,
        )?.job_id ?? null;
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    expect(held, 'worker-1 never got into a job').not.toBeNull();
    const before = (await db.query('SELECT status, attempts FROM jobs WHERE job_id = $1', [held])).rows[0];
    expect(before.status).toBe('processing');
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));

    const finished = await Promise.all(
      jobs.map((j) => waitJob(j.jobId, (x) => x.status !== 'processing' && x.status !== 'queued')),
    );
    for (const j of finished) expect(j.status, JSON.stringify(j.error)).toBe('completed');
    const after = (await db.query('SELECT attempts, lease_owner FROM jobs WHERE job_id = $1', [held]))
      .rows[0];
    expect(after.attempts).toBeGreaterThan(before.attempts);
    await db.end();

    // Every playlist, init and media segment of the rescued job is there, behind 302s to S3.
    const rescued = finished.find((j) => j.jobId === held)!;
    rescuedVideoId = rescued.videoId;
    const uris = await fetchTree(`${api.baseUrl}/stream/${rescued.videoId}/master.m3u8`);
    expect(uris.filter((u) => u.includes('.m4s')).length).toBeGreaterThan(6);
  }, 400_000);

  it('plays the rescued video in Chromium from another origin, through the 302s', async () => {
    const hls = fs.readFileSync(path.join(root, 'node_modules/hls.js/dist/hls.min.js'));
    const page = http.createServer((req, res) => {
      if (req.url === '/hls.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(hls);
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    const browser = await chromium.launch(chromiumLaunchOptions());
    try {
      const tab = await browser.newPage();
      await tab.goto(origin);
      const src = `${api.baseUrl}/stream/${rescuedVideoId}/master.m3u8`;
      const played = await tab.evaluate(
        (url) => (globalThis as unknown as { play(u: string): Promise<Played> }).play(url),
        src,
      );
      expect(played.t).toBeGreaterThan(2);
      expect(played.w).toBeGreaterThan(0);
      expect(played.w / played.h).toBeCloseTo(16 / 9, 1);
    } finally {
      await browser.close();
      page.close();
    }
  });

  it('keeps a protected video protected on the 302 path', async () => {
    const videoId = jobs.find((j) => j.videoId !== rescuedVideoId)!.videoId;
    const patch = await call(api.baseUrl!, `/v1/videos/${videoId}`, {
      method: 'PATCH',
      json: { protected: true },
    });
    expect(patch.status).toBe(200);
    const master = `${api.baseUrl}/stream/${videoId}/master.m3u8`;
    expect((await fetch(master)).status).toBe(401);
    const media = await fetch(`${api.baseUrl}/stream/${videoId}/720/init.mp4`, { redirect: 'manual' });
    expect(media.status).toBe(401);
    const minted = await call(api.baseUrl!, `/v1/videos/${videoId}/playback-tokens`, {
      method: 'POST',
      json: {},
    });
    const { token } = (await minted.json()) as { token: string };
    const uris = await fetchTree(`${master}?token=${encodeURIComponent(token)}`);
    expect(uris.length).toBeGreaterThan(5);
  });

  it('streams a worker’s progress to SSE on the API node', async () => {
    const source = await makeClip(path.join(dir, 'sse.mp4'), { duration: 8 });
    const fileId = fileIdOf(await tusUpload(fs.readFileSync(source), { baseUrl: api.baseUrl!, bearer }));
    await waitFileReady(fileId);
    const created = (await (
      await call(api.baseUrl!, '/v1/encoder/jobs', { method: 'POST', json: { fileId } })
    ).json()) as Job;
    const res = await fetch(`${api.baseUrl}/v1/videos/${created.videoId}/events?token=${bearer}`);
    const reader = res.body!.getReader();
    const seen = new Set<string>();
    let text = '';
    const deadline = Date.now() + 120_000;
    while (!seen.has('completed') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      for (const m of text.matchAll(/^event: (\S+)$/gm)) seen.add(m[1]!);
    }
    await reader.cancel();
    expect([...seen]).toEqual(expect.arrayContaining(['progress', 'playable', 'completed']));
  });

  it('lets a second API node resume an upload begun on the first', async () => {
    const b = await startApi('api-b', env);
    nodes.push(b);
    const data = fs.readFileSync(await makeClip(path.join(dir, 'resume.mp4'), { duration: 6 }));
    // Node A takes the first chunk, then the client "loses" A.
    const first = new Upload(data.subarray(0, data.length), {
      endpoint: `${api.baseUrl}/v1/uploads`,
      headers: { Authorization: `Bearer ${bearer}` },
      metadata: { filename: 'resume.mp4', filetype: 'video/mp4' },
      chunkSize: 256 * 1024,
      retryDelays: [],
    });
    const url = await new Promise<string>((resolve, reject) => {
      first.options.onChunkComplete = (_c, sent) => {
        if (sent >= 256 * 1024) {
          void first.abort();
          resolve(first.url!);
        }
      };
      first.options.onError = reject;
      first.start();
    });
    const fileId = fileIdOf(url);
    // Node B sees what node A stored: the client resumes from there, not from zero.
    const head = await call(b.baseUrl!, `/v1/uploads/${fileId}`, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0' },
    });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(256 * 1024);
    expect(offset).toBeLessThan(data.length);
    let firstPatchFrom = -1;
    const resumed = await new Promise<string>((resolve, reject) => {
      const upload = new Upload(data, {
        uploadUrl: `${b.baseUrl}/v1/uploads/${fileId}`,
        headers: { Authorization: `Bearer ${bearer}` },
        retryDelays: [],
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH' && firstPatchFrom < 0) {
            firstPatchFrom = Number(req.getHeader('Upload-Offset'));
          }
        },
        onSuccess: () => resolve(upload.url!),
        onError: reject,
      });
      upload.start();
    });
    expect(fileIdOf(resumed)).toBe(fileId);
    expect(firstPatchFrom).toBe(offset);
    await waitFileReady(fileId);
  });
});
