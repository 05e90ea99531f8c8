import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { EncoderJob } from '@vodkit/api';
import { signPlaybackToken, signToken } from '@vodkit/api/sign';
import { openDatabase } from '../src/db/database.ts';
import { JobsRepo } from '../src/db/jobs.ts';
import { KeysRepo } from '../src/db/keys.ts';
import { PlaybackRepo } from '../src/db/playback.ts';
import { AuthService } from '../src/services/auth.ts';
import { PlaybackService } from '../src/services/playback.ts';
import { tempDir } from '../test/fixtures.ts';
import { freePort } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { log, percentile, ratio, round, sleep } from './stats.ts';

/*
 * Serving segments: N concurrent viewers (keep-alive connections, one request at a time each, a
 * bounded number of requests in all) fetch 1 MiB segments from
 *   - baseline: a bare node:http + fs.createReadStream server (stream-bare.ts), same files;
 *   - public:   the real Vodkit server (main.ts) for a public video;
 *   - protected: the same server for a protected video, with the `?sig=` its playlists hand out
 *     (the stream gate: cached protection flag + one HMAC per segment).
 * Servers run in their own processes; the load generator is this process. Each subject runs once per
 * round, the order reversed every round, and the best round counts (a neighbour's burst only slows).
 */

const SEGMENT_BYTES = 1024 * 1024;
const SEGMENTS = 8;
const CLIENT_TIMEOUT_MS = 60_000;

interface Proc {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function spawnServer(
  repoRoot: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  port: number,
): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server ${args.join(' ')} exited with ${child.exitCode}`);
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: readyPath, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
    });
    if (status > 0) break;
    if (Date.now() > until) throw new Error(`server ${args.join(' ')} did not start`);
    await sleep(50);
  }
  return {
    child,
    port,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** utime + stime of a process, seconds (Linux /proc). */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM (peak) of a process, MiB. */
function memory(pid: number): { rssMiB: number; peakRssMiB: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: round(kb('VmRSS') / 1024), peakRssMiB: round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

function fetchSegment(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
      });
      res.on('end', () => (n === SEGMENT_BYTES ? resolve(n) : reject(new Error(`short body ${n}`))));
      res.on('error', reject);
    });
    req.setTimeout(CLIENT_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface LoadFigures {
  requests: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** MiB of segment bodies per second. */
  throughputMiBs: number;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU seconds per GiB served (utime + stime of the server process). */
  serverCpuSPerGiB: number | null;
  serverRssMiB: number | null;
  serverPeakRssMiB: number | null;
}

async function load(urls: string[], concurrency: number, total: number, pid: number): Promise<LoadFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // Warm-up: open the connections and touch every file.
  await Promise.all(
    Array.from({ length: concurrency }, (_, i) => fetchSegment(urls[i % urls.length]!, agent).catch(() => 0)),
  );
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | null = null;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const viewer = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const started = performance.now();
      try {
        await fetchSegment(urls[i % urls.length]!, agent);
        latencies.push(performance.now() - started);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, viewer));
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(pid);
  agent.destroy();
  const mem = memory(pid);
  const gib = (latencies.length * SEGMENT_BYTES) / 1024 ** 3;
  return {
    requests: total,
    errors,
    firstError,
    seconds: round(seconds, 2),
    throughputMiBs: round((latencies.length * SEGMENT_BYTES) / 1024 ** 2 / seconds),
    requestsPerS: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    serverCpuSPerGiB: cpu0 !== null && cpu1 !== null && gib > 0 ? round((cpu1 - cpu0) / gib, 2) : null,
    serverRssMiB: mem?.rssMiB ?? null,
    serverPeakRssMiB: mem?.peakRssMiB ?? null,
  };
}

/** Uploads a clip and encodes it (240p only) as a public or protected video; returns the video id. */
async function makeVideo(
  baseUrl: string,
  token: string,
  clip: Buffer,
  protectedVideo: boolean,
): Promise<string> {
  const fileId = fileIdOf(await tusUpload(clip, { baseUrl, bearer: token }));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const res = await fetch(`${baseUrl}/v1/encoder/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      fileId,
      presets: [{ resolutions: ['240'], format: 'hls' }],
      protected: protectedVideo,
    }),
  });
  const job = (await res.json()) as EncoderJob;
  const until = Date.now() + 120_000;
  for (;;) {
    const j = (await (
      await fetch(`${baseUrl}/v1/encoder/jobs/${job.jobId}`, { headers })
    ).json()) as EncoderJob;
    if (j.status === 'completed') return j.videoId;
    if (j.status === 'failed' || Date.now() > until)
      throw new Error(`bench encode failed: ${JSON.stringify(j)}`);
    await sleep(200);
  }
}

