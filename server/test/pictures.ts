import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ffmpeg = () => process.env.FFMPEG_PATH || 'ffmpeg';
const ffprobe = () => process.env.FFPROBE_PATH || 'ffprobe';

/**
 * A clip that starts black and then shows colour bars (keyframe every second): the first frames are
 * exactly what a poster must not be.
 */
export async function blackThenBars(file: string, blackS = 2, barsS = 4, size = '640x360'): Promise<string> {
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...[
        '-f',
        'lavfi',
        '-i',
        `color=black:s=${size}:r=25:d=${blackS}[a];smptebars=s=${size}:r=25:d=${barsS}[b];[a][b]concat=n=2:v=1:a=0`,
      ],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', file],
    ],
    { timeout: 60_000 },
  );
  return file;
}

/**
 * A clip whose whole picture is one flat colour per segment (`colours` in order, `segmentS` each),
 * keyframe every second: which colour a tile shows says which instant it was taken from.
 */
export async function colourSteps(
  file: string,
  colours: string[],
  segmentS = 2,
  size = '320x180',
): Promise<string> {
  const inputs = colours.map((c, i) => `color=${c}:s=${size}:r=25:d=${segmentS}[c${i}]`).join(';');
  const labels = colours.map((_, i) => `[c${i}]`).join('');
  await run(
    ffmpeg(),
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `${inputs};${labels}concat=n=${colours.length}:v=1:a=0`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', file],
    ],
    { timeout: 60_000 },
  );
  return file;
}

export interface ImageStats {
  width: number;
  height: number;
  codec: string;
  /** Mean of the 8-bit luma (full range 0–255), over the image or the crop. */
  meanY: number;
  /** Standard deviation of the luma. */
  stdY: number;
  /** Mean R, G, B of the image or the crop. */
  rgb: [number, number, number];
}

/** Size and codec (ffprobe), and the luma/colour of the picture or of a crop of it (decoded by ffmpeg). */
export async function imageStats(
  file: string,
  crop?: { x: number; y: number; w: number; h: number },
): Promise<ImageStats> {
  const probe = await run(ffprobe(), [
    '-v',
    'error',
    '-show_entries',
    'stream=width,height,codec_name',
    '-of',
    'json',
    file,
  ]);
  const s = (JSON.parse(probe.stdout) as { streams: { width: number; height: number; codec_name: string }[] })
    .streams[0]!;
  const vf = [
    crop ? `crop=${crop.w}:${crop.h}:${crop.x}:${crop.y}` : 'null',
    'scale=16:16',
    'format=rgb24',
  ].join(',');
  const { stdout } = await run(
    ffmpeg(),
    ['-v', 'error', '-i', file, '-vf', vf, '-frames:v', '1', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 20 },
  );
  const px = stdout as unknown as Buffer;
  const n = px.length / 3;
  const rgb: [number, number, number] = [0, 0, 0];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [px[i * 3]!, px[i * 3 + 1]!, px[i * 3 + 2]!];
    rgb[0] += r / n;
    rgb[1] += g / n;
    rgb[2] += b / n;
    ys.push(0.2126 * r + 0.7152 * g + 0.0722 * b);
  }
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  const stdY = Math.sqrt(ys.reduce((a, y) => a + (y - meanY) ** 2, 0) / n);
  return { width: s.width, height: s.height, codec: s.codec_name, meanY, stdY, rgb };
}

export interface VttTile {
  start: number;
  end: number;
  sheet: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The cues of a `#xywh` storyboard, read the way the player's parser reads them (same regexes). */
export function parseVttTiles(vtt: string): VttTile[] {
  const seconds = (s: string) => s.split(':').reduce((t, p) => t * 60 + Number(p), 0);
  const tiles: VttTile[] = [];
  for (const m of vtt.matchAll(
    /^((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?) --> ((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)\n(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/gm,
  )) {
    tiles.push({
      start: seconds(m[1]!),
      end: seconds(m[2]!),
      sheet: m[3]!,
      x: Number(m[4]),
      y: Number(m[5]),
      w: Number(m[6]),
      h: Number(m[7]),
    });
  }
  return tiles;
}

/** The mean RGB of a 2×2 crop at the middle of `box` on the first frame of a video (a burnt-in logo). */
export async function boxCentreRgb(
  file: string,
  box: { x: number; y: number; width: number; height: number },
): Promise<[number, number, number]> {
  const x = (box.x + box.width / 2) & ~1;
  const y = (box.y + box.height / 2) & ~1;
  return (await imageStats(file, { x, y, w: 2, h: 2 })).rgb;
}

/** The test logos' red, as it survives a 240p encode (per channel). */
export const isLogoRed = ([r, g, b]: readonly number[]) => r! > 200 && g! < 70 && b! < 70;
