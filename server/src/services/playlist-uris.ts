import { mapAttribute, readLines } from '../media/m3u8.ts';

/**
 * Adds query parameters to every child URI of an HLS playlist, so that a token or signature given to
 * the playlist reaches what it lists: URI lines (variants, segments) and `URI="…"` attributes of any
 * tag (`EXT-X-MAP`, `EXT-X-MEDIA`, `EXT-X-I-FRAME-STREAM-INF`, `EXT-X-KEY`, `EXT-X-PART`, …).
 *
 * Only relative URIs (and root-relative ones) change: an absolute URI points elsewhere and must not
 * receive our credentials. A parameter already present with the same name is replaced, so rewriting
 * twice is the same as once. Line endings and everything else are kept byte for byte.
 */
export function addPlaylistParams(playlist: string, params: Readonly<Record<string, string>>): string {
  const names = Object.keys(params);
  if (names.length === 0) return playlist;
  const query = names.map((n) => `${encodeURIComponent(n)}=${encodeURIComponent(params[n]!)}`).join('&');
  const add = (uri: string) => withParams(uri, names, query);
  return readLines(playlist)
    .map((line) => {
      if (line.kind === 'uri') return line.text.replace(line.uri, add(line.uri)) + line.eol;
      if (line.kind !== 'tag') return line.text + line.eol;
      // Only an attribute named exactly URI (not `X-FOO-URI`, not `URI=` inside a quoted NAME).
      const value = mapAttribute(line.value, 'URI', add);
      return (value === line.value ? line.text : `${line.name}:${value}`) + line.eol;
    })
    .join('');
}

/** `uri` with `query` appended (replacing parameters of the same names), or `uri` when absolute. */
export function withParams(uri: string, names: readonly string[], query: string): string {
  // scheme:… or //host… are absolute; leave them alone.
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('//')) return uri;
  const hashAt = uri.indexOf('#');
  const fragment = hashAt >= 0 ? uri.slice(hashAt) : '';
  const beforeHash = hashAt >= 0 ? uri.slice(0, hashAt) : uri;
  const qAt = beforeHash.indexOf('?');
  const path = qAt >= 0 ? beforeHash.slice(0, qAt) : beforeHash;
  const kept =
    qAt >= 0
      ? beforeHash
          .slice(qAt + 1)
          .split('&')
          .filter((pair) => pair && !names.includes(safeDecode(pair.split('=')[0]!)))
      : [];
  return `${path}?${[...kept, query].join('&')}${fragment}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
