import { readLines } from './m3u8.ts';

/** A span of a video in seconds of its own timeline, `start < end`. */
export interface ClipRange {
  start: number;
  end: number;
}

/** Where a clipped media playlist starts: the first kept segment's start on the video's timeline. */
export interface ClippedPlaylist {
  text: string;
  /** Start of the first kept segment; null when no segment covers the range (yet). */
  firstSegmentStart: number | null;
}

/**
 * An instant clip of a media playlist: only the segments that cover `[start, end)` (each segment
 * `[t, t + EXTINF)`), with their own `#EXTINF`, `#EXT-X-MAP` and byte ranges untouched, the media
 * sequence number of the first one kept, and `#EXT-X-START` at `start` inside it, so a player begins
 * at the clip's first instant although the first segment begins earlier. The playlist is VOD with
 * `#EXT-X-ENDLIST` once the segment holding `end` is listed (or the rendition is complete); until
 * then it stays an EVENT playlist that grows as the encode goes. Pure; one pass over the lines.
 */
export function clipMediaPlaylist(playlist: string, range: ClipRange): ClippedPlaylist {
  const header: string[] = [];
  const kept: string[] = [];
  let pending: string[] = [];
  let t = 0;
  let duration: number | null = null;
  let index = 0;
  let firstIndex = -1;
  let firstStart: number | null = null;
  let lastEnd = 0;
  let ended = false;
  let inSegments = false;
  for (const line of readLines(playlist)) {
    const text = line.text;
    if (line.kind === 'blank' || line.kind === 'comment') continue;
    if (line.kind === 'tag' && line.name === '#EXT-X-ENDLIST') {
      ended = true;
      continue;
    }
    if (line.kind === 'tag' && line.name === '#EXTINF') {
      inSegments = true;
      duration = Number.parseFloat(line.value);
      pending = [text];
      continue;
    }
    if (line.kind === 'uri') {
      if (!inSegments) {
        header.push(text);
        continue;
      }
      const d = duration !== null && Number.isFinite(duration) ? duration : 0;
      if (t + d > range.start && t < range.end) {
        if (firstIndex < 0) {
          firstIndex = index;
          firstStart = t;
        }
        kept.push(...pending, text);
        lastEnd = t + d;
      }
      t += d;
      index++;
      pending = [];
      duration = null;
      continue;
    }
    // Tags: those of the header, and those that belong to the next segment (byte ranges, maps).
    if (inSegments) pending.push(text);
    else header.push(text);
  }
  const complete = ended || (firstStart !== null && lastEnd >= range.end);
  const out: string[] = [];
  for (const h of header) {
    if (h.startsWith('#EXT-X-MEDIA-SEQUENCE:')) out.push(`#EXT-X-MEDIA-SEQUENCE:${Math.max(firstIndex, 0)}`);
    else if (h.startsWith('#EXT-X-PLAYLIST-TYPE:'))
      out.push(`#EXT-X-PLAYLIST-TYPE:${complete ? 'VOD' : 'EVENT'}`);
    else out.push(h);
    if (h === '#EXTM3U' && firstStart !== null) out.push(startTag(range.start - firstStart));
  }
  out.push(...kept);
  if (complete) out.push('#EXT-X-ENDLIST');
  return { text: `${out.join('\n')}\n`, firstSegmentStart: firstStart };
}

/**
 * `#EXT-X-START` (RFC 8216 §4.3.5.2) at `offset` seconds into a clipped playlist: where its first
 * instant is, relative to its first segment. Players read it to start (and, knowing the clip's
 * length, to stop) at the clip's own instants.
 */
export function startTag(offset: number): string {
  return `#EXT-X-START:TIME-OFFSET=${Math.max(0, offset).toFixed(6)},PRECISE=YES`;
}

/** A master playlist with `#EXT-X-START` (the same offset as its clipped media playlists). */
export function withStart(master: string, offset: number): string {
  const lines = readLines(master);
  return lines
    .map((l) =>
      l.kind === 'tag' && l.name === '#EXTM3U' ? `${l.text}\n${startTag(offset)}${l.eol}` : l.text + l.eol,
    )
    .join('');
}
