import { attributes, lines } from './m3u8.ts';

export { attributes, lines };

import type { Prefetch, prefetch } from './prefetch.ts';
import type { Ahead } from './startup-loader.ts';

export interface StartupOptions {
  /** Also fetch the first segments (init and the one at `startPosition`): the player will buffer. */
  segments: boolean;
  /** Seconds. */
  startPosition: number;
  /** The player's box in CSS pixels, asked once the master is in; null (or empty) when unknown. */
  box?: () => { width: number; height: number } | null;
  /** A rendition chosen by hand before the master was in: its index, lowest bitrate first, as hls.js'. */
  level?: number;
  /** The audio language the viewer chose before (hls.js' `audioPreference`): its rendition, not the default. */
  audioLanguage?: string;
}

export interface Variant {
  uri: string;
  bandwidth: number;
  width: number;
  height: number;
  audio?: string;
}

/**
 * The most a start rung may ask for, as hls.js' own first pick allows: its default estimate is
 * 500 kbit/s, and it gives a first segment 4 s to load, taking segments as 1 s long until a media
 * playlist says otherwise (4 × 500 kbit/s).
 */
const START_BANDWIDTH = 2_000_000;

/** As hls.js resolves a playlist's URIs: against the playlist's own (final) URL. */
function resolve(uri: string, base: string): string | null {
  try {
    return new URL(uri, base).href;
  } catch {
    return null;
  }
}

/**
 * The rung a player starts on, which hls.js is then told (`startLevel`): the best under
 * `START_BANDWIDTH` that is no larger than the player needs, as `capLevelToPlayerSize` would cap it
 * (the smallest rung that covers the box in device pixels); the lowest when none is that cheap. A
 * rendition chosen by hand (`level`, an index in hls.js' order: lowest bitrate first) wins.
 */
export function chooseVariant(
  variants: readonly Variant[],
  box: { width: number; height: number } | null,
  pixelRatio = 1,
  level = -1,
): Variant | undefined {
  const rungs = [...variants].sort((a, b) => a.bandwidth - b.bandwidth);
  if (level >= 0 && level < rungs.length) return rungs[level];
  let cap = rungs.length - 1;
  if (box && box.width > 0 && box.height > 0) {
    const covering = rungs.findIndex(
      (v) => v.width >= box.width * pixelRatio || v.height >= box.height * pixelRatio,
    );
    if (covering >= 0) cap = covering;
  }
  let pick = 0;
  for (let i = 1; i <= cap; i++) if (rungs[i]!.bandwidth <= START_BANDWIDTH) pick = i;
  return rungs[pick];
}

/** A media playlist's first segments: the init segment and the one playing at `at` seconds. */
export function firstSegments(text: string, at: number): string[] {
  // Byte ranges are asked with a Range header; an answer by URL would be the whole file.
  if (text.includes('BYTERANGE')) return [];
  let map: string | undefined;
  let end = 0;
  let duration: number | undefined;
  for (const line of lines(text)) {
    if (line.startsWith('#EXT-X-MAP:')) map = attributes(line).URI;
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#') && duration !== undefined) {
      end += duration;
      duration = undefined;
      if (end > at) return map ? [map, line] : [line];
    }
  }
  return [];
}

/**
 * What hls.js will ask for first, asked before hls.js is there: the master (already requested by
 * whoever made this), then the media playlist of the start rung and its audio rendition, then, for a
 * player that will buffer, their init segments and first segments. Each answer is handed out once
 * (`take`), by URL, through `startupLoader`; what hls.js does not ask for is dropped by `abort`.
 */
export class Startup implements Ahead {
  readonly #files = new Map<string, Prefetch>();
  readonly #options: StartupOptions;
  /** `prefetch()`, passed in: importing it would make this chunk import the element's. */
  readonly #prefetch: typeof prefetch;
  #aborted = false;
  /** The start rung's media playlist (absolute), once the master is in. */
  levelUrl: string | null = null;

  constructor(master: Prefetch, options: StartupOptions, fetchAhead: typeof prefetch) {
    this.#options = options;
    this.#prefetch = fetchAhead;
    this.#files.set(master.url, master);
    void master.answer.then((answer) => {
      if (answer && typeof answer.data === 'string') this.#fromMaster(answer.data, answer.url);
    });
  }

  take(url: string): Prefetch | null {
    const ahead = this.#files.get(url);
    if (!ahead) return null;
    this.#files.delete(url);
    return ahead;
  }

  abort(): void {
    this.#aborted = true;
    for (const ahead of this.#files.values()) ahead.abort();
    this.#files.clear();
  }

  #fetch(url: string, binary: boolean): Prefetch | null {
    if (this.#aborted || this.#files.has(url)) return null;
    const ahead = this.#prefetch(url, binary);
    this.#files.set(url, ahead);
    return ahead;
  }

  #fromMaster(text: string, base: string): void {
    const variants: Variant[] = [];
    const audio = new Map<string, string>();
    const preferred = new Map<string, string>();
    const wanted = this.#options.audioLanguage?.toLowerCase();
    const all = lines(text);
    all.forEach((line, i) => {
      if (line.startsWith('#EXT-X-STREAM-INF:')) {
        const a = attributes(line);
        const uri = all.slice(i + 1).find((l) => l && !l.startsWith('#'));
        const [width, height] = (a.RESOLUTION ?? '0x0').split('x').map(Number);
        if (uri) {
          variants.push({
            uri,
            bandwidth: Number(a.BANDWIDTH) || 0,
            width: width || 0,
            height: height || 0,
            audio: a.AUDIO,
          });
        }
      } else if (line.startsWith('#EXT-X-MEDIA:')) {
        // The group's rendition in the viewer's language, else its default, as hls.js picks one.
        const a = attributes(line);
        const group = a['GROUP-ID']!;
        if (a.TYPE !== 'AUDIO' || !a.URI || preferred.has(group)) return;
        if (wanted && a.LANGUAGE?.toLowerCase() === wanted) preferred.set(group, a.URI);
        else if (a.DEFAULT === 'YES' || !audio.has(group)) audio.set(group, a.URI);
      }
    });
    const { box, level } = this.#options;
    const start = chooseVariant(variants, box?.() ?? null, globalThis.devicePixelRatio || 1, level);
    const rendition = start?.audio && (preferred.get(start.audio) ?? audio.get(start.audio));
    this.levelUrl = start ? resolve(start.uri, base) : null;
    for (const url of [this.levelUrl, rendition ? resolve(rendition, base) : null]) {
      if (!url) continue;
      void this.#fetch(url, false)?.answer.then((answer) => {
        if (!answer || typeof answer.data !== 'string' || !this.#options.segments) return;
        for (const uri of firstSegments(answer.data, this.#options.startPosition)) {
          const segment = resolve(uri, answer.url);
          if (segment) this.#fetch(segment, true);
        }
      });
    }
  }
}
