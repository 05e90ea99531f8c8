import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { tempDir } from '../test/fixtures.ts';
import { freePort } from '../test/server.ts';
import { log, ratio, type Summary, sleep, summarize } from './stats.ts';

/*
 * Boot: wall time from spawn() to the first 200 on the health URL, polled every 5 ms over loopback.
 * Every subject is started the same way (`node --import tsx …`, cwd = repo root), so the ratio shows
 * what Vodkit adds on top of "Node + tsx + a listening HTTP server".
 */

const POLL_MS = 5;
const BOOT_TIMEOUT_MS = 30_000;

interface Subject {
  name: string;
  /** Arguments after `node`, given the port. */
  args: (port: number) => string[];
  env: (port: number, dataDir: string) => Record<string, string>;
  healthPath: string;
}

const bareHttp: Subject = {
  name: 'node:http hello (tsx)',
  args: (port) => [
    '--import',
    'tsx',
    '-e',
    `require('node:http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`,
  ],
  env: () => ({}),
  healthPath: '/',
};

const fastifyHello: Subject = {
  name: 'fastify hello (tsx)',
  args: (port) => [
    '--import',
    'tsx',
    '-e',
    `const f=require('fastify')();f.get('/',async()=>'ok');f.listen({port:${port},host:'127.0.0.1'})`,
  ],
  env: () => ({}),
  healthPath: '/',
};

const vodkit: Subject = {
  name: 'vodkit (node --import tsx server/src/main.ts)',
  args: () => ['--import', 'tsx', 'server/src/main.ts'],
  env: (port, dataDir) => ({
    VOD_PORT: String(port),
    VOD_HOST: '127.0.0.1',
    VOD_DATA_DIR: dataDir,
    VOD_LOG_LEVEL: 'warn',
    VOD_PUBLIC_URL: `http://127.0.0.1:${port}`,
  }),
  healthPath: '/healthz',
};

function get(port: number, pathname: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

interface BootSample {
  ms: number;
  /** What main.ts printed as "ready in N ms" (performance.now() inside the child), when it did. */
  selfReportedMs: number | null;
}

async function bootOnce(subject: Subject, repoRoot: string): Promise<BootSample> {
  const port = await freePort();
  const dataDir = tempDir('vodkit-bench-boot-');
  let stdout = '';
  let stderr = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, subject.args(port), {
    cwd: repoRoot,
    env: { ...process.env, ...subject.env(port, dataDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  try {
    for (;;) {
      if (exitCode !== undefined) {
        throw new Error(`${subject.name} exited (${exitCode}) before answering: ${stderr.slice(-500)}`);
      }
      if (performance.now() - t0 > BOOT_TIMEOUT_MS) throw new Error(`${subject.name} did not answer in time`);
      if ((await get(port, subject.healthPath)) === 200) break;
      await sleep(POLL_MS);
    }
    const ms = performance.now() - t0;
    const m = /ready in (\d+) ms/.exec(stdout);
    return { ms, selfReportedMs: m ? Number(m[1]) : null };
  } finally {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface BootResult {
  method: string;
  n: number;
  warmupRuns: number;
  vodkit: Summary & { command: string; selfReportedReadyMs: number[] };
  baseline: Summary & { command: string };
  /** vodkit median / baseline median. */
  ratio: number;
  /** A bare fastify app under tsx: splits Vodkit's cost into "fastify" and "the rest". */
  fastifyHello: Summary & { command: string; ratioToBaseline: number };
  vodkitToFastifyRatio: number;
}

export async function benchBoot(repoRoot: string, n: number): Promise<BootResult> {
  const subjects = [bareHttp, fastifyHello, vodkit];
  // One discarded round: fills the OS page cache and tsx's transform cache for every subject.
  log('boot: warm-up round');
  for (const s of subjects) await bootOnce(s, repoRoot);
  const samples = new Map<Subject, BootSample[]>(subjects.map((s) => [s, []]));
  for (let i = 0; i < n; i++) {
    // Interleaved, so drift in machine load hits every subject alike.
    for (const s of subjects) {
      const sample = await bootOnce(s, repoRoot);
      samples.get(s)!.push(sample);
      log(`boot ${i + 1}/${n}: ${s.name} ${sample.ms.toFixed(0)} ms`);
    }
  }
  const command = (s: Subject) => `node ${s.args(0).join(' ')}`.replace(/\b0\b/, 'PORT');
  const sum = (s: Subject) => summarize(samples.get(s)!.map((x) => x.ms));
  const v = sum(vodkit);
  const b = sum(bareHttp);
  const f = sum(fastifyHello);
  return {
    method:
      'wall time from spawn() to the first HTTP 200 (vodkit: GET /healthz; baselines: GET /), polled every 5 ms; fresh temp VOD_DATA_DIR and free port per run; VOD_LOG_LEVEL=warn; runs interleaved; median',
    n,
    warmupRuns: 1,
    vodkit: {
      ...v,
      command: command(vodkit),
      selfReportedReadyMs: samples
        .get(vodkit)!
        .map((x) => x.selfReportedMs)
        .filter((x): x is number => x !== null),
    },
    baseline: { ...b, command: command(bareHttp) },
    ratio: ratio(v.medianMs, b.medianMs),
    fastifyHello: { ...f, command: command(fastifyHello), ratioToBaseline: ratio(f.medianMs, b.medianMs) },
    vodkitToFastifyRatio: ratio(v.medianMs, f.medianMs),
  };
}
