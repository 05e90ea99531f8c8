import fs from 'node:fs';
import path from 'node:path';
import { probeComplexity } from '../src/media/complexity.ts';
import { REST_NICE, startEncode } from '../src/media/encode.ts';
import { encodeGroups } from '../src/media/encode-args.ts';
import type { FfmpegPaths } from '../src/media/ffmpeg.ts';
import { type EncodePlan, planLadder } from '../src/media/ladder.ts';
import { type PerTitleDecision, tunePlan } from '../src/media/per-title.ts';
import { probeFile } from '../src/media/probe.ts';
import { type Content, makeClip } from '../test/fixtures.ts';
import { joinRendition, preFilters, type Quality, quality } from './encode-matrix.ts';
import { log, ratio, round } from './stats.ts';

/*
 * `BENCH_ONLY=perTitle npm run bench` (issue 17 #3): three sources of known difficulty (test/fixtures.ts
 * contentSource: static, average, motion), each encoded twice in the same run by media/encode.ts —
 * the fixed ladder, then per-title (the complexity probe beside the start group, the later groups
 * tuned) — with each rung's video bytes and SSIM against the source (encode-matrix.ts quality()).
 * Goal: ≥ 25% fewer bytes on the static source, no rung's SSIM lower by more than 0.005.
 * Knobs: BENCH_PER_TITLE_SECONDS (7), BENCH_PER_TITLE_HEIGHT (1080; 16:9, 30 fps),
 * BENCH_PER_TITLE_SOURCES (static,average,motion).
 */

const GOAL_SAVED = 0.25;
const GOAL_SSIM_DROP = 0.005;

interface Run {
  plan: EncodePlan;
  playableMs: number | null;
  encodeMs: number;
}

async function encode(
  paths: FfmpegPaths,
  source: string,
  outDir: string,
  plan: EncodePlan,
  durationS: number,
  laterPlan?: Promise<EncodePlan>,
): Promise<Run> {
  fs.rmSync(outDir, { recursive: true, force: true });
  const t0 = performance.now();
  let playableMs: number | null = null;
  await startEncode({
    paths,
    input: source,
    outDir,
    plan,
    durationS,
    maxDurationS: 3600,
    timeoutMs: 600_000,
    onPlayable: () => {
      playableMs = Math.round(performance.now() - t0);
    },
    ...(laterPlan ? { laterPlan } : {}),
  }).done;
  return {
    plan: laterPlan ? await laterPlan : plan,
    playableMs,
    encodeMs: Math.round(performance.now() - t0),
  };
}

