import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, makeClip, tempDir } from '../../test/fixtures.ts';
import { blackThenBars, imageStats } from '../../test/pictures.ts';
import { planStoryboard, renderStoryboard } from './storyboard.ts';
import { PictureError, renderFrames, renderPoster } from './thumbnails.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
const source = { width: 640, height: 360, hdr: false };

let dir: string;
beforeAll(() => {
  dir = tempDir('vodkit-thumbs-');
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('renderPoster', () => {
  it('skips the black opening: the poster of black-then-bars shows the bars', async () => {
    const input = await blackThenBars(path.join(dir, 'black-bars.mp4'));
    const file = path.join(dir, 'poster.jpg');
    const pass = await renderPoster({
      paths,
      input,
      source,
      durationS: 6,
      file,
      width: 640,
      height: 360,
      timeoutMs: 30_000,
    });
    expect(pass).toBe('keyframes');
    const stats = await imageStats(file);
    expect(stats).toMatchObject({ width: 640, height: 360, codec: 'mjpeg' });
    // Black is ~16 (limited range) and flat; SMPTE bars are bright and varied.
    expect(stats.meanY).toBeGreaterThan(60);
    expect(stats.stdY).toBeGreaterThan(30);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('decodes every frame when no keyframe qualifies, and falls back to 10% when none does', async () => {
    // One keyframe (at 0, black) for the whole clip: only the decoded pass sees the bars.
    const oneGop = path.join(dir, 'one-gop.mp4');
    await blackThenBars(oneGop);
    const reencoded = path.join(dir, 'one-gop-x.mp4');
    const { execFile } = await import('node:child_process');
    await new Promise<void>((resolve, reject) =>
      execFile(
        paths.ffmpegPath,
        [
          '-v',
          'error',
          '-y',
          '-i',
          oneGop,
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-g',
          '1000',
          reencoded,
        ],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const file = path.join(dir, 'poster-decoded.jpg');
    expect(
      await renderPoster({
        paths,
        input: reencoded,
        source,
        durationS: 6,
        file,
        width: 320,
        height: 180,
        timeoutMs: 30_000,
      }),
    ).toBe('decoded');
    expect((await imageStats(file)).meanY).toBeGreaterThan(60);

    const black = path.join(dir, 'all-black.mp4');
    await blackThenBars(black, 3, 0.04);
    const fallback = path.join(dir, 'poster-fallback.jpg');
    expect(
      await renderPoster({
        paths,
        input: black,
        source,
        durationS: 3,
        file: fallback,
        width: 320,
        height: 180,
        timeoutMs: 30_000,
      }),
    ).toBe('fallback');
    expect((await imageStats(fallback)).width).toBe(320);
  });

  it('analyses only the keyframes of a VP9 source, whose decoder ignores -skip_frame', async () => {
    const input = await makeClip(path.join(dir, 'vp9.webm'), {
      duration: 3,
      width: 640,
      height: 360,
      fps: 30,
      audio: null,
      video: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-b:v', '1M'],
    });
    let at: number | null = null;
    const pass = await renderPoster({
      paths,
      input,
      source,
      durationS: 3,
      file: path.join(dir, 'poster-vp9.jpg'),
      width: 320,
      height: 180,
      timeoutMs: 30_000,
      onChosen: (t) => {
        at = t;
      },
    });
    expect(pass).toBe('keyframes');
    // Keyframes every 30 frames: 0, 1 and 2 s. Every frame was a candidate before (the pass's cost).
    expect([0, 1, 2].some((k) => Math.abs(at! - k) < 0.002)).toBe(true);
  });
});

describe('renderFrames', () => {
  it('writes one instant in several sizes and formats from one seek', async () => {
    const input = await clips.h264Aac(dir, { duration: 4 });
    const outputs = [
      { file: path.join(dir, 'a.jpg'), width: 320, height: 180, format: 'jpg' as const },
      { file: path.join(dir, 'a.webp'), width: 640, height: 360, format: 'webp' as const },
    ];
    await renderFrames({ paths, input, source, timeS: 2.5, outputs, timeoutMs: 30_000 });
    expect(await imageStats(outputs[0]!.file)).toMatchObject({ width: 320, height: 180, codec: 'mjpeg' });
    expect(await imageStats(outputs[1]!.file)).toMatchObject({ width: 640, height: 360, codec: 'webp' });
  });

  it('says picture_empty past the last frame, and picture_aborted / picture_timeout when stopped', async () => {
    const input = await clips.videoOnly(dir, { duration: 2 });
    const file = path.join(dir, 'none.jpg');
    const out = [{ file, width: 64, height: 36, format: 'jpg' as const }];
    await expect(
      renderFrames({ paths, input, source, timeS: 30, outputs: out, timeoutMs: 30_000 }),
    ).rejects.toMatchObject({
      code: 'picture_empty',
    });
    expect(fs.existsSync(file)).toBe(false);

    const abort = new AbortController();
    abort.abort();
    const aborted = renderFrames({
      paths,
      input,
      source,
      timeS: 1,
      outputs: out,
      timeoutMs: 30_000,
      signal: abort.signal,
    });
    await expect(aborted).rejects.toBeInstanceOf(PictureError);
    await expect(aborted).rejects.toMatchObject({ code: 'picture_aborted' });

    await expect(
      renderFrames({ paths, input, source, timeS: 1, outputs: out, timeoutMs: 1 }),
    ).rejects.toMatchObject({
      code: 'picture_timeout',
    });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('decodes no frame larger than maxPixels (the cap reaches the decoder of every picture)', async () => {
    const input = await makeClip(path.join(dir, 'capped.mp4'), {
      duration: 1,
      width: 640,
      height: 360,
      audio: null,
    });
    const file = path.join(dir, 'capped.jpg');
    const out = [{ file, width: 64, height: 36, format: 'jpg' as const }];
    const render = (maxPixels: number) =>
      renderFrames({ paths, input, source, timeS: 0.5, outputs: out, timeoutMs: 30_000, maxPixels });
    await expect(render(640 * 360 - 1)).rejects.toBeInstanceOf(PictureError);
    expect(fs.existsSync(file)).toBe(false);
    await render(640 * 360);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('refuses what the demuxer allowlist refuses (a concat list is not opened)', async () => {
    const list = path.join(dir, 'list.ffconcat');
    fs.writeFileSync(list, `ffconcat version 1.0\nfile '${path.join(dir, 'h264-aac.mp4')}'\n`);
    await expect(
      renderFrames({
        paths,
        input: list,
        source,
        timeS: 0,
        outputs: [{ file: path.join(dir, 'c.jpg'), width: 64, height: 36, format: 'jpg' }],
        timeoutMs: 30_000,
      }),
    ).rejects.toMatchObject({ code: 'picture_failed' });
  });

  it('tone-maps a 10-bit HDR (PQ) source for its poster, frames and storyboard', async () => {
    const input = await makeClip(path.join(dir, 'hdr.mp4'), {
      duration: 2,
      width: 640,
      height: 360,
      audio: null,
      video: [
        ...['-vf', 'format=yuv420p10le', '-c:v', 'libx265', '-preset', 'ultrafast'],
        ...[
          '-x265-params',
          'log-level=error:keyint=25:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc',
        ],
        ...['-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc'],
      ],
    });
    const hdr = { width: 640, height: 360, hdr: true };
    const frame = path.join(dir, 'hdr.webp');
    await renderFrames({
      paths,
      input,
      source: hdr,
      timeS: 1,
      outputs: [{ file: frame, width: 320, height: 180, format: 'webp' }],
      timeoutMs: 30_000,
    });
    expect(await imageStats(frame)).toMatchObject({ width: 320, height: 180, codec: 'webp' });
    const poster = path.join(dir, 'hdr-poster.jpg');
    await renderPoster({
      paths,
      input,
      source: hdr,
      durationS: 2,
      file: poster,
      width: 640,
      height: 360,
      timeoutMs: 30_000,
    });
    expect(await imageStats(poster)).toMatchObject({ width: 640, height: 360, codec: 'mjpeg' });
    const outDir = path.join(dir, 'hdr-storyboard');
    fs.mkdirSync(outDir);
    await renderStoryboard({
      paths,
      input,
      source: hdr,
      plan: planStoryboard(2, hdr)!,
      outDir,
      timeoutMs: 30_000,
    });
    expect(await imageStats(path.join(outDir, 'storyboard.jpg'))).toMatchObject({ width: 320, height: 90 });
  });
});
