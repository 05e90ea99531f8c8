import {
  html,
  nothing,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import { type ChapterCue, chapterAt } from './chapters.ts';
import { chapterJump, parseChapters } from './chapters-vtt.ts';

/** The chapters menu's chunk, shared by every player on the page. */
let menuChunk: Promise<unknown> | undefined;

/**
 * A video's chapters for `<vod-player>`: loads the WebVTT chapters file (`chapters` attribute, or the
 * Vodkit video's `chapters.vtt`), hands the list to the seek bar and the menu, and moves between
 * chapters (the N and P keys). A missing, empty or unreadable file only means no chapters. The
 * menu element is a chunk of its own, imported the first time a video has chapters.
 */
export class ChaptersController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #media: HTMLMediaElement;
  #url = '';
  #list: ChapterCue[] = [];
  #abort: AbortController | null = null;
  #menuReady = false;

  constructor(host: ReactiveControllerHost, media: HTMLMediaElement) {
    this.#host = host;
    this.#media = media;
    host.addController(this);
  }

  /** In start order; empty while loading or when the video has none. */
  get list(): ChapterCue[] {
    return this.#list;
  }

  /** The chapter playing now. */
  get current(): ChapterCue | null {
    return chapterAt(this.#list, this.#media.currentTime);
  }

  /** Fetches the chapters at `url`; an empty string clears them (a new source). */
  load(url: string): void {
    if (url === this.#url) return;
    this.#url = url;
    this.#abort?.abort();
    this.#abort = null;
    if (this.#list.length) {
      this.#list = [];
      this.#host.requestUpdate();
    }
    if (url) void this.#fetch(url);
  }

  /** Whether the menu element is defined; starts importing it once there are chapters. */
  menuReady(): boolean {
    if (this.#menuReady || this.#list.length === 0) return this.#menuReady;
    menuChunk ??= import('./vod-chapters-menu.ts');
    void menuChunk.then(() => {
      this.#menuReady = true;
      this.#host.requestUpdate();
    });
    return false;
  }

  /** The control bar's chapters button and menu (`<vod-chapters-menu>`), once its chunk is in. */
  menu(label = 'Chapters'): TemplateResult | typeof nothing {
    return this.menuReady()
      ? html`<vod-chapters-menu
          exportparts="button: chapters-button, menu: chapters-menu"
          .controller=${this}
          .chapters=${this.#list}
          .label=${label}
        ></vod-chapters-menu>`
      : nothing;
  }

  /** Seeks to a chapter's start. */
  seek(chapter: ChapterCue): void {
    this.#media.currentTime = chapter.start;
  }

  /** The next (+1) or previous (-1) chapter; false when there is none that way. */
  jump(direction: 1 | -1): boolean {
    const to = chapterJump(this.#list, this.#media.currentTime, direction);
    if (to === null) return false;
    this.#media.currentTime = to;
    return true;
  }

  hostConnected(): void {
    if (this.#url && !this.#abort && this.#list.length === 0) void this.#fetch(this.#url);
  }

  hostDisconnected(): void {
    this.#abort?.abort();
    this.#abort = null;
  }

  async #fetch(url: string): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const res = await fetch(new URL(url, document.baseURI).href, { signal: abort.signal });
      if (!res.ok) return;
      const list = parseChapters(await res.text());
      if (abort.signal.aborted) return;
      this.#list = list;
      this.#host.requestUpdate();
    } catch {
      // Aborted, offline or not CORS-readable: no chapters.
    }
  }
}
