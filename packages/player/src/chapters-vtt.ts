import type { ChapterCue } from './chapters.ts';

/** At most this many chapters are read from a file (the server allows 200). */
const MAX_CHAPTERS = 500;
const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}\.\d{3})/;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  nbsp: '\u00a0',
  lrm: '\u200e',
  rlm: '\u200f',
};

function seconds(stamp: string): number {
  const parts = stamp.split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** Cue text as the viewer reads it: tags dropped, entities decoded, lines joined. */
function plain(lines: string[]): string {
  return lines
    .join(' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|nbsp|lrm|rlm);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The chapters of a WebVTT chapters file (`kind="chapters"`), by start time: each cue's timing and
 * its text as plain text. Read here rather than through a `<track>`: the player needs the list before
 * (and without) the browser's track loading, and the file may need the playback token. Malformed
 * blocks are skipped.
 */
export function parseChapters(vtt: string): ChapterCue[] {
  if (!/^\uFEFF?WEBVTT/.test(vtt)) return [];
  const out: ChapterCue[] = [];
  for (const block of vtt.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    const m = at >= 0 ? TIMING.exec(lines[at]!) : null;
    if (!m) continue;
    const start = seconds(m[1]!);
    const end = seconds(m[2]!);
    const title = plain(lines.slice(at + 1));
    if (end > start && title) out.push({ start, end, title });
    if (out.length >= MAX_CHAPTERS) break;
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Where the next (+1) or previous (-1) chapter key goes from `time`: the next chapter's start; back,
 * the current chapter's start, or the one before when within the first 2 s of it (as the previous-track
 * button of music players). Null when there is nowhere to go.
 */
export function chapterJump(chapters: readonly ChapterCue[], time: number, direction: 1 | -1): number | null {
  if (direction === 1) return chapters.find((c) => c.start > time + 0.01)?.start ?? null;
  const before = chapters.filter((c) => c.start <= time + 0.01);
  const current = before.at(-1);
  if (!current) return null;
  if (time - current.start > 2) return current.start;
  return before.at(-2)?.start ?? (current.start < time - 0.01 ? current.start : null);
}
