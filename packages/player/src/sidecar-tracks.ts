/**
 * Reading a master playlist's SUBTITLES renditions, for `CaptionsController.addSidecarTracks`. A module
 * (and chunk) of its own: only native HLS that ignores the SUBTITLES group needs it, so the player's
 * entry does not carry it.
 */

/** A SUBTITLES rendition of a master playlist. */
export interface SubtitleRendition {
  /** The media playlist, absolute. */
  uri: string;
  language: string;
  name: string;
  default: boolean;
  kind: 'subtitles' | 'captions';
}

/** `KEY=value,KEY="quoted, value"` → a map (RFC 8216 §4.2). */
function attributes(list: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out.set(m[1]!, m[2]!.replace(/^"|"$/g, ''));
  return out;
}

/** The SUBTITLES renditions a master playlist declares, URIs resolved against `base`. */
export function subtitleRenditions(master: string, base: string): SubtitleRendition[] {
  const out: SubtitleRendition[] = [];
  for (const line of master.split(/\r?\n/)) {
    if (!line.startsWith('#EXT-X-MEDIA:')) continue;
    const a = attributes(line.slice('#EXT-X-MEDIA:'.length));
    const uri = a.get('URI');
    if (a.get('TYPE') !== 'SUBTITLES' || !uri) continue;
    const sdh = /transcribes-spoken-dialog/.test(a.get('CHARACTERISTICS') ?? '');
    out.push({
      uri: new URL(uri, base).href,
      language: a.get('LANGUAGE') ?? '',
      name: a.get('NAME') ?? '',
      default: a.get('DEFAULT') === 'YES',
      kind: sdh ? 'captions' : 'subtitles',
    });
  }
  return out;
}

/** The one segment of a finished one-segment media playlist (Vodkit's), or null for anything else. */
export function singleSegment(playlist: string, base: string): string | null {
  const lines = playlist.split(/\r?\n/).map((l) => l.trim());
  const uris = lines.filter((l) => l && !l.startsWith('#'));
  return uris.length === 1 && lines.includes('#EXT-X-ENDLIST') ? new URL(uris[0]!, base).href : null;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${res.status} for ${url}`);
  return res.text();
}

/** The WebVTT of each rendition of `masterUrl` that is a one-segment playlist (null for the others). */
export async function fetchSidecars(
  masterUrl: string,
): Promise<({ rendition: SubtitleRendition; vtt: string } | null)[]> {
  const renditions = subtitleRenditions(await fetchText(masterUrl), masterUrl);
  return Promise.all(
    renditions.map(async (r) => {
      const segment = singleSegment(await fetchText(r.uri), r.uri);
      return segment ? { rendition: r, vtt: await fetchText(segment) } : null;
    }),
  );
}
