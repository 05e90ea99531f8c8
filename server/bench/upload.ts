import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { signToken } from '@vodkit/api/sign';
import { tempDir } from '../test/fixtures.ts';
import { freePort } from '../test/server.ts';
import { log, median, ratio, round, sleep } from './stats.ts';

/*
 * Upload throughput: the same bytes, from memory, over loopback with node:http, to
 *  - Vodkit's tus endpoint (main.ts in its own process, JWT on every request),
 *  - bare @tus/server + FileStore (its own process),
 *  - a raw streaming PUT into a file (its own process): the ceiling for "bytes to disk over HTTP".
 * tus is measured as one PATCH and as 8 MB chunks. The declared Upload-Length is one byte more
 * than what is sent, so no upload finishes: Vodkit's probe on the last byte is not part of this
 * figure (upload→ready covers it). Each upload is terminated afterwards. Subjects are interleaved,
 * one warm-up each; median MB/s (10^6 bytes) per subject; the server process's CPU ms per MB
 * (utime + stime from /proc: much less moved than wall time by other work on a shared machine);
 * RSS of each server process before and after (VmRSS from /proc).
 */

const CHUNK = 8 * 1024 * 1024;

interface Subject {
  name: string;
  kind: 'vodkit' | 'raw-put' | 'bare-tus';
  child: ChildProcess;
  port: number;
  auth: Record<string, string>;
  tusPath: string;
}

function request(
  port: number,
  method: string,
  pathname: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: pathname, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

async function waitHealthy(port: number, pathname: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await request(port, 'GET', pathname, {})).status === 200) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error('server did not start');
    await sleep(50);
  }
}

function rssMiB(pid: number | undefined): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? round(kb / 1024, 1) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) the process has used so far, in ms; /proc counts in clock ticks (100 Hz). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function start(kind: Subject['kind'], repoRoot: string, scratch: string): Promise<Subject> {
  const port = await freePort();
  const dir = path.join(scratch, kind);
  fs.mkdirSync(dir, { recursive: true });
  const args =
    kind === 'vodkit'
      ? ['--import', 'tsx', 'server/src/main.ts']
      : ['--import', 'tsx', 'server/bench/upload-servers.ts', kind, String(port), dir];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      VOD_PORT: String(port),
      VOD_HOST: '127.0.0.1',
      VOD_DATA_DIR: dir,
      VOD_LOG_LEVEL: 'warn',
      VOD_DEMO: '0',
      VOD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitHealthy(port, '/healthz', child);
  let auth: Record<string, string> = {};
  if (kind === 'vodkit') {
    const key = JSON.parse(fs.readFileSync(path.join(dir, 'dev-key.json'), 'utf8')) as {
      apiKey: string;
      secret: string;
    };
    const token = await signToken({ ...key, permissions: ['allow_upload'], expiresIn: 3600 });
    auth = { authorization: `Bearer ${token}` };
  }
  const name =
    kind === 'vodkit'
      ? 'vodkit tus (main.ts)'
      : kind === 'bare-tus'
        ? 'bare @tus/server + FileStore'
        : 'raw streaming PUT (node:http → fs)';
  return { name, kind, child, port, auth, tusPath: kind === 'vodkit' ? '/v1/uploads' : '/files' };
}

/** One upload; milliseconds from the first request to the last answer. */
async function uploadOnce(s: Subject, data: Buffer, chunk: number | null): Promise<number> {
  const t0 = performance.now();
  if (s.kind === 'raw-put') {
    const name = `put-${randomBytes(6).toString('hex')}`;
    const put = await request(
      s.port,
      'PUT',
      `/files/${name}`,
      { 'content-length': String(data.length) },
      data,
    );
    const ms = performance.now() - t0;
    if (put.status !== 204) throw new Error(`raw PUT answered ${put.status}`);
    await request(s.port, 'DELETE', `/files/${name}`, {});
    return ms;
  }
  const tus = { 'tus-resumable': '1.0.0', ...s.auth };
  const created = await request(s.port, 'POST', s.tusPath, {
    ...tus,
    'upload-length': String(data.length + 1),
  });
  if (created.status !== 201) throw new Error(`${s.name}: POST answered ${created.status}`);
  const location = new URL(String(created.headers.location), `http://127.0.0.1:${s.port}`).pathname;
  const step = chunk ?? data.length;
  for (let offset = 0; offset < data.length; offset += step) {
    const body = data.subarray(offset, Math.min(offset + step, data.length));
    const patch = await request(
      s.port,
      'PATCH',
      location,
      {
        ...tus,
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(body.length),
      },
      body,
    );
    if (patch.status !== 204) throw new Error(`${s.name}: PATCH answered ${patch.status}`);
    const stored = Number(patch.headers['upload-offset']);
    if (stored !== offset + body.length)
      throw new Error(`${s.name}: PATCH stored up to ${stored}, not ${offset + body.length}`);
  }
  const ms = performance.now() - t0;
  await request(s.port, 'DELETE', location, tus);
  return ms;
}

