import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, makeClip, tempDir } from '../test/fixtures.ts';
import { startServer, type TestServer } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createContext } from './context.ts';
import { loadHealthOptions, startHealth } from './worker.ts';

/*
 * VOD_ROLE without PostgreSQL: what each role starts is decided by the context, whatever the engine,
 * so it is checked here on SQLite with the role passed as an override (the configuration refuses
 * api/worker without PostgreSQL and S3; the scale-out suite runs the real thing).
 */

let clipDir: string;
let mp4: Buffer;
/** Long enough that the worker is still encoding it when it is stopped. */
let long: Buffer;
const servers: TestServer[] = [];

beforeAll(async () => {
  clipDir = tempDir('vodkit-roles-clips-');
  [mp4, long] = await Promise.all([
    clips.h264Aac(clipDir, { duration: 1 }).then((f) => fs.readFileSync(f)),
    makeClip(path.join(clipDir, 'long.mp4'), { duration: 60, width: 320, height: 180 }).then((f) =>
      fs.readFileSync(f),
    ),
  ]);
});
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  fs.rmSync(clipDir, { recursive: true, force: true });
});

/** Uploads the clip and creates a job over HTTP; returns its id once the API has answered. */
async function queueJob(server: TestServer, clip = mp4): Promise<string> {
  const bearer = await server.token();
  const fileId = fileIdOf(await tusUpload(clip, { baseUrl: server.baseUrl, bearer }));
  const res = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileId }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { jobId: string }).jobId;
}

describe('VOD_ROLE', () => {
  it('api: serves HTTP and queues jobs, but runs no encoding loop (all: the loop takes the job at once)', async () => {
    const api = await startServer({}, tempDir(), { role: 'api' });
    servers.push(api);
    const jobId = await queueJob(api);
    // Nobody in the API node claimed it: a worker elsewhere (here, the test) gets it.
    const claimed = await api.app.vodkit.repos.jobs.claimNext('test-worker', 60_000);
    expect(claimed?.jobId).toBe(jobId);
    expect(api.app.vodkit.encoding.runningPids().size).toBe(0);

    // The control: the same steps on role `all`, whose loop is woken by the create before the answer.
    const all = await startServer({}, tempDir(), { role: 'all' });
    servers.push(all);
    const other = await queueJob(all);
    expect(await all.app.vodkit.repos.jobs.claimNext('test-worker', 60_000)).toBeUndefined();
    expect((await all.app.vodkit.repos.jobs.get(other))?.leaseOwner).not.toBe('test-worker');
  });

  it('worker: no HTTP app; its context claims queued jobs and hands them back when it stops', async () => {
    const dataDir = tempDir();
    const api = await startServer({}, dataDir, { role: 'api' });
    servers.push(api);
    const jobId = await queueJob(api, long);
    await api.close();

    await expect(buildApp(api.config, { logger: false, role: 'worker' })).rejects.toThrow(/serves no HTTP/);
    const ctx = await createContext(api.config, { log: pino({ level: 'silent' }), role: 'worker' });
    try {
      expect(ctx.createdDevKey).toBeNull();
      await ctx.start();
      let row = await ctx.repos.jobs.get(jobId);
      for (let i = 0; i < 600 && row?.status !== 'processing'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        row = await ctx.repos.jobs.get(jobId);
      }
      expect(row).toMatchObject({ status: 'processing', attempts: 1 });
      // Unique per process across machines: host, pid and a random part.
      expect(row?.leaseOwner).toMatch(new RegExp(`^[^:]+:${process.pid}:[a-z0-9]+$`));
    } finally {
      await ctx.close();
    }
    // Reopened to read: the stop released the job, so the next worker starts it at once.
    const again = await createContext(api.config, { log: pino({ level: 'silent' }), role: 'api' });
    try {
      expect(await again.repos.jobs.get(jobId)).toMatchObject({ status: 'queued', leaseOwner: null });
    } finally {
      await again.close();
    }
  });
});

describe('worker health signal', () => {
  it('touches VOD_HEALTH_FILE and answers GET /healthz on VOD_HEALTH_PORT, 503 once stopping', async () => {
    const dir = tempDir('vodkit-health-');
    const file = path.join(dir, 'alive');
    const options = loadHealthOptions({ VOD_HEALTH_FILE: file, VOD_HEALTH_PORT: '1' });
    expect(options).toEqual({ file, port: 1, host: '127.0.0.1' });
    let stopping = false;
    const health = await startHealth({ ...options, port: 0 }, () => !stopping);
    try {
      expect(fs.existsSync(file)).toBe(true);
      const url = `http://127.0.0.1:${health.port}`;
      let res = await fetch(`${url}/healthz`);
      expect([res.status, await res.text()]).toEqual([200, 'ok\n']);
      expect((await fetch(`${url}/other`)).status).toBe(404);
      stopping = true;
      res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(503);
    } finally {
      await health.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad VOD_HEALTH_PORT with one line', () => {
    expect(() => loadHealthOptions({ VOD_HEALTH_PORT: 'http' })).toThrow(
      'VOD_HEALTH_PORT must be a port number from 1 to 65535, got "http"',
    );
  });

  it('npm run worker refuses to start as anything but VOD_ROLE=worker, with one line and exit 1', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'worker.ts')], {
      env: { PATH: process.env.PATH, VOD_DATA_DIR: dataDir, VOD_ROLE: 'all' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err.trim()).toMatch(/^vodkit worker: npm run worker starts an encoding node: set VOD_ROLE=worker/);
    expect(loadConfig({ VOD_DATA_DIR: dataDir }).scale.role).toBe('all');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
