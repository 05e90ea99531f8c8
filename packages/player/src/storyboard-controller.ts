import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** One storyboard thumbnail: a rectangle of a sprite sheet, shown for [start, end). */
export interface StoryboardTile {
  start: number;
  end: number;
  /** The sheet's absolute URL. */
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Loads a WebVTT storyboard (cues whose text is `sheet.jpg#xywh=x,y,w,h`) for seek previews. A missing
 * or malformed storyboard only means no thumbnails: it never raises an error.
 */
export class StoryboardController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #url = '';
  #tiles: StoryboardTile[] = [];
  #abort: AbortController | null = null;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** Fetches the storyboard at `url` (relative to the page); an empty string clears it. */
  load(url: string): void {
    if (url === this.#url) return;
    this.#url = url;
    this.#abort?.abort();
    this.#abort = null;
    this.#tiles = [];
    if (url) this.#fetch(url);
  }

  /** The tile for `time`, or null. */
  at(time: number): StoryboardTile | null {
    for (const tile of this.#tiles) if (time >= tile.start && time < tile.end) return tile;
    const last = this.#tiles.at(-1);
    return last && time >= last.end - 0.001 ? last : null;
  }

  hostConnected(): void {
    // Reconnected after a disconnect aborted the fetch: fetch again.
    if (this.#url && !this.#abort && this.#tiles.length === 0) this.#fetch(this.#url);
  }

  hostDisconnected(): void {
    this.#abort?.abort();
    this.#abort = null;
  }

  async #fetch(url: string): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const absolute = new URL(url, document.baseURI).href;
      const res = await fetch(absolute, { signal: abort.signal });
      if (!res.ok) return;
      const tiles = parseStoryboard(await res.text(), absolute);
      if (abort.signal.aborted) return;
      this.#tiles = tiles;
      this.#host.requestUpdate();
    } catch {
      // Aborted, offline or not CORS-readable: previews fall back to the time alone.
    }
  }
}

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)/;
const XYWH = /#xywh=(\d+),(\d+),(\d+),(\d+)\s*$/;

/** Parses the cues of a WebVTT storyboard; sheet URLs resolve against the VTT's own URL. */
export function parseStoryboard(vtt: string, baseUrl: string): StoryboardTile[] {
  const base = new URL(baseUrl);
  // A protected video's token must reach the sheets too when the server left the URIs relative.
  const token = base.searchParams.get('token');
  const lines = vtt.replace(/\r\n?/g, '\n').split('\n');
  const tiles: StoryboardTile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const timing = TIMING.exec(lines[i] ?? '');
    const text = lines[i + 1]?.trim();
    if (!timing || !text) continue;
    const xywh = XYWH.exec(text);
    if (!xywh) continue;
    const sheet = new URL(text.slice(0, xywh.index), base);
    if (token && sheet.origin === base.origin && !sheet.searchParams.has('token')) {
      sheet.searchParams.set('token', token);
    }
    tiles.push({
      start: seconds(timing[1]!),
      end: seconds(timing[2]!),
      url: sheet.href,
      x: Number(xywh[1]),
      y: Number(xywh[2]),
      w: Number(xywh[3]),
      h: Number(xywh[4]),
    });
  }
  return tiles.sort((a, b) => a.start - b.start);
}

function seconds(stamp: string): number {
  return stamp.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}
