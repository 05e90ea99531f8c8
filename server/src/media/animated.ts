import fs from 'node:fs';
import { deinterlaceFilters } from './deinterlace.ts';
import type { FfmpegPaths } from './ffmpeg.ts';
import type { SourceInput } from './source.ts';
import { PictureError, runPictureFfmpeg, type SourcePicture, TONE_MAP_FILTERS } from './thumbnails.ts';

/**
 * Animated previews (issue 15 §6): a few seconds of the source as an animated WebP or GIF, one short
 * ffmpeg like the still pictures (input-side seek, `-t` bounds what is read and decoded).
 */

export type AnimatedFormat = 'webp' | 'gif';

export interface RenderAnimatedOptions {
  paths: FfmpegPaths;
  input: SourceInput;
  source: SourcePicture;
  maxPixels?: number | undefined;
  startS: number;
  durationS: number;
  width: number;
  height: number;
  fps: number;
  format: AnimatedFormat;
  file: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Renders `[startS, startS + durationS)` at `fps` and `width`×`height` into `file` (through
 * `<file>.tmp`, renamed when whole). WebP: libwebp_anim, lossy, looping. GIF: a palette made for
 * these frames (`palettegen` → `paletteuse`), 128 colours, ordered dithering, which compresses far
 * better than error diffusion. Rejects with `picture_empty` when the span has no frame.
 */
export async function renderAnimated(o: RenderAnimatedOptions): Promise<void> {
  const chain = [
    ...deinterlaceFilters(o.source.interlaced),
    ...(o.source.hdr ? TONE_MAP_FILTERS : []),
    `fps=${o.fps}`,
    `scale=${o.width}:${o.height}:flags=lanczos`,
    'setsar=1',
  ].join(',');
  const filterComplex =
    o.format === 'gif'
      ? `[0:V:0]${chain},split[a][b];[a]palettegen=max_colors=128:stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=3[out]`
      : `[0:V:0]${chain}[out]`;
  const codec =
    o.format === 'gif'
      ? ['-c:v', 'gif', '-loop', '0', '-f', 'gif']
      : ['-c:v', 'libwebp_anim', '-quality', '70', '-compression_level', '4', '-loop', '0', '-f', 'webp'];
  const tmp = `${o.file}.tmp`;
  try {
    await runPictureFfmpeg({
      paths: o.paths,
      input: o.input,
      maxPixels: o.maxPixels,
      // A clip's pictures count from its span's start in the source.
      inputOptions: [
        '-ss',
        (o.startS + (o.source.range?.start ?? 0)).toFixed(3),
        '-t',
        o.durationS.toFixed(3),
      ],
      filterComplex,
      outputs: [{ target: tmp, options: ['-map', '[out]', '-an', '-sn', '-dn', ...codec] }],
      timeoutMs: o.timeoutMs,
      signal: o.signal,
    });
    const size = await fs.promises.stat(tmp).then(
      (s) => s.size,
      () => 0,
    );
    if (size === 0) throw new PictureError('picture_empty', `no frame from ${o.startS} s`);
    await fs.promises.rename(tmp, o.file);
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}
