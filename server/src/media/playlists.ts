/** HLS playlist text, written by Vodkit from what is on disk. Pure. */

export interface SegmentEntry {
  uri: string;
  /** Seconds, from the segment's own sample timestamps. */
  duration: number;
}

export interface MediaPlaylistInput {
  init: string;
  segments: readonly SegmentEntry[];
  /** Fixed from the first version on: an EVENT playlist may not raise it later. */
  targetDuration: number;
  /** True once the rendition is complete: `#EXT-X-ENDLIST`. */
  ended: boolean;
}

/** An EVENT media playlist (it only grows; `#EXT-X-ENDLIST` once complete). */
export function mediaPlaylist(p: MediaPlaylistInput): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${p.targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI=${quoted(p.init)}`,
  ];
  for (const s of p.segments) lines.push(`#EXTINF:${s.duration.toFixed(6)},`, s.uri);
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** An I-frame playlist: one keyframe per segment (each segment starts on one), as a byte range. */
export function iframePlaylist(p: {
  init: string;
  frames: readonly { uri: string; duration: number; length: number }[];
  targetDuration: number;
  ended: boolean;
}): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${p.targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-I-FRAMES-ONLY',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI=${quoted(p.init)}`,
  ];
  for (const f of p.frames)
    lines.push(`#EXTINF:${f.duration.toFixed(6)},`, `#EXT-X-BYTERANGE:${f.length}@0`, f.uri);
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export interface VideoVariant {
  uri: string;
  width: number;
  height: number;
  /** Peak bits per second of the video alone (the audio rendition's is added here). */
  bandwidth: number;
  averageBandwidth?: number;
  codec: string;
  frameRate: number | null;
  /** Its I-frame playlist and that playlist's peak bitrate, when there is one. */
  iframes?: { uri: string; bandwidth: number };
}

export interface AudioRendition {
  uri: string;
  /** Shown in players' audio menus. */
  name: string;
  /** BCP 47 / ISO 639 tag from the source, when it has one. */
  language: string | null;
  default: boolean;
  bandwidth: number;
  codec: string;
  channels: number;
}

export const AUDIO_GROUP = 'audio';

/** The longest quoted-string value written, in code points: a NAME is a menu label, not a document. */
export const MAX_QUOTED_LENGTH = 200;

/**
 * Everything a quoted-string may not hold (RFC 8216 §4.2: no `"`, CR or LF), and everything else
 * that is not printable: C0/C1 controls and DEL (a lone CR ends the line for hls.js), lone
 * surrogates, the Unicode line and paragraph separators, and bidi overrides (a menu label that reads
 * backwards).
 */
export const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]+/gu;

/**
 * A value from a source file (track titles) or an API caller (track labels) made safe to write as a
 * quoted-string attribute: `"` becomes `'`, each run of unprintable characters one space, and it is
 * cut to `max` code points. Callers that must keep names unique compare these, not the raw values.
 */
export function printable(value: string, max = MAX_QUOTED_LENGTH): string {
  // A code point is at most two UTF-16 units: this bounds the work on a huge value.
  const clean = value
    .slice(0, max * 2)
    .replace(UNPRINTABLE, ' ')
    .replaceAll('"', "'")
    .trim();
  const points = Array.from(clean);
  return points.length > max ? points.slice(0, max).join('').trim() : clean;
}

/**
 * The one way to write a quoted-string attribute value (`NAME="…"`, `LANGUAGE="…"`, `URI="…"`) in
 * any playlist Vodkit serves: nothing in the value can end the string or the line.
 */
export const quoted = (value: string): string => `"${printable(value)}"`;

/**
 * The master playlist: every audio track as a selectable rendition of one AUDIO group, every video
 * rung referring to it, CODECS naming both. Variants are listed in the given order (the first is
 * where Safari starts). An audio-only source gets one variant pointing at its default rendition.
 */
export function masterPlaylist(video: readonly VideoVariant[], audio: readonly AudioRendition[]): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const a of audio) {
    const attrs = [
      'TYPE=AUDIO',
      `GROUP-ID=${quoted(AUDIO_GROUP)}`,
      `NAME=${quoted(a.name)}`,
      ...(a.language ? [`LANGUAGE=${quoted(a.language)}`] : []),
      `DEFAULT=${a.default ? 'YES' : 'NO'}`,
      `AUTOSELECT=YES`,
      `CHANNELS=${quoted(String(a.channels))}`,
      `URI=${quoted(a.uri)}`,
    ];
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }
  const audioPeak = Math.max(0, ...audio.map((a) => a.bandwidth));
  const audioCodec = audio[0]?.codec;
  for (const v of video) {
    const attrs = [
      `BANDWIDTH=${Math.round(v.bandwidth + audioPeak)}`,
      ...(v.averageBandwidth ? [`AVERAGE-BANDWIDTH=${Math.round(v.averageBandwidth + audioPeak)}`] : []),
      `CODECS=${quoted(audioCodec ? `${v.codec},${audioCodec}` : v.codec)}`,
      `RESOLUTION=${v.width}x${v.height}`,
      ...(v.frameRate ? [`FRAME-RATE=${v.frameRate.toFixed(3)}`] : []),
      ...(audio.length > 0 ? [`AUDIO=${quoted(AUDIO_GROUP)}`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  for (const v of video) {
    if (!v.iframes) continue;
    lines.push(
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${Math.round(v.iframes.bandwidth)},CODECS=${quoted(v.codec)},RESOLUTION=${v.width}x${v.height},URI=${quoted(v.iframes.uri)}`,
    );
  }
  if (video.length === 0) {
    const main = audio.find((a) => a.default) ?? audio[0];
    if (main) {
      lines.push(
        `#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(main.bandwidth)},CODECS=${quoted(main.codec)},AUDIO=${quoted(AUDIO_GROUP)}`,
        main.uri,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
