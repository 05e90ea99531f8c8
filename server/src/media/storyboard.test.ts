import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { colourSteps, imageStats, parseVttTiles } from '../../test/pictures.ts';
import {
  planStoryboard,
  renderStoryboard,
  STORYBOARD_SHEET,
  STORYBOARD_VTT,
  storyboardVtt,
  vttTime,
} from './storyboard.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};
const landscape = { width: 1920, height: 1080, hdr: false };

describe('planStoryboard', () => {
  it('adapts the interval to the duration: one tile a second up to 100 s, then 100 tiles', () => {
    expect(planStoryboard(6, landscape)).toMatchObject({ count: 6, intervalMs: 1000, columns: 6, rows: 1 });
    expect(planStoryboard(30.5, landscape)).toMatchObject({
      count: 31,
      intervalMs: 1000,
      columns: 10,
      rows: 4,
    });
    expect(planStoryboard(600, landscape)).toMatchObject({
      count: 100,
      intervalMs: 6000,
      columns: 10,
      rows: 10,
    });
    // 4 h: 144 s apart, still one 10×10 sheet.
    expect(planStoryboard(4 * 3600, landscape)).toMatchObject({ count: 100, intervalMs: 144_000 });
    // Rounded up to 0.1 s, so the tiles never run past 100.
    expect(planStoryboard(123.45, landscape)).toMatchObject({ count: 95, intervalMs: 1300 });
  });

  it('keeps the aspect ratio with a 160 px long side, portrait too; nothing without picture or duration', () => {
    expect(planStoryboard(10, landscape)).toMatchObject({ tileWidth: 160, tileHeight: 90 });
    expect(planStoryboard(10, { width: 1080, height: 1920, hdr: false })).toMatchObject({
      tileWidth: 90,
      tileHeight: 160,
    });
    expect(planStoryboard(10, { width: 480, height: 270, hdr: false })).toMatchObject({
      tileWidth: 160,
      tileHeight: 90,
    });
    expect(planStoryboard(10, null)).toBeNull();
    expect(planStoryboard(0, landscape)).toBeNull();
  });
});

describe('storyboardVtt', () => {
  it('writes one #xywh cue per tile, row by row, the last ending at the duration', () => {
    const plan = planStoryboard(12.5, landscape)!;
    const vtt = storyboardVtt(plan);
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nstoryboard.jpg#xywh=0,0,160,90\n')).toBe(
      true,
    );
    const tiles = parseVttTiles(vtt);
    expect(tiles).toHaveLength(13);
    expect(tiles[11]).toEqual({
      start: 11,
      end: 12,
      sheet: 'storyboard.jpg',
      x: 160,
      y: 90,
      w: 160,
      h: 90,
    });
    expect(tiles[12]).toMatchObject({ start: 12, end: 12.5, x: 320, y: 90 });
    expect(vttTime(3_723_004)).toBe('01:02:03.004');
  });
});

describe('renderStoryboard', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('vodkit-storyboard-');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('tiles keyframes into one sheet whose tile k shows the picture at k × interval', async () => {
    // red 0–2 s, green 2–4 s, blue 4–6 s: tiles 0–1 red, 2–3 green, 4–5 blue.
    const input = await colourSteps(path.join(dir, 'steps.mp4'), ['red', 'green', 'blue']);
    const source = { width: 320, height: 180, hdr: false };
    const plan = planStoryboard(6, source)!;
    await renderStoryboard({ paths, input, source, plan, outDir: dir, timeoutMs: 30_000 });

    const sheet = path.join(dir, STORYBOARD_SHEET);
    expect(await imageStats(sheet)).toMatchObject({ width: 6 * 160, height: 90, codec: 'mjpeg' });
    const tiles = parseVttTiles(fs.readFileSync(path.join(dir, STORYBOARD_VTT), 'utf8'));
    expect(tiles).toHaveLength(6);
    const dominant = async (k: number) => {
      const t = tiles[k]!;
      const { rgb } = await imageStats(sheet, { x: t.x + 8, y: t.y + 8, w: t.w - 16, h: t.h - 16 });
      return ['red', 'green', 'blue'][rgb.indexOf(Math.max(...rgb))];
    };
    const seen = [];
    for (let k = 0; k < 6; k++) seen.push(await dominant(k));
    expect(seen).toEqual(['red', 'red', 'green', 'green', 'blue', 'blue']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
