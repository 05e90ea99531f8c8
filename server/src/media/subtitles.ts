/**
 * HLS packaging of text tracks, done when a playlist is served (not at encode time), so a track
 * added or removed after the encode shows up at once and the encoder's files are never rewritten.
 * Pure string functions: unit-tested without a server.
 */

import { attributeMap, readLines, withoutAttribute } from './m3u8.ts';
import { printable, quoted } from './playlists.ts';

/** What a playlist needs to know of a track. */
export interface SubtitleTrackInfo {
  trackId: string;
  /** BCP 47, already canonical. */
  language: string;
  label: string;
  kind: 'subtitles' | 'captions';
  default: boolean;
}

export const SUBTITLES_GROUP = 'subs';
export const SUBTITLES_DIR = 'subtitles';

export const trackPlaylistPath = (trackId: string): string => `${SUBTITLES_DIR}/${trackId}.m3u8`;
export const trackVttName = (trackId: string): string => `${trackId}.vtt`;

/**
 * Places a track's cues on the renditions' timeline. Every rendition starts `leadS` after the source's
 * origin (media/retime.ts: room for the AAC priming), and hls.js and Safari place a WebVTT segment's cues
 * against the media's first timestamp by its X-TIMESTAMP-MAP: without one, hls.js showed every cue
 * `leadS` early. The header line is ignored by `<track>` parsers, so the same file still serves them.
 */
export function withTimestampMap(vtt: string, leadS: number): string {
  const eol = vtt.indexOf('\n');
  if (!vtt.startsWith('WEBVTT') || eol < 0) return vtt;
  const map = `X-TIMESTAMP-MAP=MPEGTS:${Math.round(leadS * 90_000)},LOCAL:00:00:00.000`;
  return `${vtt.slice(0, eol + 1)}${map}\n${vtt.slice(eol + 1)}`;
}

/** Apple's characteristics for SDH captions (as opposed to translated subtitles). */
const CAPTION_CHARACTERISTICS =
  'public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound';

/**
 * Adds a SUBTITLES rendition group to a master playlist: one `#EXT-X-MEDIA` per track, before the
 * first variant, and `SUBTITLES="subs"` on every `#EXT-X-STREAM-INF`. At most one track is
 * `DEFAULT=YES` (the first flagged); NAMEs are made unique within the group, as the spec requires.
 * No tracks: the master comes back unchanged.
 */
export function withSubtitles(master: string, tracks: readonly SubtitleTrackInfo[]): string {
  if (tracks.length === 0) return master;
  const eol = master.includes('\r\n') ? '\r\n' : '\n';
  const names = new Set<string>();
  let defaultSeen = false;
  const media = tracks.map((t) => {
    // Unique as written: two labels that differ only in unprintable characters are the same NAME.
    const label = printable(t.label);
    let name = label;
    for (let n = 2; names.has(name); n++) name = `${label} (${n})`;
    names.add(name);
    const isDefault = t.default && !defaultSeen;
    defaultSeen ||= isDefault;
    const attrs = [
      'TYPE=SUBTITLES',
      `GROUP-ID="${SUBTITLES_GROUP}"`,
      `LANGUAGE=${quoted(t.language)}`,
      `NAME=${quoted(name)}`,
      `DEFAULT=${isDefault ? 'YES' : 'NO'}`,
      // DEFAULT=YES requires AUTOSELECT=YES; the others may be chosen by the viewer's language.
      'AUTOSELECT=YES',
      ...(t.kind === 'captions' ? [`CHARACTERISTICS="${CAPTION_CHARACTERISTICS}"`] : []),
      `URI=${quoted(trackPlaylistPath(t.trackId))}`,
    ];
    return `#EXT-X-MEDIA:${attrs.join(',')}`;
  });

  let out = '';
  let inserted = false;
  for (const line of readLines(master)) {
    const tag = line.kind === 'tag' ? line.name : null;
    const isVariant = tag === '#EXT-X-STREAM-INF' || tag === '#EXT-X-I-FRAME-STREAM-INF';
    // A subtitles group already in the file (ours from an earlier pass, or the encoder's) is replaced:
    // read from the parsed TYPE, so an audio NAME="TYPE=SUBTITLES" is not taken for one.
    if (
      line.kind === 'tag' &&
      tag === '#EXT-X-MEDIA' &&
      attributeMap(line.value).get('TYPE') === 'SUBTITLES'
    ) {
      continue;
    }
    if (!inserted && (isVariant || tag === '#EXT-X-MEDIA')) {
      out += media.map((m) => m + eol).join('');
      inserted = true;
    }
    if (line.kind === 'tag' && tag === '#EXT-X-STREAM-INF') {
      out += `${tag}:${withoutAttribute(line.value, 'SUBTITLES')},SUBTITLES="${SUBTITLES_GROUP}"${line.eol}`;
      continue;
    }
    out += line.text + line.eol;
  }
  // No variant at all is not a master playlist we can extend: leave it alone.
  return inserted ? out : master;
}

/**
 * The media playlist of one track: a single segment holding the whole WebVTT file, as long as the
 * video, so a player fetches it once. `durationS` should be the video's duration.
 */
export function trackPlaylist(trackId: string, durationS: number): string {
  const duration = Math.max(durationS, 0.001);
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${duration.toFixed(3)},`,
    trackVttName(trackId),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
