import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { clusterEnv, dropClusterDatabase, type Node, startApi, startWorker } from '../scale/cluster.ts';
import type { FfmpegPaths } from '../src/media/ffmpeg.ts';
import { makeClip, x264 } from '../test/fixtures.ts';
import { devKeyToken, type TestServer } from '../test/server.ts';
import { vodkitEncode } from './encode.ts';
import { uploadToReady } from './probe.ts';
import { services } from './scale.ts';
import { log, ratio } from './stats.ts';

/**
 * Chunked encoding (issue 17 #2), in one run on one 2-minute 720p source with x264's default
 * 250-frame GOPs (the hardest common input: no rung is copied, so every rung is chunked work), by an
 * API node + N worker processes on PostgreSQL + radosgw from scripts/services.sh, one job at a time per
 * worker, a fresh database per run; seconds = POST job → `completed`:
 * - the curve: 1, 2 and 4 workers, each standing in for a one-core machine: pinned to one CPU (worker
 *   i on CPU i mod nproc, with every ffmpeg it starts: `taskset`) and held to one thread per ffmpeg
 *   (`VOD_ENCODE_THREADS=1`). Without the pin a lone worker's side processes (audio, pictures, its
 *   start group beside its chunks) spread over both cores, and the baseline is not one machine's.
 *   Ratio = the 1-worker time ÷ that count's (≥ 1.7 wanted for 2; on a 2-core machine, 4 workers
 *   measure the overhead); `chunksBy` counts the chunks each worker encoded (chunk_tasks.done_by);
 * - a lone worker with ffmpeg's own thread count (the embedded default), whole and chunked: what
 *   turning chunking on by default would cost (or save) a single-machine install.
 * Knobs: BENCH_CHUNKS_SOURCE_S (120), BENCH_CHUNKS_SECONDS (10: a film in 60 s chunks makes dozens,
 * and a 2-minute source must too; at 20 s its 5 chunks leave one of 2 workers idle for the whole last
 * chunk), BENCH_CHUNKS_WORKERS (1,2,4), BENCH_CHUNKS_GOP (x264's keyint; default 250),
 * BENCH_CHUNKS_PIN (1; 0 leaves the workers unpinned), BENCH_CHUNKS_LONE (0; 1 adds the lone-worker
 * pair, unpinned, about two more minutes on 2 cores: off by default to keep the section near 6 minutes).
 */
export async function benchChunks(_paths: FfmpegPaths, scratch: string) {
  const sourceS = Number(process.env.BENCH_CHUNKS_SOURCE_S ?? 120);
  const chunkS = Number(process.env.BENCH_CHUNKS_SECONDS ?? 10);
  const counts = (process.env.BENCH_CHUNKS_WORKERS ?? '1,2,4').split(',').filter(Boolean).map(Number);
  const gop = Number(process.env.BENCH_CHUNKS_GOP ?? 250);
  const pin = process.env.BENCH_CHUNKS_PIN !== '0';
  const cpus = os.availableParallelism();
  const source = path.join(scratch, `chunks-720p-${sourceS}s-g${gop}.mp4`);
  if (!fs.existsSync(source)) {
    log(`chunks: making a ${sourceS} s 720p30 source (${gop}-frame GOPs)`);
    await makeClip(source, {
      duration: sourceS,
      width: 1280,
      height: 720,
      fps: 30,
      video: x264('-g', String(gop)),
    });
  }
  const bytes = fs.readFileSync(source);
  const svc = await services();
  let rungs: string[] = [];

  /** One encode of the source by `workers` fresh worker processes; chunked when `chunked`. */
  const encodeWith = async (
    workers: number,
    { chunked, oneThread, pinned }: { chunked: boolean; oneThread: boolean; pinned: boolean },
  ) => {
    const env = await clusterEnv(svc.env, {
      ...(chunked ? { VOD_CHUNK_SECONDS: String(chunkS) } : {}),
      ...(oneThread ? { VOD_ENCODE_THREADS: '1' } : {}),
      VOD_ENCODE_CONCURRENCY: '1',
    });
    const nodes: Node[] = [];
    try {
      const api = await startApi('bench-chunks-api', env);
      nodes.push(api);
      nodes.push(
        ...(await Promise.all(
          Array.from({ length: workers }, (_, i) =>
            startWorker(`bench-w${i}`, env, pinned ? { cpus: String(i % cpus) } : {}),
          ),
        )),
      );
      const token = await devKeyToken(api.dataDir, ['allow_upload', 'allow_encode', 'allow_read']);
      const server = { baseUrl: api.baseUrl! } as TestServer;
      const { fileId } = await uploadToReady(server, token, bytes, path.basename(source));
      log(
        `chunks: ${workers} worker(s), ${oneThread ? 'one thread each' : "ffmpeg's threads"}${pinned ? ', one CPU each' : ''}, ${chunked ? `${chunkS} s chunks` : 'whole'}`,
      );
      const run = await vodkitEncode(server, token, fileId);
      rungs = run.renditions;
      const db = new pg.Client({ connectionString: env.VOD_DATABASE_URL });
      await db.connect();
      const { rows } = await db
        .query<{ n: number }>('SELECT count(*)::int AS n FROM chunk_tasks GROUP BY done_by ORDER BY n DESC')
        .finally(() => db.end());
      return { seconds: run.completedS, playableS: run.playbackS, chunksBy: rows.map((r) => r.n) };
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
      await dropClusterDatabase(svc.env, env).catch(() => {});
    }
  };

  const curve: {
    workers: number;
    seconds: number;
    playableS: number;
    ratioVs1: number | null;
    chunksBy: number[];
  }[] = [];
  let lone: { whole: unknown; chunked: unknown; chunkedVsWhole: number } | null = null;
  try {
    for (const n of counts) {
      const r = await encodeWith(n, { chunked: true, oneThread: true, pinned: pin });
      const one = curve.find((c) => c.workers === 1);
      curve.push({ workers: n, ...r, ratioVs1: one ? ratio(one.seconds, r.seconds) : null });
    }
    if (process.env.BENCH_CHUNKS_LONE === '1') {
      const whole = await encodeWith(1, { chunked: false, oneThread: false, pinned: false });
      const chunked = await encodeWith(1, { chunked: true, oneThread: false, pinned: false });
      lone = {
        whole: { seconds: whole.seconds, playableS: whole.playableS },
        chunked: { seconds: chunked.seconds, playableS: chunked.playableS },
        chunkedVsWhole: ratio(chunked.seconds, whole.seconds),
      };
    }
  } finally {
    await svc.stop();
  }
  return {
    method:
      'one API node + N worker processes (VOD_ENCODE_CONCURRENCY=1, VOD_ENCODE_THREADS=1) on PostgreSQL + radosgw, a fresh database per run; seconds = POST job → completed (API polling)',
    pinned: pin ? `worker i on CPU i mod ${cpus} (taskset)` : false,
    source: { seconds: sourceS, width: 1280, height: 720, fps: 30, gopFrames: gop },
    rungs,
    chunkSeconds: chunkS,
    curve,
    goal: '2 workers ≥ 1.7 × faster than 1',
    loneWorker: lone,
  };
}