const LEVELS = [50, 200, 500];

export interface GateCost {
  method: string;
  /** Microseconds per call, median of 5 batches. */
  perSegmentUs: number;
  parts: { cachedAccessUs: number; verifySigUs: number; cachedTokenUs: number };
  /** What each segment would cost without the signature and the caches: jwtVerify + key and video rows. */
  jwtAndDbUs: number;
  dbLookupUs: number;
}

/**
 * What the stream gate adds to one protected segment, measured in-process where the HTTP noise of a
 * shared box cannot drown it: the cached protection flag plus one HMAC check, against what a naive
 * gate would do per segment (verify the JWT with its key's secret from the database, read the video).
 */
export async function benchGate(batch = 20_000): Promise<GateCost> {
  const dir = tempDir('vodkit-bench-gate-');
  const db = openDatabase(dir);
  try {
    const keys = new KeysRepo(db);
    const key = await new AuthService(keys).createKey('bench');
    const repo = new PlaybackRepo(db);
    const videoId = 'benchvideo0000000000';
    await new JobsRepo(db).insert({
      jobId: 'benchjob000000000000',
      videoId,
      fileId: 'benchfile00000000000',
      apiKey: key.apiKey,
      request: { fileId: 'benchfile00000000000', protected: true },
    });
    const playback = new PlaybackService({ dataDir: dir, repo, keys });
    const token = await signPlaybackToken({ ...key, videoId, expiresIn: 3600 });
    const access = (await playback.access(videoId))!;
    const grant = await playback.verifyToken(token, access);
    const perCall = async (fn: (i: number) => unknown, n = batch): Promise<number> => {
      const samples: number[] = [];
      for (let b = 0; b < 5; b++) {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await fn(i);
        samples.push(((performance.now() - t0) * 1000) / n);
      }
      return round(percentile(samples, 50), 2);
    };
    const cachedAccessUs = await perCall(() => playback.cachedAccess(videoId));
    const verifySigUs = await perCall(() => playback.verifySig(grant.sig, access));
    const cachedTokenUs = await perCall(() => playback.verifyToken(token, access));
    const dbLookupUs = await perCall(() => repo.access(videoId));
    // Fresh tokens each time: nothing cached, so jose verifies and the key is read from SQLite.
    const fresh = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => signPlaybackToken({ ...key, videoId, expiresIn: 3600 + i })),
    );
    let k = 0;
    const jwtAndDbUs = await perCall(async () => {
      await repo.access(videoId);
      await playback.verifyToken(fresh[k++ % fresh.length]!, access);
    }, 400);
    return {
      method: `in-process, ${batch} calls × 5 batches (400 for the uncached JWT path), median µs per call`,
      perSegmentUs: round(cachedAccessUs + verifySigUs, 2),
      parts: { cachedAccessUs, verifySigUs, cachedTokenUs },
      jwtAndDbUs,
      dbLookupUs,
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface StreamBenchResult {
  method: string;
  segmentBytes: number;
  rounds: number;
  gate: GateCost;
  levels: Record<
    string,
    {
      baseline: LoadFigures;
      public: LoadFigures;
      protected: LoadFigures;
      /** Vodkit throughput / baseline throughput (goal ≥ 0.8). */
      publicToBaseline: number;
      protectedToBaseline: number;
      /** Extra server CPU per byte of a protected video over a public one (goal ≤ 10%). */
      protectedCpuOverhead: number | null;
      /** protected / public throughput. */
      protectedToPublic: number;
    }
  >;
}

export async function benchStream(
  repoRoot: string,
  clip: Buffer,
  rounds: number,
  requestsFor: (concurrency: number) => number,
): Promise<StreamBenchResult> {
  const dataDir = tempDir('vodkit-bench-stream-');
  const [vodPort, barePort] = await Promise.all([freePort(), freePort()]);
  const baseUrl = `http://127.0.0.1:${vodPort}`;
  let vodkit: Proc | null = null;
  let bare: Proc | null = null;
  try {
    log('stream: starting Vodkit and encoding a public and a protected video…');
    vodkit = await spawnServer(
      repoRoot,
      ['server/src/main.ts'],
      {
        VOD_PORT: String(vodPort),
        VOD_HOST: '127.0.0.1',
        VOD_DATA_DIR: dataDir,
        VOD_LOG_LEVEL: 'warn',
        VOD_DEMO: '0',
        VOD_PUBLIC_URL: baseUrl,
      },
      '/healthz',
      vodPort,
    );
    const key = JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-key.json'), 'utf8')) as {
      apiKey: string;
      secret: string;
    };
    const token = await signToken({ ...key, permissions: ['allow_upload', 'allow_encode', 'allow_read'] });
    const publicId = await makeVideo(baseUrl, token, clip, false);
    const protectedId = await makeVideo(baseUrl, token, clip, true);

    // Segment-sized files in both videos' folders (and the baseline's root), same bytes everywhere.
    const bareRoot = path.join(dataDir, 'bare');
    const names = Array.from({ length: SEGMENTS }, (_, i) => `seg_${i}.m4s`);
    for (const name of names) {
      const bytes = randomBytes(SEGMENT_BYTES);
      for (const dir of [
        path.join(dataDir, 'videos', publicId, 'bench'),
        path.join(dataDir, 'videos', protectedId, 'bench'),
        bareRoot,
      ]) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, name), bytes);
      }
    }
    // What a player holds after loading the master with its token: the signature in the playlists.
    const playbackToken = await signPlaybackToken({ ...key, videoId: protectedId, expiresIn: 3600 });
    const master = await (
      await fetch(`${baseUrl}/stream/${protectedId}/master.m3u8?token=${playbackToken}`)
    ).text();
    const sig = /[?&]sig=([^&\s"]+)/.exec(master)?.[1];
    if (!sig) throw new Error('the protected master playlist carries no signature');

    bare = await spawnServer(
      repoRoot,
      ['server/bench/stream-bare.ts', String(barePort), bareRoot],
      {},
      '/',
      barePort,
    );

    const subjects = {
      baseline: { pid: bare.child.pid!, urls: names.map((n) => `http://127.0.0.1:${barePort}/${n}`) },
      public: { pid: vodkit.child.pid!, urls: names.map((n) => `${baseUrl}/stream/${publicId}/bench/${n}`) },
      protected: {
        pid: vodkit.child.pid!,
        urls: names.map((n) => `${baseUrl}/stream/${protectedId}/bench/${n}?sig=${sig}`),
      },
    };
    type Name = keyof typeof subjects;
    const levels: StreamBenchResult['levels'] = {};
    for (const concurrency of LEVELS) {
      const total = requestsFor(concurrency);
      const best: Partial<Record<Name, LoadFigures>> = {};
      for (let round = 0; round < rounds; round++) {
        const order: Name[] = ['baseline', 'public', 'protected'];
        if (round % 2) order.reverse();
        for (const name of order) {
          const s = subjects[name];
          const figures = await load(s.urls, concurrency, total, s.pid);
          log(
            `stream: ${concurrency} viewers, ${name}: ${figures.throughputMiBs} MiB/s, p99 ${figures.p99Ms} ms, ${figures.errors} errors`,
          );
          const prev = best[name];
          // Errors always count: a round with errors is kept over a faster clean one.
          if (
            !prev ||
            figures.errors > prev.errors ||
            (figures.errors === prev.errors && figures.throughputMiBs > prev.throughputMiBs)
          ) {
            best[name] = figures;
          }
        }
      }
      const b = best.baseline!;
      const pub = best.public!;
      const prot = best.protected!;
      levels[String(concurrency)] = {
        baseline: b,
        public: pub,
        protected: prot,
        publicToBaseline: ratio(pub.throughputMiBs, b.throughputMiBs),
        protectedToBaseline: ratio(prot.throughputMiBs, b.throughputMiBs),
        protectedToPublic: ratio(prot.throughputMiBs, pub.throughputMiBs),
        protectedCpuOverhead:
          pub.serverCpuSPerGiB && prot.serverCpuSPerGiB
            ? round(prot.serverCpuSPerGiB / pub.serverCpuSPerGiB - 1, 3)
            : null,
      };
    }
    const gate = await benchGate();
    log(
      `stream: gate ${gate.perSegmentUs} µs per protected segment (JWT + DB would be ${gate.jwtAndDbUs} µs)`,
    );
    return {
      gate,
      method: `${SEGMENTS} files of ${SEGMENT_BYTES} B; per level, N keep-alive viewers share a bounded number of GETs (BENCH_STREAM_REQUESTS, default max(1000, 2N)), one warm-up GET per viewer first; servers in their own processes (node --import tsx), the load generator in the bench process; best of ${rounds} rounds per subject, order reversed each round; p50/p99 per segment; server CPU from /proc/<pid>/stat; RSS = VmRSS after the run, peak = VmHWM (cumulative; Vodkit serves both public and protected)`,
      segmentBytes: SEGMENT_BYTES,
      rounds,
      levels,
    };
  } finally {
    await vodkit?.stop();
    await bare?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
