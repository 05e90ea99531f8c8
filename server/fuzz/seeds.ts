import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { boxes } from '../src/media/mp4/boxes.ts';
import type { Target } from './fuzz.ts';
import { mutateBytes, mutateJson, mutateText } from './mutate.ts';

const run = promisify(execFile);
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';
const ffprobe = process.env.FFPROBE_PATH || 'ffprobe';

async function make(file: string, inputs: string[], args: string[]): Promise<string> {
  const lavfi = inputs.flatMap((i) => ['-f', 'lavfi', '-i', i]);
  await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...lavfi, ...args, file], {
    timeout: 60_000,
  });
  return file;
}

const VIDEO = 'testsrc2=size=160x120:rate=25:duration=1';
const AUDIO = 'sine=frequency=440:sample_rate=48000:duration=1';
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** The init segment (up to the end of the moov) and the first moof + mdat of a fragmented MP4. */
function splitFragmented(file: Buffer): { init: Buffer; segment: Buffer } {
  const all = [...boxes(file)];
  const moov = all.find((b) => b.type === 'moov')!;
  const moof = all.findIndex((b) => b.type === 'moof');
  const mdat = all[moof + 1]!;
  return { init: file.subarray(0, moov.end), segment: file.subarray(all[moof]!.offset, mdat.end) };
}

const SRT = [
  '1\n00:00:01,000 --> 00:00:02,500\n<font color="red">Hello</font>, <i>world</i>\n\n2\n00:00:03,500 --> 00:00:04,000\nsecond & last\n',
  '1\r\n00:00:00,000 --> 00:00:01,000\r\n{\\an8}top\r\n\r\ncontinued\r\n\r\n2\r\n00:00:01,000 --> 00:00:02,000\r\n<b>bold</b>\r\n',
];
const VTT = [
  'WEBVTT - film\nKind: captions\n\nNOTE hand-written\n\nSTYLE\n::cue { color: yellow }\n\nREGION\nid:r1 width:40% lines:3\n\nintro\n00:01.000 --> 00:02.500 align:start line:0 position:10%,line-left region:r1\n<v Roger>We are <b>in</b> <i.loud>New York</i>\n\n00:00:03.000 --> 00:00:04.000\n<ruby>漢<rt>kan</rt></ruby> <lang fr>bonjour</lang> <c.yellow>x</c> <00:00:03.500>later\n',
  'WEBVTT\n00:00.000 --> 00:01.000\nright under the header\n\n00:01.000 --> 00:01.000\nempty\n',
];

/**
 * Seeds for every target, generated now with ffmpeg's lavfi sources (nothing committed): MP4s with
 * and without B-frames and with the moov first or last, single-track fMP4 init and media segments,
 * ffprobe's JSON of them, and small SRT and WebVTT files.
 */
export async function makeTargets(dir: string): Promise<Target[]> {
  const p = (name: string) => path.join(dir, name);
  const [plain, bframes, audio, fragV, fragA] = await Promise.all([
    make(p('plain.mp4'), [VIDEO, AUDIO], [...X264, '-c:a', 'aac', '-movflags', '+faststart']),
    make(p('bframes.mov'), [VIDEO], ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '10']),
    make(p('audio.m4a'), [AUDIO], ['-c:a', 'aac']),
    make(
      p('frag-v.mp4'),
      [VIDEO],
      [...X264, '-g', '10', '-movflags', 'frag_keyframe+empty_moov+default_base_moof'],
    ),
    make(
      p('frag-a.mp4'),
      [AUDIO],
      ['-c:a', 'aac', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '200000'],
    ),
  ]);
  const read = (f: string) => fs.readFileSync(f);
  const frags = [read(fragV), read(fragA)].map(splitFragmented);
  const probes = await Promise.all(
    [plain, bframes, audio].map(async (f) => {
      const { stdout } = await run(ffprobe, [
        '-v',
        'error',
        '-of',
        'json',
        '-show_format',
        '-show_streams',
        f,
      ]);
      return Buffer.from(stdout);
    }),
  );
  return [
    { name: 'mp4Index', seeds: [read(plain), read(bframes), read(audio)], mutate: mutateBytes },
    { name: 'fmp4Init', seeds: frags.map((f) => f.init), mutate: mutateBytes },
    { name: 'fmp4Segment', seeds: frags.map((f) => f.segment), mutate: mutateBytes },
    { name: 'captions', seeds: [...SRT, ...VTT].map((t) => Buffer.from(t)), mutate: mutateText },
    { name: 'probeJson', seeds: probes, mutate: mutateJson },
  ];
}
