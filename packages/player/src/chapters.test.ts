import { describe, expect, it } from 'vitest';
import { chapterAt } from './chapters.ts';
import { chapterJump, parseChapters } from './chapters-vtt.ts';
import { startOffsetOf } from './clip-controller.ts';

const VTT = `WEBVTT

00:00:00.000 --> 00:00:02.500
Intro &amp; <b>welcome</b>

chapter-2
00:02.500 --> 00:00:06.000
Part &lt;two&gt;

00:00:06.000 --> 00:00:05.000
backwards

01:00:00.000 --> 01:00:01.000
`;

describe('parseChapters', () => {
  it('reads timings and plain-text titles, skipping malformed and empty cues', () => {
    expect(parseChapters(VTT)).toEqual([
      { start: 0, end: 2.5, title: 'Intro & welcome' },
      { start: 2.5, end: 6, title: 'Part <two>' },
    ]);
    expect(parseChapters('not vtt\n\n00:00.000 --> 00:01.000\nx')).toEqual([]);
    expect(parseChapters('WEBVTT\n\n')).toEqual([]);
  });

  it('finds the chapter at a time and where the keys go', () => {
    const list = parseChapters(VTT);
    expect(chapterAt(list, 1)?.title).toBe('Intro & welcome');
    expect(chapterAt(list, 2.5)?.title).toBe('Part <two>');
    expect(chapterAt(list, 7)).toBeNull();
    expect(chapterJump(list, 1, 1)).toBe(2.5);
    expect(chapterJump(list, 3, 1)).toBeNull();
    // Back: the chapter's own start after 2 s into it, the one before within the first 2 s.
    expect(chapterJump(list, 5, -1)).toBe(2.5);
    expect(chapterJump(list, 3, -1)).toBe(0);
    expect(chapterJump(list, 0, -1)).toBeNull();
  });
});

describe('startOffsetOf', () => {
  it('reads #EXT-X-START from a clipped playlist', () => {
    expect(startOffsetOf('#EXTM3U\n#EXT-X-START:TIME-OFFSET=0.500000,PRECISE=YES\n')).toBe(0.5);
    expect(startOffsetOf('#EXTM3U\n#EXT-X-START:PRECISE=YES,TIME-OFFSET=1.25\n')).toBe(1.25);
    expect(startOffsetOf('#EXTM3U\n')).toBeNull();
  });
});
