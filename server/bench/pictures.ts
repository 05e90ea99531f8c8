import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MediaMetadata } from '@vodkit/api';
import { planStoryboard, renderStoryboard } from '../src/media/storyboard.ts';
import { heightFor, renderFrames, renderPoster } from '../src/media/thumbnails.ts';
import type { Paths } from './probe.ts';
import { log, ratio, summarize, timed } from './stats.ts';

const run = promisify(execFile);

/**
 * Pictures on one source, each against a baseline in the same run, interleaved:
 * - storyboard: keyframes only (`-skip_frame nokey`, what Vodkit does) vs the same graph decoding
 *   every frame;
 * - on-demand thumbnail at 50%, 640 wide: input-side seek (`-ss` before `-i`, what Vodkit does) vs
 *   output-side seek (decode from the start);
 * - poster: the representative-frame search (no baseline: its cost beside the thumbnail above).
 */
export async function benchPictures(
  paths: Paths,
  name: string,
  input: string,
  metadata: MediaMetadata,
  runs: number,
  scratch: string,
) {
  const video = metadata.video!;
  const source = { width: video.width, height: video.height, hdr: video.hdr };
  const plan = planStoryboard(metadata.duration, source)!;
  const dir = path.join(scratch, 'pictures');
  fs.mkdirSync(dir, { recursive: true });
  const at = metadata.duration / 2;
  const width = Math.min(640, source.width);
  const height = heightFor(source, width);
  const timeoutMs = 300_000;

  const samples = {
    storyboardKeyframes: [] as number[],
    storyboardAllFrames: [] as number[],
    thumbnailInputSeek: [] as number[],
    thumbnailOutputSeek: [] as number[],
    poster: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    log(`pictures: run ${i + 1}/${runs}`);
    samples.storyboardKeyframes.push(
      (await timed(() => renderStoryboard({ paths, input, source, plan, outDir: dir, timeoutMs }))).ms,
    );
    samples.storyboardAllFrames.push(
      (
        await timed(() =>
          renderStoryboard({ paths, input, source, plan, outDir: dir, timeoutMs, keyframesOnly: false }),
        )
      ).ms,
    );
    const outputs = [{ file: path.join(dir, 'thumb.jpg'), width, height, format: 'jpg' as const }];
    samples.thumbnailInputSeek.push(
      (await timed(() => renderFrames({ paths, input, source, timeS: at, outputs, timeoutMs }))).ms,
    );
    samples.thumbnailOutputSeek.push(
      (
        await timed(() =>
          run(paths.ffmpegPath, [
            ...['-v', 'error', '-y', '-i', input, '-ss', at.toFixed(3)],
            ...[
              '-frames:v',
              '1',
              '-vf',
              `scale=${width}:${height}`,
              '-q:v',
              '3',
              path.join(dir, 'thumb-out.jpg'),
            ],
          ]),
        )
      ).ms,
    );
    samples.poster.push(
      (
        await timed(() =>
          renderPoster({
            paths,
            input,
            source,
            durationS: metadata.duration,
            file: path.join(dir, 'poster.jpg'),
            width: Math.min(1280, source.width),
            height: heightFor(source, Math.min(1280, source.width)),
            timeoutMs,
          }),
        )
      ).ms,
    );
  }
  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<
    keyof typeof samples,
    ReturnType<typeof summarize>
  >;
  return {
    method:
      'media/storyboard.ts and media/thumbnails.ts called directly on the fixture, each subject interleaved with its baseline; median and nearest-rank p95',
    fixture: name,
    storyboard: {
      tiles: plan.count,
      intervalMs: plan.intervalMs,
      keyframesOnly: s.storyboardKeyframes,
      baselineEveryFrame: s.storyboardAllFrames,
      ratioToBaseline: ratio(s.storyboardKeyframes.medianMs, s.storyboardAllFrames.medianMs),
    },
    thumbnail: {
      at,
      width,
      inputSideSeek: s.thumbnailInputSeek,
      baselineOutputSideSeek: s.thumbnailOutputSeek,
      ratioToBaseline: ratio(s.thumbnailInputSeek.medianMs, s.thumbnailOutputSeek.medianMs),
    },
    poster: s.poster,
  };
}
