/** One chapter of a video: `[start, end)` in seconds, with its title as plain text. */
export interface ChapterCue {
  start: number;
  end: number;
  title: string;
}

/** The chapter playing at `time`, or null (before the first, or in a gap). */
export function chapterAt(chapters: readonly ChapterCue[], time: number): ChapterCue | null {
  let found: ChapterCue | null = null;
  for (const c of chapters) {
    if (c.start > time) break;
    if (time < c.end) found = c;
  }
  return found;
}
