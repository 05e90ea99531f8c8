/**
 * `npm run bench`: Vodkit's speed, each figure against a baseline measured in the same run.
 * Prints one JSON document on stdout (progress on stderr) and writes it to <repo>/bench/results/.
 * `npm run -s bench` keeps npm's own banner off stdout, so the output pipes straight into jq.
 * Fixtures are generated with ffmpeg's lavfi sources here, never committed.
 *
 * Sections: boot (spawned server to first 200), probe (probeFile vs raw ffprobe), upload→ready (tus
 * upload to a `ready` record vs a bare POST + ffprobe), encode (the full ladder via the API vs the top
 * rung alone in plain ffmpeg). `foreignCpu` says how much CPU other processes took during each section:
 * on a shared machine the ratios stay usable longer than the absolute figures.
 *
 * Knobs (environment): BENCH_BOOT_RUNS (3), BENCH_PROBE_RUNS (15), BENCH_UPLOAD_RUNS (5; the 1080p
 * clip gets at most 3), BENCH_ENCODE_RUNS (2), BENCH_PICTURES_RUNS (3), BENCH_ONLY (comma list of
 * boot,probe,upload,encode,pictures,uploadThroughput,stream,player,encodeMatrix,scale,beacons,chunks,
 * perTitle; chunks: see chunks.ts; perTitle: see per-title.ts). scale: BENCH_SCALE_RUNS (2;
 * needs PostgreSQL and radosgw: scripts/services.sh). `pictures`: storyboard, on-demand thumbnail and poster render times.
 * uploadThroughput (tus vs bare @tus/server vs raw PUT): BENCH_UPLOAD_THROUGHPUT_RUNS (5),
 * BENCH_UPLOAD_THROUGHPUT_MIB (64). stream: BENCH_STREAM_ROUNDS (2), BENCH_STREAM_REQUESTS (per level;
 * default max(1000, 2 × viewers)). player: BENCH_PLAYER_RUNS (5; needs `npm run build`). beacons: analytics
 * ingest embedded and on PostgreSQL, with segment serving alone and under the beacon load,
 * BENCH_BEACONS_REQUESTS (20000 per measurement).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { probeFile } from '../src/media/probe.ts';
import { makeClip, tempDir } from '../test/fixtures.ts';
import { startServer, type TestServer } from '../test/server.ts';
import { benchBeacons } from './beacons.ts';
import { benchBoot } from './boot.ts';
import { benchChunks } from './chunks.ts';
import { benchEncode } from './encode.ts';
import { benchEncodeMatrix } from './encode-matrix.ts';
import { type ForeignCpu, foreignCpuMeter, machineInfo } from './machine.ts';
import { benchPerTitle } from './per-title.ts';
import { benchPictures } from './pictures.ts';
import { benchProbe, benchUpload, uploadToReady } from './probe.ts';
import { benchScale } from './scale.ts';
import { log, round, timed } from './stats.ts';
import { benchStream } from './stream.ts';
import { benchUploadThroughput } from './upload.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function runs(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

const SECTIONS = [
  'boot',
  'probe',
  'upload',
  'encode',
  'pictures',
  'uploadThroughput',
  'stream',
  'player',
  'encodeMatrix',
  'scale',
  'beacons',
  'chunks',
  'perTitle',
] as const;
type Section = (typeof SECTIONS)[number];

function sections(): Set<Section> {
  const raw = process.env.BENCH_ONLY;
  if (!raw) return new Set(SECTIONS);
  const wanted = raw.split(',').map((s) => s.trim());
  for (const w of wanted) {
    if (!SECTIONS.includes(w as Section)) throw new Error(`BENCH_ONLY: unknown section "${w}"`);
  }
  return new Set(wanted as Section[]);
}

async function main(): Promise<void> {
  const started = performance.now();
  const only = sections();
  const n = {
    boot: runs('BENCH_BOOT_RUNS', 3),
    probe: runs('BENCH_PROBE_RUNS', 15),
    upload: runs('BENCH_UPLOAD_RUNS', 5),
    encode: runs('BENCH_ENCODE_RUNS', 2),
    pictures: runs('BENCH_PICTURES_RUNS', 3),
    uploadThroughput: runs('BENCH_UPLOAD_THROUGHPUT_RUNS', 5),
    player: runs('BENCH_PLAYER_RUNS', 5),
  };
  const { ffmpegPath, ffprobePath } = loadConfig();
  const paths = { ffmpegPath, ffprobePath };
  const machine = await machineInfo(repoRoot, ffmpegPath, ffprobePath);
  log(
    `${machine.cpuModel}, ${machine.nproc} cores, node ${machine.node}, load ${machine.loadAvgAtStart.join(' ')}`,
  );

  const scratch = tempDir('vodkit-bench-');
  let server: TestServer | null = null;
  try {
    log('generating fixtures with ffmpeg lavfi (testsrc2 + sine)…');
    const smallFile = path.join(scratch, 'small-640x360-3s.mp4');
    const largeFile = path.join(scratch, 'large-1080p30-30s.mp4');
    const gen = await timed(() =>
      Promise.all([
        makeClip(smallFile, { duration: 3, width: 640, height: 360, fps: 25 }),
        makeClip(largeFile, { duration: 30, width: 1920, height: 1080, fps: 30 }),
      ]),
    );
    const small = fs.readFileSync(smallFile);
    const large = fs.readFileSync(largeFile);
    const fixtures = {
      generator:
        'ffmpeg -f lavfi testsrc2 + sine, libx264 -preset ultrafast yuv420p, AAC 96k (test/fixtures.ts)',
      generateMs: Math.round(gen.ms),
      small: { name: path.basename(smallFile), bytes: small.length, spec: '640x360 25 fps H.264/AAC, 3 s' },
      large: {
        name: path.basename(largeFile),
        bytes: large.length,
        spec: '1920x1080 30 fps H.264/AAC, 30 s',
      },
    };
    log(`fixtures ready in ${fixtures.generateMs} ms (${small.length} B, ${large.length} B)`);

    const result: Record<string, unknown> = {
      schema: 'vodkit-bench/1',
      machine,
      runs: n,
      fixtures,
    };

    // CPU taken by other processes while each section ran: a busy neighbour inflates absolute figures.
    const foreignCpu: Record<string, ForeignCpu | null> = {};
    result.foreignCpu = foreignCpu;
    const section = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const stop = foreignCpuMeter();
      const value = await fn();
      foreignCpu[name] = stop();
      return value;
    };

    if (only.has('boot')) {
      log(`boot: ${n.boot} runs per subject`);
      result.boot = await section('boot', () => benchBoot(repoRoot, n.boot));
    }
    if (only.has('probe')) {
      result.probe = await section('probe', async () => ({
        method:
          'media/probe.ts probeFile() (spawn, allowlisted demuxers, JSON → MediaMetadata) vs raw ffprobe via execFile on the same file; interleaved, 1 warm-up each; median and nearest-rank p95',
        small: await benchProbe(paths, fixtures.small.name, smallFile, n.probe),
        large: await benchProbe(paths, fixtures.large.name, largeFile, n.probe),
      }));
    }
    if (only.has('pictures')) {
      const { metadata } = await probeFile(paths, largeFile, { timeoutMs: 30_000 });
      result.pictures = await section('pictures', () =>
        benchPictures(paths, fixtures.large.name, largeFile, metadata, n.pictures, scratch),
      );
    }
    if (only.has('stream')) {
      const rounds = runs('BENCH_STREAM_ROUNDS', 2);
      const fixed = process.env.BENCH_STREAM_REQUESTS ? runs('BENCH_STREAM_REQUESTS', 1000) : null;
      result.stream = await section('stream', () =>
        benchStream(repoRoot, small, rounds, (c) => fixed ?? Math.max(1000, 2 * c)),
      );
    }
    if (only.has('upload') || only.has('encode') || only.has('encodeMatrix') || only.has('scale')) {
      log('starting an in-process Vodkit server (test/server.ts startServer)…');
      // The server's settings from this environment (VOD_PER_TITLE=0, FFMPEG_PATH, …): same knobs as npm start.
      const serverEnv = Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] => /^(VOD_|FFMPEG_PATH$|FFPROBE_PATH$)/.test(e[0]) && e[1] !== undefined,
        ),
      );
      server = await startServer(serverEnv, path.join(scratch, 'server-data'));
      const s = server;
      const token = await s.token();
      if (only.has('upload')) {
        const large3 = Math.min(3, n.upload);
        result.uploadToReady = await section('uploadToReady', async () => ({
          small: await benchUpload(s, token, paths, fixtures.small.name, small, n.upload, scratch),
          large: await benchUpload(s, token, paths, fixtures.large.name, large, large3, scratch),
        }));
      }
      if (only.has('encode')) {
        const { fileId, record } = await uploadToReady(s, token, large, fixtures.large.name);
        log(`encode: ${n.encode} run(s) each of the Vodkit ladder and the top-rung baseline`);
        result.encode = await section('encode', () =>
          benchEncode(s, token, paths, fileId, largeFile, record.metadata!, n.encode, scratch),
        );
      }
      if (only.has('encodeMatrix')) {
        // Its own server with per-title off (BENCH_MATRIX_PER_TITLE=1 keeps it on): the naive side is
        // given the fixed ladder's CRF and caps, and the SSIM guard is at equal bitrate. Per-title has
        // its own section (perTitle).
        const perTitle = process.env.BENCH_MATRIX_PER_TITLE === '1';
        const m = await startServer(
          { ...serverEnv, ...(perTitle ? {} : { VOD_PER_TITLE: '0' }) },
          path.join(scratch, 'matrix-server-data'),
        );
        try {
          result.encodeMatrix = await section('encodeMatrix', async () => ({
            perTitle,
            ...(await benchEncodeMatrix(m, paths, scratch)),
          }));
        } finally {
          await m.close();
        }
      }
      if (only.has('scale')) {
        const n = runs('BENCH_SCALE_RUNS', 2);
        log(`scale: ${n} interleaved run(s) each, embedded vs API node + worker on PostgreSQL + S3`);
        result.scale = await section('scale', () => benchScale(s, large, fixtures.large.name, n));
      }
    }

    if (only.has('chunks')) {
      result.chunks = await section('chunks', () => benchChunks(paths, scratch));
    }
    if (only.has('perTitle')) {
      result.perTitle = await section('perTitle', () => benchPerTitle(paths, scratch));
    }
    if (only.has('uploadThroughput')) {
      // tus (one PATCH, 8 MB chunks) vs bare @tus/server vs a raw streaming PUT, each its own process.
      const mib = runs('BENCH_UPLOAD_THROUGHPUT_MIB', 64);
      log(`upload throughput: ${n.uploadThroughput} rounds of ${mib} MiB per subject`);
      result.uploadThroughput = await section('uploadThroughput', () =>
        benchUploadThroughput(repoRoot, n.uploadThroughput, mib),
      );
    }
    if (only.has('beacons')) {
      const requests = runs('BENCH_BEACONS_REQUESTS', 20_000);
      log(`beacons: ${requests} beacons and segment GETs per measurement, embedded then PostgreSQL`);
      result.beacons = await section('beacons', () =>
        benchBeacons(repoRoot, scratch, small, fixtures.small.name, requests),
      );
    }
    if (only.has('player')) {
      log(`player: ${n.player} first-frame runs per subject in Chromium, 360° frame rate, bundle sizes`);
      result.player = await section('player', () => benchPlayer(n.player));
    }

    // The end figure includes the bench's own encodes; only the start one tells of other work.
    result.machine = { ...machine, loadAvgAtEnd: os.loadavg().map((v) => round(v, 2)) };
    // Each baseline shares the machine with its subject, so ratios survive some noise; absolute figures don't.
    const before = machine.loadAvgAtStart[0] ?? 0;
    const warnings: string[] = [];
    if (before > 0.5) warnings.push(`1-minute load average was ${before} at start: other work was running`);
    for (const [name, f] of Object.entries(foreignCpu)) {
      if (f && f.foreignShare > 0.1) {
        warnings.push(
          `${name}: other processes took ${Math.round(f.foreignShare * 100)}% of the CPU (${f.foreignCpuS} s), so its absolute figures are inflated`,
        );
      }
    }
    result.warnings = warnings;
    result.totalS = round((performance.now() - started) / 1000, 1);
    const json = JSON.stringify(result, null, 2);
    const outDir = path.join(repoRoot, 'bench/results');
    fs.mkdirSync(outDir, { recursive: true });
    const outFile = path.join(outDir, `${machine.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(outFile, `${json}\n`);
    log(`done in ${result.totalS} s; written to ${path.relative(repoRoot, outFile)}`);
    process.stdout.write(`${json}\n`);
  } finally {
    await server?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** In Chromium, from the e2e workspace (it needs the DOM types and Playwright): a child process. */
async function benchPlayer(runs: number): Promise<unknown> {
  const { execFile } = await import('node:child_process');
  const script = path.join(repoRoot, 'e2e/bench/player.ts');
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', script, String(runs)],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))),
    );
    child.stderr?.pipe(process.stderr);
  });
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
