/*
 * Issue 17 #2 scaled out: one source across many workers. One API node and two encoding workers as
 * separate processes on PostgreSQL and radosgw, chunking on (2 s chunks). A job's chunks are claimed
 * by both workers (chunk_tasks says who encoded which); a worker SIGKILLed in the middle of a chunk
 * costs that chunk alone (requeued at its lease's end, encoded again by the survivor), never the
 * chunks already done. Each time every rung holds exactly the source's frames.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EncoderJob, FileRecord } from '@vodkit/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollFor } from '../test/encode-job.ts';
import { makeClip, tempDir, x264 } from '../test/fixtures.ts';
import { apiFetcher, devKeyToken } from '../test/server.ts';
import { sourceFrames } from '../test/timeline.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { clusterEnv, dropClusterDatabase, type Node, startApi, startWorker } from './cluster.ts';

const scale = inject('scaleEnv');
const dir = tempDir('vodkit-scale-chunks-');

let env: Record<string, string>;
let api: Node;
let workers: Node[] = [];
let bearer = '';
let db: pg.Client;
let source = '';
let fileId = '';
const call = apiFetcher(
  () => api.baseUrl!,
  () => bearer,
);

beforeAll(async () => {
  // Leases of 3 s (renewed every second): a dead worker's chunk comes back quickly.
  env = await clusterEnv(scale, {
    VOD_ENCODE_CONCURRENCY: '1',
    VOD_ENCODE_THREADS: '1',
    VOD_CHUNK_SECONDS: '2',
    VOD_JOB_LEASE_MS: '3000',
  });
  // 8 s, 1 s GOPs: the 360 rung is copied whole by the owner, 240 is encoded in chunks (0–2, 2–5
  // and 5–8 s on the grid).
  source = await makeClip(path.join(dir, 'src.mp4'), {
    duration: 8,
    width: 640,
    height: 360,
    fps: 25,
    video: x264('-g', '25'),
  });
  [api, ...workers] = await Promise.all([
    startApi('api-chunks', env),
    startWorker('worker-c1', env),
    startWorker('worker-c2', env),
  ]);
  bearer = await devKeyToken(api.dataDir, ['allow_upload', 'allow_encode', 'allow_read']);
  db = new pg.Client({ connectionString: env.VOD_DATABASE_URL });
  await db.connect();
  fileId = fileIdOf(await tusUpload(fs.readFileSync(source), { baseUrl: api.baseUrl!, bearer }));
  const ready = await pollFor(`file ${fileId} probed`, async () => {
    const f = (await (await call(`/v1/files/${fileId}`)).json()) as FileRecord;
    return f.status === 'ready' || f.status === 'rejected' ? f : undefined;
  });
  expect(ready.status, JSON.stringify(ready.reason)).toBe('ready');
}, 180_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([api, ...workers].map((n) => n?.stop()));
  if (env) await dropClusterDatabase(scale, env);
});

interface TaskRow {
  idx: number;
  status: string;
  tries: number;
  lease_owner: string | null;
  done_by: string | null;
}

const tasksOf = async (jobId: string): Promise<TaskRow[]> =>
  (
    await db.query<TaskRow>(
      'SELECT idx, status, tries, lease_owner, done_by FROM chunk_tasks WHERE job_id = $1 ORDER BY idx',
      [jobId],
    )
  ).rows;

/** Which worker process a lease owner id (`host:pid:random`) is. */
const workerOf = (owner: string | null): string =>
  workers.find((w) => owner?.includes(`:${w.child.pid}:`))?.name ?? `unknown ${owner}`;

