/*
 * `BENCH_ONLY=beacons`: analytics beacon ingest (issue 16) against a real server process, and what
 * it does to segment serving, in the same run:
 * - beacons/s and latency (p50, p99) of `POST /v1/beacons` at a fixed concurrency, each beacon a
 *   text/plain body as the player sends (view + startup on a session's first, playing + rendition
 *   after), spread over many sessions;
 * - segment GETs (requests/s, p50/p99) alone, then while the beacon load runs: the ratio is what
 *   analytics cost playback;
 * - embedded (SQLite) always; PostgreSQL (an API node on the scale services) when
 *   scripts/services.sh can start them or VOD_TEST_* are set, else `{skipped}`.
 * The load generator is this process (node:http with keep-alive), on the same 2 cores as the server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { signToken } from '@vodkit/api/sign';
import { type ScaleEnv, startServices, toScaleEnv } from '../scale/global-setup.ts';
import type { TestServer } from '../test/server.ts';
import { freePort } from '../test/server.ts';
import { uploadToReady } from './probe.ts';
import { log, percentile, round } from './stats.ts';

interface Load {
  requests: number;
  perS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(url: URL, method: string, body: string | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: body === null ? {} : { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': 'bench' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** `total` requests from `concurrency` loops; `next(i)` gives request i. */
async function drive(
  total: number,
  concurrency: number,
  next: (i: number) => { url: URL; method: string; body: string | null; ok: (status: number) => boolean },
): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = i++; n < total; n = i++) {
        const r = next(n);
        const t = performance.now();
        const status = await request(r.url, r.method, r.body).catch(() => 0);
        latencies.push(performance.now() - t);
        if (!r.ok(status)) errors++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return {
    requests: total,
    perS: round(total / s, 0),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    errors,
  };
}

interface Target {
  baseUrl: string;
  stop(): Promise<void>;
}

