import fs from 'node:fs';
import path from 'node:path';
import { startChunkedEncode } from '../src/media/chunked-encode.ts';
import { planChunks } from '../src/media/chunks.ts';
import { scheduleOf } from '../src/media/encode-args.ts';
import type { FfmpegPaths } from '../src/media/ffmpeg.ts';
import { probeKeyframes } from '../src/media/keyframes.ts';
import { planLadder } from '../src/media/ladder.ts';
import { probeFile } from '../src/media/probe.ts';
import { gridCut } from '../src/media/schedule.ts';
import { makeClip, x264 } from '../test/fixtures.ts';
import { log, ratio, round, timed } from './stats.ts';

/**
 * Chunked encoding (issue 17 #2): the whole ladder of one source encoded in chunks by 1, 2 and 4
 * lanes, each ffmpeg held to one thread (`VOD_ENCODE_THREADS=1`, a lane standing in for one
 * machine), in the same run; ratio = the 1-lane time ÷ that lane count's (≥ 1.7 wanted for 2). On a
 * 2-core machine, 4 lanes measure the overhead. Knobs: BENCH_CHUNKS_SOURCE_S (120),
 * BENCH_CHUNKS_SECONDS (20: a 2-minute source must make at least 4 chunks), BENCH_CHUNKS_LANES (1,2,4).
 */
export async function benchChunks(paths: FfmpegPaths, scratch: string) {
  const sourceS = Number(process.env.BENCH_CHUNKS_SOURCE_S ?? 120);
  const chunkS = Number(process.env.BENCH_CHUNKS_SECONDS ?? 20);
  const lanes = (process.env.BENCH_CHUNKS_LANES ?? '1,2,4').split(',').map(Number);
  const source = path.join(scratch, `chunks-720p-${sourceS}s.mp4`);
  if (!fs.existsSync(source)) {
    log(`chunks: making a ${sourceS} s 720p30 source (2 s GOPs)`);
    await makeClip(source, { duration: sourceS, width: 1280, height: 720, fps: 30, video: x264('-g', '60') });
  }
  const { metadata } = await probeFile(paths, source, { timeoutMs: 60_000 });
  const keyframes = await probeKeyframes(paths, source, 60_000);
  const plan = planLadder(metadata, { keyframes });
  const grid = (n: number) => gridCut(scheduleOf(plan), plan.forcedKeyframes?.times ?? null, n);
  const chunks = planChunks(grid, keyframes.times, metadata.duration, chunkS);
  const curve: { lanes: number; ms: number; ratioVs1: number | null }[] = [];
  for (const n of lanes) {
    const outDir = path.join(scratch, `chunks-out-${n}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    log(`chunks: ${chunks.length} chunks, ${n} lane(s), one thread each`);
    const { ms } = await timed(
      () =>
        startChunkedEncode({
          paths,
          input: source,
          outDir,
          plan,
          durationS: metadata.duration,
          maxDurationS: 4 * 3600,
          timeoutMs: 3600_000,
          threads: 1,
          chunks,
          originS: keyframes.offsetS,
          parallel: n,
        }).done,
    );
    fs.rmSync(outDir, { recursive: true, force: true });
    const one = curve.find((c) => c.lanes === 1);
    curve.push({ lanes: n, ms: round(ms), ratioVs1: one ? ratio(one.ms, ms) : null });
  }
  return {
    source: { seconds: round(metadata.duration, 3), width: 1280, height: 720, fps: 30 },
    rungs: plan.rungs.map((r) => `${r.name}${r.copy ? ' (copied)' : ''}`),
    chunkSeconds: chunkS,
    chunks: chunks.map((c) => [c.fromS, c.toS]),
    threadsPerProcess: 1,
    curve,
  };
}