export async function benchPerTitle(paths: FfmpegPaths, scratch: string) {
  const seconds = Number(process.env.BENCH_PER_TITLE_SECONDS ?? 7);
  const height = Number(process.env.BENCH_PER_TITLE_HEIGHT ?? 1080);
  const width = Math.round((height * 16) / 9 / 2) * 2;
  const dir = path.join(scratch, 'per-title');
  fs.mkdirSync(dir, { recursive: true });
  const sources: Record<string, unknown>[] = [];
  const contents = (process.env.BENCH_PER_TITLE_SOURCES ?? 'static,average,motion').split(',') as Content[];
  for (const c of contents) {
    if (!['static', 'average', 'motion'].includes(c))
      throw new Error(`BENCH_PER_TITLE_SOURCES: unknown "${c}"`);
  }
  for (const content of contents) {
    const file = path.join(dir, `src-${content}.mp4`);
    log(`perTitle ${content}: making a ${seconds} s ${width}x${height}p30 source`);
    await makeClip(file, { content, duration: seconds, width, height, fps: 30, audio: null });
    const { metadata } = await probeFile(paths, file, { timeoutMs: 60_000 });
    const plan = planLadder(metadata);
    const keep = new Set(encodeGroups(plan)[0]!.rungs);

    const fixed = await encode(paths, file, path.join(dir, `${content}-fixed`), plan, metadata.duration);
    // As services/per-title.ts runs it: the probe beside the start group, the later groups waiting for it.
    let probeMs = 0;
    let decision: PerTitleDecision | null = null;
    const laterPlan = probeComplexity(paths, file, metadata, {
      timeoutMs: 60_000,
      threads: null,
      nice: REST_NICE,
    }).then((probe) => {
      probeMs = probe.ms;
      const tuned = tunePlan(plan, probe, keep);
      decision = tuned.decision;
      return tuned.plan;
    });
    const tuned = await encode(
      paths,
      file,
      path.join(dir, `${content}-tuned`),
      plan,
      metadata.duration,
      laterPlan,
    );

    const rungs = [];
    let fixedBytes = 0;
    let tunedBytes = 0;
    let worstDrop = Number.NEGATIVE_INFINITY;
    for (const [i, r] of plan.rungs.entries()) {
      const t = tuned.plan.rungs[i]!;
      const measure = (run: string): Promise<Quality> => {
        const mp4 = path.join(dir, `${content}-${run}-${r.name}.mp4`);
        joinRendition(path.join(dir, `${content}-${run}`, r.name), mp4);
        return quality(paths, mp4, file, preFilters(plan), r.width, r.height, metadata.duration);
      };
      const [a, b] = await Promise.all([measure('fixed'), measure('tuned')]);
      fixedBytes += a.bytes;
      tunedBytes += b.bytes;
      const drop = round(a.ssim - b.ssim, 5);
      worstDrop = Math.max(worstDrop, drop);
      rungs.push({
        rung: r.name,
        startGroup: keep.has(i),
        fixed: { crf: r.crf, maxrate: r.maxrate, bytes: a.bytes, ssim: a.ssim },
        perTitle: { crf: t.crf, maxrate: t.maxrate, bytes: b.bytes, ssim: b.ssim },
        bytesRatio: ratio(b.bytes, a.bytes),
        ssimDrop: drop,
      });
    }
    const saved = round(1 - tunedBytes / fixedBytes, 4);
    const result = {
      source: content,
      spec: `${seconds} s ${width}x${height} 30 fps H.264 (libx264 ultrafast) from lavfi: ${
        content === 'static'
          ? 'a still Mandelbrot frame with a small moving testsrc2 inset (a talking head)'
          : content === 'average'
            ? 'testsrc2'
            : 'testsrc2 under temporal noise (noise=alls=24:allf=t+u): every pixel moves every frame'
      }`,
      probeMs,
      decision,
      playableMs: { fixed: fixed.playableMs, perTitle: tuned.playableMs },
      encodeMs: { fixed: fixed.encodeMs, perTitle: tuned.encodeMs },
      bytes: {
        fixed: fixedBytes,
        perTitle: tunedBytes,
        ratio: ratio(tunedBytes, fixedBytes),
        savedPct: round(saved * 100, 1),
      },
      worstSsimDrop: worstDrop,
      rungs,
      ...(content === 'static'
        ? {
            goal: { savedPct: GOAL_SAVED * 100, maxSsimDrop: GOAL_SSIM_DROP },
            metGoal: saved >= GOAL_SAVED && worstDrop <= GOAL_SSIM_DROP,
          }
        : {}),
    };
    log(
      `perTitle ${content}: probe ${probeMs} ms, ${JSON.stringify(decision)}, bytes ${fixedBytes} → ${tunedBytes} (${result.bytes.savedPct}% saved), worst SSIM drop ${worstDrop}`,
    );
    sources.push(result);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  return {
    method:
      'media/encode.ts startEncode on the same source twice: the fixed ladder (media/ladder.ts planLadder), then per-title (media/complexity.ts probe beside the start group, media/per-title.ts tunePlan for the later groups); bytes: the video packets of each rung joined (init + segments); SSIM: ffmpeg ssim filter (All) against the source scaled (bicubic) to the rung (encode-matrix.ts quality)',
    goal: `static source: ≥ ${GOAL_SAVED * 100}% fewer bytes, no rung's SSIM lower by more than ${GOAL_SSIM_DROP}`,
    sources,
  };
}
