/**
 * Reading a master playlist's SUBTITLES renditions, for `CaptionsController.addSidecarTracks`. A module
 * (and chunk) of its own: only native HLS that ignores the SUBTITLES group needs it, so the player's
 * entry does not carry it.
 */

// The reader (m3u8.ts) through startup.ts: imported from both, it would be a chunk of its own, one more
// fetch the start-up chunk waits for; this way it rides in the start-up chunk, which is preloaded.
import { attributes, lines } from './startup.ts';

/** A SUBTITLES rendition of a master playlist. */
export interface SubtitleRendition {
  /** The media playlist, absolute. */
  uri: string;
  language: string;
  name: string;
  default: boolean;
  kind: 'subtitles' | 'captions';
}

/** The SUBTITLES renditions a master playlist declares, URIs resolved against `base`. */
export function subtitleRenditions(master: string, base: string): SubtitleRendition[] {
  const out: SubtitleRendition[] = [];
  for (const line of lines(master)) {
    if (!line.startsWith('#EXT-X-MEDIA:')) continue;
    const a = attributes(line);
    if (a.TYPE !== 'SUBTITLES' || !a.URI) continue;
    const sdh = /transcribes-spoken-dialog/.test(a.CHARACTERISTICS ?? '');
    out.push({
      uri: new URL(a.URI, base).href,
      language: a.LANGUAGE ?? '',
      name: a.NAME ?? '',
      default: a.DEFAULT === 'YES',
      kind: sdh ? 'captions' : 'subtitles',
    });
  }
  return out;
}

/** The one segment of a finished one-segment media playlist (Vodkit's), or null for anything else. */
export function singleSegment(playlist: string, base: string): string | null {
  const all = lines(playlist);
  const uris = all.filter((l) => l && !l.startsWith('#'));
  return uris.length === 1 && all.includes('#EXT-X-ENDLIST') ? new URL(uris[0]!, base).href : null;
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