export interface UploadThroughput {
  method: string;
  bytes: number;
  runs: number;
  subjects: Record<
    string,
    {
      mbPerS: { onePatch: number | null; chunks8MB: number | null };
      serverCpuMsPerMB: { onePatch: number | null; chunks8MB: number | null };
      rssMiB: { before: number | null; after: number | null; growth: number | null };
    }
  >;
  ratios: {
    vodkitVsRawPut: { onePatch: number; chunks8MB: number };
    vodkitVsBareTus: { onePatch: number; chunks8MB: number };
    bareTusVsRawPut: { onePatch: number; chunks8MB: number };
  };
  /** Baseline server CPU per MB ÷ subject's: 1.0 = as frugal as the baseline; robust on a busy machine. */
  cpuEfficiency: {
    vodkitVsRawPut: { onePatch: number; chunks8MB: number };
    vodkitVsBareTus: { onePatch: number; chunks8MB: number };
  };
}

export async function benchUploadThroughput(
  repoRoot: string,
  runs: number,
  mib: number,
): Promise<UploadThroughput> {
  const scratch = tempDir('vodkit-bench-upload-');
  const data = randomBytes(mib * 1024 * 1024);
  const subjects: Subject[] = [];
  try {
    for (const kind of ['vodkit', 'bare-tus', 'raw-put'] as const)
      subjects.push(await start(kind, repoRoot, scratch));
    const rssBefore = new Map<Subject, number | null>();
    for (const s of subjects) {
      await uploadOnce(s, data, null); // warm-up
      await uploadOnce(s, data, CHUNK);
      rssBefore.set(s, rssMiB(s.child.pid));
    }
    type Series = { ms: number[]; cpu: number[] };
    const samples = new Map<Subject, { one: Series; chunked: Series }>();
    for (const s of subjects) samples.set(s, { one: { ms: [], cpu: [] }, chunked: { ms: [], cpu: [] } });
    const measure = async (s: Subject, series: Series, chunk: number | null) => {
      const cpu0 = cpuMs(s.child.pid);
      series.ms.push(await uploadOnce(s, data, chunk));
      series.cpu.push(cpuMs(s.child.pid) - cpu0);
    };
    for (let i = 0; i < runs; i++) {
      for (const s of subjects) {
        await measure(s, samples.get(s)!.one, null);
        if (s.kind !== 'raw-put') await measure(s, samples.get(s)!.chunked, CHUNK);
      }
      log(`upload throughput: round ${i + 1}/${runs}`);
    }
    const mb = data.length / 1e6;
    const mbps = (x: Series) => (x.ms.length ? round(mb / (median(x.ms) / 1000), 1) : null);
    // Server CPU per MB: what the subject itself spends, much less moved by other work on the box.
    const cpuPerMb = (x: Series) => (x.cpu.length ? round(median(x.cpu) / mb, 2) : null);
    const out: UploadThroughput['subjects'] = {};
    const speed = new Map<string, { one: number; chunked: number; cpuOne: number; cpuChunked: number }>();
    for (const s of subjects) {
      const { one, chunked } = samples.get(s)!;
      const after = rssMiB(s.child.pid);
      const before = rssBefore.get(s) ?? null;
      out[s.name] = {
        mbPerS: { onePatch: mbps(one), chunks8MB: mbps(chunked) },
        serverCpuMsPerMB: { onePatch: cpuPerMb(one), chunks8MB: cpuPerMb(chunked) },
        rssMiB: {
          before,
          after,
          growth: before !== null && after !== null ? round(after - before, 1) : null,
        },
      };
      speed.set(s.kind, {
        one: mbps(one) ?? 0,
        chunked: mbps(chunked) ?? 0,
        cpuOne: cpuPerMb(one) ?? 0,
        cpuChunked: cpuPerMb(chunked) ?? 0,
      });
    }
    const v = speed.get('vodkit')!;
    const b = speed.get('bare-tus')!;
    const r = speed.get('raw-put')!;
    return {
      method:
        'node:http client from memory over loopback; each subject in its own process; Upload-Length one byte over what is sent (no probe); interleaved rounds after one warm-up; median MB/s and median server CPU ms per MB (utime+stime from /proc); raw PUT is one request in both columns; ratios are MB/s subject / MB/s baseline; cpuEfficiency is CPU per MB baseline / subject (1 = as frugal)',
      bytes: data.length,
      runs,
      subjects: out,
      ratios: {
        vodkitVsRawPut: { onePatch: ratio(v.one, r.one), chunks8MB: ratio(v.chunked, r.one) },
        vodkitVsBareTus: { onePatch: ratio(v.one, b.one), chunks8MB: ratio(v.chunked, b.chunked) },
        bareTusVsRawPut: { onePatch: ratio(b.one, r.one), chunks8MB: ratio(b.chunked, r.one) },
      },
      cpuEfficiency: {
        vodkitVsRawPut: { onePatch: ratio(r.cpuOne, v.cpuOne), chunks8MB: ratio(r.cpuOne, v.cpuChunked) },
        vodkitVsBareTus: {
          onePatch: ratio(b.cpuOne, v.cpuOne),
          chunks8MB: ratio(b.cpuChunked, v.cpuChunked),
        },
      },
    };
  } finally {
    for (const s of subjects) {
      s.child.kill('SIGTERM');
      await new Promise((resolve) =>
        s.child.exitCode !== null ? resolve(null) : s.child.once('exit', resolve),
      );
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
