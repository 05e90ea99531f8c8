import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { readInit, readSegment } from '../src/media/fmp4.ts';

/*
 * The timeline of a source and of what a browser gets from its HLS output, measured with ffprobe:
 * the source with its edit lists honoured (its intended timeline), each rendition as init.mp4 + its
 * segments with `-ignore_editlist 1` (hls.js + MSE ignore edit lists in init segments).
 */

const run = promisify(execFile);
const ffprobe = process.env.FFPROBE_PATH || 'ffprobe';
const ffmpeg = process.env.FFMPEG_PATH || 'ffmpeg';
/** ffmpeg's AAC encoder starts every stream with this much priming: the source's first sample plays after it. */
const AAC_PRIMING_SAMPLES = 1024;

async function probe(args: string[]): Promise<string> {
  const { stdout } = await run(ffprobe, ['-v', 'error', ...args], { timeout: 60_000, maxBuffer: 64 << 20 });
  return stdout;
}

/** First presented instant of each stream of a source (video first, then each audio), seconds. */
export async function sourceStarts(file: string): Promise<{ video: number | null; audio: number[] }> {
  const first = async (select: string) => {
    const out = await probe([
      '-select_streams',
      select,
      // Enough packets to get past frames an edit list hides (they are decoded, not shown).
      '-read_intervals',
      '%+#400',
      '-show_entries',
      'frame=pts_time,best_effort_timestamp_time',
      '-of',
      'csv=p=0',
      file,
    ]);
    const [pts, best] = out.trim().split('\n')[0]?.split(',') ?? [];
    if (!out.trim()) return null;
    const t = Number(pts !== 'N/A' && pts ? pts : best);
    return Number.isFinite(t) ? t : null;
  };
  const count = (
    await probe(['-select_streams', 'a', '-show_entries', 'stream=index', '-of', 'csv=p=0', file])
  )
    .trim()
    .split('\n')
    .filter(Boolean).length;
  const audio: number[] = [];
  for (let i = 0; i < count; i++) audio.push((await first(`a:${i}`))!);
  return { video: await first('v:0'), audio };
}

/** Frames the source presents (decoded, edit lists honoured). */
export async function sourceFrames(file: string): Promise<number> {
  const out = await probe([
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'json',
    file,
  ]);
  return Number((JSON.parse(out) as { streams: { nb_read_frames: string }[] }).streams[0]?.nb_read_frames);
}

export interface Rendition {
  folder: string;
  segments: string[];
  extinf: number[];
  /** The #EXTINF values as written. */
  extinfText: string[];
}

/** The rendition's media playlist: its segment files and their #EXTINF. */
export function readRendition(outDir: string, folder: string): Rendition {
  const text = fs.readFileSync(path.join(outDir, folder, 'index.m3u8'), 'utf8');
  const segments: string[] = [];
  const extinf: number[] = [];
  const extinfText: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^#EXTINF:([\d.]+)/.exec(line);
    if (m) {
      extinf.push(Number(m[1]));
      extinfText.push(m[1]!);
    } else if (line.trim() && !line.startsWith('#')) segments.push(line.trim());
  }
  return { folder, segments, extinf, extinfText };
}

/** init.mp4 + the given segments in one file, as MSE receives them. */
export function joined(outDir: string, r: Rendition, segments: string[], name: string): string {
  const dir = path.join(outDir, r.folder);
  const file = path.join(outDir, `${r.folder.replace(/\W/g, '_')}-${name}.mp4`);
  fs.writeFileSync(
    file,
    Buffer.concat([
      fs.readFileSync(path.join(dir, 'init.mp4')),
      ...segments.map((s) => fs.readFileSync(path.join(dir, s))),
    ]),
  );
  return file;
}

async function countPackets(file: string): Promise<number> {
  const out = await probe(['-select_streams', '0', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file]);
  return out.trim().split('\n').filter(Boolean).length;
}

export interface RenditionTimeline {
  /**
   * The first presented instant as a player reads it (edit lists ignored); for AAC, the instant the
   * source's first sample plays (after the encoder's priming).
   */
  start: number;
  /** Presented frames (packets) in the whole rendition. */
  frames: number;
  /**
   * From the earliest presentation time to the end of the last frame shown, seconds. That frame's trun
   * duration is a decode gap (too long when B-frames reorder a VFR stream), and a copied Matroska
   * source's decode end is off by its rebuilt decode times: the earlier of the two ends.
   */
  span: number;
}

export async function renditionTimeline(outDir: string, r: Rendition): Promise<RenditionTimeline> {
  const frames = await countPackets(joined(outDir, r, r.segments, 'all'));
  // The start from the fragments' own tfdt + composition offsets (ISO-BMFF's definition, what MSE
  // reads): ffprobe's mov demuxer adds the largest negative composition offset of a fragmented track
  // to every pts, so its pts are late by that much.
  const init = readInit(fs.readFileSync(path.join(outDir, r.folder, 'init.mp4')));
  const first = readSegment(
    fs.readFileSync(path.join(outDir, r.folder, r.segments[0]!)),
    init.defaultSampleDuration,
  );
  const rate = (
    await probe([
      '-select_streams',
      '0',
      '-show_entries',
      'stream=sample_rate',
      '-of',
      'csv=p=0',
      joined(outDir, r, [], 'init'),
    ])
  ).trim();
  const priming = init.codec.startsWith('mp4a') ? AAC_PRIMING_SAMPLES / Number(rate) : 0;
  const last = readSegment(
    fs.readFileSync(path.join(outDir, r.folder, r.segments.at(-1)!)),
    init.defaultSampleDuration,
  );
  return {
    start: first.presentationStart / init.timescale + priming,
    frames,
    span:
      (Math.min(last.presentationEnd, last.start + last.duration) - first.presentationStart) / init.timescale,
  };
}

/** The segments that do not decode on their own (init + that segment, `-xerror`), with ffmpeg's complaint. */
export async function undecodableSegments(outDir: string, r: Rendition): Promise<string[]> {
  const bad: string[] = [];
  for (const s of r.segments) {
    const file = joined(outDir, r, [s], 'alone');
    try {
      const { stderr } = await run(ffmpeg, ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], {
        timeout: 60_000,
      });
      if (stderr.trim()) bad.push(`${s}: ${stderr.trim().split('\n')[0]}`);
    } catch (err) {
      bad.push(`${s}: ${(err as { stderr?: string }).stderr?.trim().split('\n')[0] ?? String(err)}`);
    }
  }
  return bad;
}
