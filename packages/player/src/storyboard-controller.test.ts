import { describe, expect, it } from 'vitest';
import { parseStoryboard } from './storyboard-controller.ts';

const VTT = `WEBVTT

1
00:00.000 --> 00:05.000
sheet-0.jpg#xywh=0,0,160,90

00:00:05.000 --> 00:00:10.000
sheet-0.jpg#xywh=160,0,160,90

01:00:00.000 --> 01:00:05.500
https://cdn.example/other.jpg#xywh=0,90,160,90

00:00:20.000 --> 00:00:25.000
not-a-tile.jpg
`;

describe('parseStoryboard', () => {
  it('reads cue times (with and without hours) and #xywh rectangles', () => {
    const tiles = parseStoryboard(VTT, 'https://vod.example/stream/v1/storyboard.vtt');
    expect(tiles).toEqual([
      { start: 0, end: 5, url: 'https://vod.example/stream/v1/sheet-0.jpg', x: 0, y: 0, w: 160, h: 90 },
      { start: 5, end: 10, url: 'https://vod.example/stream/v1/sheet-0.jpg', x: 160, y: 0, w: 160, h: 90 },
      { start: 3600, end: 3605.5, url: 'https://cdn.example/other.jpg', x: 0, y: 90, w: 160, h: 90 },
    ]);
  });

  it("carries the storyboard's playback token to same-origin sheets only", () => {
    const tiles = parseStoryboard(
      VTT.replace(/\n/g, '\r\n'),
      'https://vod.example/stream/v1/storyboard.vtt?token=abc',
    );
    expect(tiles.map((t) => t.url)).toEqual([
      'https://vod.example/stream/v1/sheet-0.jpg?token=abc',
      'https://vod.example/stream/v1/sheet-0.jpg?token=abc',
      'https://cdn.example/other.jpg',
    ]);
  });

  it('ignores what is not a storyboard', () => {
    expect(parseStoryboard('WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n', 'https://x/a.vtt')).toEqual([]);
    expect(parseStoryboard('', 'https://x/a.vtt')).toEqual([]);
  });
});
