import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ffmpeg = () => process.env.FFMPEG_PATH || 'ffmpeg';

/**
 * How combed a picture or video is: the luma difference between neighbouring lines (one from each
 * field) over the difference between lines two apart (the same field). Progressive pictures are
 * smoother across one line than across two (0.5–0.8); a frame of two fields taken at different
 * instants is not, wherever something moves (1.4 and up on the fixtures of fixtures.ts `interlacedClip`).
 * Every frame of the file counts; `filter` (e.g. a deinterlacer) runs on them first.
 */
export async function combRatio(file: string, filter = 'null'): Promise<number> {
  const { stdout: probe } = await run(process.env.FFPROBE_PATH || 'ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    file,
  ]);
  const { stdout } = await run(
    ffmpeg(),
    ['-v', 'error', '-i', file, '-vf', `${filter},format=gray`, '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 256 << 20, timeout: 60_000 },
  );
  // A TS lists its stream once per program too: the first line is enough.
  const [w, h] = probe.trim().split('\n')[0]!.split(',').map(Number) as [number, number];
  const frames = Math.floor(stdout.length / (w * h));
  let adjacent = 0;
  let apart = 0;
  for (let f = 0; f < frames; f++) {
    const base = f * w * h;
    for (let y = 0; y + 2 < h; y++) {
      const row = base + y * w;
      for (let x = 0; x < w; x++) {
        const p = stdout[row + x]!;
        adjacent += Math.abs(p - stdout[row + w + x]!);
        apart += Math.abs(p - stdout[row + 2 * w + x]!);
      }
    }
  }
  return apart === 0 ? 0 : adjacent / apart;
}

/** ffmpeg's `idet` over every frame: multi-frame counts of top-first, bottom-first and progressive frames. */
export async function idet(file: string): Promise<{ tff: number; bff: number; progressive: number }> {
  const { stderr } = await run(ffmpeg(), ['-hide_banner', '-i', file, '-vf', 'idet', '-f', 'null', '-'], {
    timeout: 60_000,
  });
  const m = /Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+)/.exec(stderr);
  if (!m) throw new Error(`idet printed no counts: ${stderr.slice(-300)}`);
  return { tff: Number(m[1]), bff: Number(m[2]), progressive: Number(m[3]) };
}
