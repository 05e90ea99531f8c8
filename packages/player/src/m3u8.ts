/**
 * The player's one m3u8 reader, for what it reads before hls.js is there (startup.ts) and what native
 * HLS ignores (sidecar-tracks.ts). Tiny on purpose: it rides in those chunks, not in hls.js.
 */

/** A playlist's lines, trimmed; LF, CRLF and a bare CR end a line, as for hls.js. */
export const lines = (text: string): string[] => text.split(/\r\n?|\n/).map((l) => l.trim());

/**
 * The attribute list of a tag line, `#EXT-X-MEDIA:KEY=value,KEY="quoted, value"` (RFC 8216 §4.2).
 * Pairs are read one after the other (sticky): reading stops at the first malformed one (an
 * unterminated quote, text after a closing quote), so nothing is read from inside a broken string,
 * and after 64 pairs. The first of a repeated name wins.
 */
export function attributes(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const m of line
    .slice(line.indexOf(':') + 1)
    .matchAll(/(?:^|,)([A-Z0-9-]+)=(?:"([^"]*)"|([^,"]*))(?=,|$)/gy)) {
    out[m[1]!] ??= m[2] ?? m[3]!;
    if (++n === 64) break;
  }
  return out;
}
