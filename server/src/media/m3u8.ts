/**
 * The one m3u8 reader of the server (the writers are playlists.ts and subtitles.ts). Pure and linear:
 * lines (LF, CRLF, and a bare CR, which hls.js and Safari also take for a line end), each a tag with
 * its parsed attribute list, a URI, a comment or blank. Every reader of a playlist (the publisher's
 * completeness check, the MP4 downloads, the subtitle group, the URI rewriting of protected playback)
 * goes through it, so they cannot disagree about what a line is.
 */

export type M3u8Line =
  | { kind: 'tag'; text: string; eol: string; name: string; value: string }
  | { kind: 'uri'; text: string; eol: string; uri: string }
  | { kind: 'comment' | 'blank'; text: string; eol: string };

/**
 * One attribute of an attribute list. `start`/`end` delimit its value in the list (inside any
 * quotes), `from`/`to` the whole `NAME=value` pair (quotes included).
 */
export interface Attribute {
  name: string;
  value: string;
  quoted: boolean;
  start: number;
  end: number;
  from: number;
  to: number;
}

/** More attributes than any tag has: the rest of a longer list is ignored, so one line costs little. */
export const MAX_ATTRIBUTES = 64;

const LINE = /([^\r\n]*)(\r\n|\r|\n|$)/gy;

/** The playlist's lines; joining every `text + eol` gives the input back, byte for byte. */
export function readLines(text: string): M3u8Line[] {
  const lines: M3u8Line[] = [];
  LINE.lastIndex = 0;
  while (LINE.lastIndex < text.length) {
    const m = LINE.exec(text)!;
    lines.push(classify(m[1]!, m[2]!));
    if (m[2] === '') break;
  }
  return lines;
}

function classify(text: string, eol: string): M3u8Line {
  if (text.startsWith('#EXT')) {
    const colon = text.indexOf(':');
    return colon < 0
      ? { kind: 'tag', text, eol, name: text, value: '' }
      : { kind: 'tag', text, eol, name: text.slice(0, colon), value: text.slice(colon + 1) };
  }
  if (text.startsWith('#')) return { kind: 'comment', text, eol };
  const uri = text.trim();
  return uri ? { kind: 'uri', text, eol, uri } : { kind: 'blank', text, eol };
}

/**
 * An attribute list (RFC 8216 §4.2): `NAME=value` pairs separated by commas, a quoted-string holding
 * commas of its own. Reading stops at the first malformed pair (no `=`, an unterminated quote) and
 * after MAX_ATTRIBUTES: what was read before stands.
 */
export function parseAttributes(list: string): Attribute[] {
  const out: Attribute[] = [];
  let at = 0;
  while (at < list.length && out.length < MAX_ATTRIBUTES) {
    const eq = list.indexOf('=', at);
    if (eq < 0) break;
    const name = list.slice(at, eq).trim();
    if (!/^[A-Z0-9-]+$/.test(name)) break;
    let start = eq + 1;
    let end: number;
    let next: number;
    const quoted = list[start] === '"';
    if (quoted) {
      start++;
      end = list.indexOf('"', start);
      if (end < 0) break;
      next = end + 1;
      if (next < list.length && list[next] !== ',') break;
    } else {
      const comma = list.indexOf(',', start);
      end = comma < 0 ? list.length : comma;
      next = end;
    }
    const from = at + (list.slice(at, eq).length - list.slice(at, eq).trimStart().length);
    out.push({ name, value: list.slice(start, end), quoted, start, end, from, to: next });
    at = next + 1;
  }
  return out;
}

/** The attributes by name (the first of a repeated name wins). */
export function attributeMap(list: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const a of parseAttributes(list)) if (!map.has(a.name)) map.set(a.name, a.value);
  return map;
}

/** The list with each value of attribute `name` replaced by `replace(value)`; everything else kept. */
export function mapAttribute(list: string, name: string, replace: (value: string) => string): string {
  let out = '';
  let from = 0;
  for (const a of parseAttributes(list)) {
    if (a.name !== name) continue;
    out += list.slice(from, a.start) + replace(a.value);
    from = a.end;
  }
  return out + list.slice(from);
}

/** The list without attribute `name` (every occurrence, with one comma next to it); the rest kept as is. */
export function withoutAttribute(list: string, name: string): string {
  let out = '';
  let from = 0;
  for (const a of parseAttributes(list)) {
    if (a.name !== name) continue;
    // The comma before it, or (first in the list) the one after it.
    const cut =
      a.from > 0 ? { from: a.from - 1, to: a.to } : { from: a.from, to: Math.min(list.length, a.to + 1) };
    out += list.slice(from, Math.max(from, cut.from));
    from = cut.to;
  }
  return out + list.slice(from);
}