async function createJob(): Promise<EncoderJob> {
  const res = await call('/v1/encoder/jobs', { method: 'POST', json: { fileId } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as EncoderJob;
}

async function finished(jobId: string): Promise<EncoderJob> {
  return pollFor(
    `job ${jobId} ended`,
    async () => {
      const j = (await (await call(`/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
      return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    },
    180_000,
  );
}

/** Every rung as a player gets it (the API's playlists, init and segments through the 302s): frames and #EXTINFs. */
async function checkOutput(job: EncoderJob): Promise<void> {
  const frames = await sourceFrames(source);
  expect(job.renditions.map((r) => r.name)).toEqual(['240', '360']);
  for (const rung of job.renditions) {
    const playlistUrl = new URL(`/stream/${job.videoId}/${rung.playlist}`, api.baseUrl!).toString();
    const playlist = await (await fetch(playlistUrl)).text();
    const extinf = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].reduce((t, m) => t + Number(m[1]), 0);
    expect(extinf, rung.name).toBeCloseTo(frames / 25, 2);
    const uris = [
      /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!,
      ...playlist.split('\n').filter((l) => l.trim() && !l.startsWith('#')),
    ];
    const parts = await Promise.all(
      uris.map(async (u) => Buffer.from(await (await fetch(new URL(u, playlistUrl))).arrayBuffer())),
    );
    const joined = path.join(dir, `${job.jobId}-${rung.name}.mp4`);
    fs.writeFileSync(joined, Buffer.concat(parts));
    expect(await sourceFrames(joined), `${rung.name}: every frame once`).toBe(frames);
  }
}

describe('chunked encoding across worker processes', () => {
  it("spreads a job's chunks over both workers, and the joined rungs hold every frame once", async () => {
    const job = await createJob();
    const done = await finished(job.jobId);
    expect(done.status, `${JSON.stringify(done.error)}\n${workers.map((w) => w.output()).join('\n')}`).toBe(
      'completed',
    );
    const tasks = await tasksOf(job.jobId);
    // 0–2, 2–5 and 5–8 s on the grid; each claimed once.
    expect(tasks.map((t) => [t.idx, t.status, t.tries])).toEqual([0, 1, 2].map((idx) => [idx, 'done', 1]));
    const by = tasks.map((t) => workerOf(t.done_by));
    // The owner runs chunk 0 (the start group); the idle worker, woken by the plan, takes chunk 1.
    expect(new Set(by), `chunks encoded by ${by.join(', ')}`).toEqual(new Set(['worker-c1', 'worker-c2']));
    await checkOutput(done);
  }, 240_000);

  it("requeues only a SIGKILLed worker's chunk; the survivor encodes it, the other chunks are not redone", async () => {
    const job = await createJob();
    // A chunk being encoded by the worker that does not own the job (chunk 0's holder is the owner).
    let victim: { node: Node; idx: number } | null = null;
    for (let i = 0; i < 2000 && !victim; i++) {
      const tasks = await tasksOf(job.jobId);
      const owner = tasks.find((t) => t.idx === 0)?.lease_owner ?? tasks.find((t) => t.idx === 0)?.done_by;
      const busy = tasks.find((t) => t.status === 'processing' && t.idx > 0 && t.lease_owner !== owner);
      const node = workers.find((w) => busy?.lease_owner?.includes(`:${w.child.pid}:`));
      if (busy && node && owner) victim = { node, idx: busy.idx };
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(victim, 'no chunk was ever encoded by the non-owner worker').not.toBeNull();
    const { node, idx } = victim!;
    node.child.kill('SIGKILL');
    await new Promise((r) => node.child.once('exit', r));

    const done = await finished(job.jobId);
    expect(done.status, `${JSON.stringify(done.error)}\n${workers.map((w) => w.output()).join('\n')}`).toBe(
      'completed',
    );
    const survivor = workers.find((w) => w !== node)!;
    const tasks = await tasksOf(job.jobId);
    for (const t of tasks) {
      expect(t.status).toBe('done');
      if (t.idx === idx) {
        // Claimed twice: by the victim, then (after its lease ran out) by the survivor.
        expect(t.tries, `chunk ${t.idx}`).toBe(2);
        expect(workerOf(t.done_by)).toBe(survivor.name);
      } else {
        // Never redone, whoever encoded it (the victim's finished chunks are kept).
        expect(t.tries, `chunk ${t.idx}`).toBe(1);
      }
    }
    // The job itself never changed hands: one attempt.
    expect(
      (await db.query('SELECT attempts FROM jobs WHERE job_id = $1', [job.jobId])).rows[0].attempts,
    ).toBe(1);
    await checkOutput(done);
  }, 240_000);
});