/** A server process (`npm run serve`) with beacon limits out of the way: one client sends it all. */
async function startServerProcess(
  repoRoot: string,
  dataDir: string,
  env: Record<string, string>,
): Promise<Target> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      VOD_PORT: String(port),
      VOD_HOST: '127.0.0.1',
      VOD_DATA_DIR: dataDir,
      VOD_PUBLIC_URL: baseUrl,
      VOD_LOG_LEVEL: 'warn',
      VOD_DEMO: '0',
      VOD_BEACON_RATE: '1000000',
      VOD_BEACON_BURST: '1000000',
      VOD_BEACON_SESSIONS_PER_HOUR: '1000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench server exited with ${child.exitCode}`);
    if (
      await fetch(`${baseUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('bench server did not start within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

async function segmentUrls(baseUrl: string, videoId: string): Promise<URL[]> {
  const master = new URL(`${baseUrl}/stream/${videoId}/master.m3u8`);
  const text = await (await fetch(master)).text();
  const variant = new URL(
    text
      .split('\n')
      .find((l) => l.trim() && !l.startsWith('#'))!
      .trim(),
    master,
  );
  const body = await (await fetch(variant)).text();
  return body
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => new URL(l.trim(), variant));
}

/** One target: a video encoded through the API, then segments alone, beacons alone, and both at once. */
async function measure(target: Target, devKeyFile: string, source: Buffer, sourceName: string, n: number) {
  const key = JSON.parse(fs.readFileSync(devKeyFile, 'utf8')) as { apiKey: string; secret: string };
  const token = await signToken({ ...key, permissions: ['allow_upload', 'allow_encode', 'allow_read'] });
  const { fileId } = await uploadToReady(
    { baseUrl: target.baseUrl } as TestServer,
    token,
    source,
    sourceName,
  );
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${target.baseUrl}/v1/encoder/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ fileId, presets: [{ format: 'hls', resolutions: ['240'] }] }),
  });
  let job = (await created.json()) as { jobId: string; videoId: string; status: string };
  while (job.status !== 'completed') {
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`bench encode ${job.status}`);
    await new Promise((r) => setTimeout(r, 250));
    job = (await (
      await fetch(`${target.baseUrl}/v1/encoder/jobs/${job.jobId}`, { headers })
    ).json()) as typeof job;
  }
  const segments = await segmentUrls(target.baseUrl, job.videoId);
  const beaconUrl = new URL(`${target.baseUrl}/v1/beacons`);
  const sessions = 2000;
  const beacon = (i: number) => {
    const first = i < sessions;
    const events = first
      ? [{ type: 'view' }, { type: 'startup', ms: 300 + (i % 900) }]
      : [
          { type: 'playing', s: 0.5 },
          { type: 'rendition', height: 240 },
        ];
    return {
      url: beaconUrl,
      method: 'POST',
      body: JSON.stringify({
        videoId: job.videoId,
        sessionId: `bench${String(i % sessions).padStart(8, '0')}`,
        events,
      }),
      ok: (s: number) => s === 202,
    };
  };
  const segment = (i: number) => ({
    url: segments[i % segments.length]!,
    method: 'GET',
    body: null,
    // Scaled out a segment is a 302 to a presigned GET: the API's own work, counted as served.
    ok: (s: number) => s === 200 || s === 302,
  });
  const concurrency = 32;
  // Warm-up of both paths (JIT, caches, the video lookup), not counted.
  await drive(500, concurrency, beacon);
  await drive(500, concurrency, segment);
  const segmentsAlone = await drive(n, concurrency, segment);
  const beaconsAlone = await drive(n, concurrency, beacon);
  const [segmentsUnderLoad, beaconsUnderLoad] = await Promise.all([
    drive(n, concurrency, segment),
    drive(n, concurrency, beacon),
  ]);
  // Everything buffered is written before we read it back.
  await new Promise((r) => setTimeout(r, 1000));
  const stats = (await (
    await fetch(`${target.baseUrl}/v1/videos/${job.videoId}/stats`, { headers })
  ).json()) as {
    views: number;
    watchTimeS: number;
  };
  return {
    concurrency,
    beaconsAlone,
    segmentsAlone,
    underLoad: { segments: segmentsUnderLoad, beacons: beaconsUnderLoad },
    segmentThroughputRatio: round(segmentsUnderLoad.perS / segmentsAlone.perS, 2),
    segmentP99Ratio: round(segmentsUnderLoad.p99Ms / segmentsAlone.p99Ms, 2),
    stored: { views: stats.views, watchTimeS: stats.watchTimeS },
  };
}

export async function benchBeacons(
  repoRoot: string,
  scratch: string,
  source: Buffer,
  sourceName: string,
  n: number,
): Promise<unknown> {
  const method = `POST /v1/beacons (text/plain, 2 000 sessions) and segment GETs of a 240p rendition against a server process, ${n} requests each at concurrency 32 from node:http keep-alive on the same machine; alone, then both at once`;
  const dataDir = path.join(scratch, 'beacons-embedded');
  log('beacons: embedded (SQLite)…');
  const embeddedServer = await startServerProcess(repoRoot, dataDir, {});
  let embedded: unknown;
  try {
    embedded = await measure(embeddedServer, path.join(dataDir, 'dev-key.json'), source, sourceName, n);
  } finally {
    await embeddedServer.stop();
  }
  let postgres: unknown;
  let services: { env: ScaleEnv; stop(): Promise<void> } | null = null;
  try {
    services =
      process.env.VOD_TEST_DATABASE_URL && process.env.VOD_TEST_S3_ENDPOINT
        ? { env: toScaleEnv(process.env), stop: async () => {} }
        : await startServices();
  } catch (err) {
    postgres = {
      skipped: `PostgreSQL + S3 services did not start: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  if (services) {
    try {
      const { clusterEnv, dropClusterDatabase } = await import('../scale/cluster.ts');
      const env = await clusterEnv(services.env);
      const pgDir = path.join(scratch, 'beacons-postgres');
      log('beacons: PostgreSQL API node…');
      const node = await startServerProcess(repoRoot, pgDir, { ...env, VOD_ROLE: 'all' });
      try {
        postgres = await measure(node, path.join(pgDir, 'dev-key.json'), source, sourceName, n);
      } finally {
        await node.stop();
        await dropClusterDatabase(services.env, env).catch(() => {});
      }
    } finally {
      await services.stop();
    }
  }
  return { method, embedded, postgres };
}
