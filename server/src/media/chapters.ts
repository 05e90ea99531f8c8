import { escapeCueText, formatTime } from './vtt.ts';

/** Where a video's chapters are served, beside its playlists (`/stream/:videoId/chapters.vtt`). */
export const CHAPTERS_FILE = 'chapters.vtt';

export interface ChapterCue {
  start: number;
  title: string;
}

/**
 * Chapters as a WebVTT file for `<track kind="chapters">` and the player: one cue per chapter, from its
 * start to the next one's, the last to the end of the video (`endS`; a second past its start when the
 * video's length is unknown). Titles are plain text, written escaped. No chapters: an empty file, so a
 * player that asks for every video's chapters gets no 404.
 */
export function chaptersVtt(chapters: readonly ChapterCue[], endS: number | null): string {
  const cues = chapters.map((c, i) => {
    const next = chapters[i + 1]?.start ?? (endS !== null && endS > c.start ? endS : c.start + 1);
    return `${formatTime(c.start)} --> ${formatTime(next)}\n${escapeCueText(c.title)}\n`;
  });
  return `WEBVTT\n\n${cues.join('\n')}`;
}
