import fs from 'node:fs/promises';
import path from 'node:path';

const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface EmbedPageInfo {
  /** The video's title (the page's `<title>`, and the discovery link's). */
  title: string;
  /** The embed page's own absolute URL (with `?token=` for a protected video). */
  url: string;
  /** Where `/oembed` answers. */
  oembedEndpoint: string;
}

/**
 * The built `embed.html` with what a page that is shared or embedded needs in its head: the video's
 * title as `<title>` (browser tabs, screen readers, link previews) and oEmbed discovery links, so a
 * CMS given the embed URL finds `/oembed` by itself. The template is read again only when the build
 * changes it.
 */
export class EmbedPage {
  readonly #file: string;
  #cached: { mtimeMs: number; html: string } | null = null;

  constructor(root: string) {
    this.#file = path.join(root, 'embed.html');
  }

  async render(info: EmbedPageInfo): Promise<string> {
    const html = await this.#template();
    const title = escapeHtml(info.title);
    const href = (format: string) =>
      escapeHtml(`${info.oembedEndpoint}?url=${encodeURIComponent(info.url)}&format=${format}`);
    const head =
      `<link rel="alternate" type="application/json+oembed" href="${href('json')}" title="${title}" />\n` +
      `<link rel="canonical" href="${escapeHtml(info.url)}" />\n`;
    const titled = html.replace(/<title>[^<]*<\/title>/, `<title>${title}</title>`);
    // In the head: before its end tag, or after the title where the page leaves the tags implicit.
    if (titled.includes('</head>')) return titled.replace('</head>', `${head}</head>`);
    return titled.replace('</title>', `</title>\n${head}`);
  }

  async #template(): Promise<string> {
    const { mtimeMs } = await fs.stat(this.#file);
    if (this.#cached?.mtimeMs !== mtimeMs) {
      this.#cached = { mtimeMs, html: await fs.readFile(this.#file, 'utf8') };
    }
    return this.#cached.html;
  }
}
