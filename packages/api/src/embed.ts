/** Options of `responsiveIframe`. */
export interface IframeSnippetOptions {
  /** The video's width and height (any unit: only their ratio is used). Default 16 / 9. */
  width?: number | null;
  height?: number | null;
  /** The iframe's accessible name; default "Video". */
  title?: string | null;
  /** Caps the width in CSS pixels (oEmbed's `maxwidth`); default none: the width of its container. */
  maxWidth?: number | null;
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The HTML to paste for an embed: an iframe in a wrapper that keeps the video's aspect ratio at any
 * width, instead of a fixed `width=640 height=360` that squeezes and letterboxes on a phone.
 *
 * ```html
 * <div style="position:relative;width:100%;aspect-ratio:16 / 9"><iframe src="…" title="…" style="position:absolute;inset:0;width:100%;height:100%;border:0" …></iframe></div>
 * ```
 */
export function responsiveIframe(src: string, options: IframeSnippetOptions = {}): string {
  const w = options.width && options.width > 0 ? options.width : 16;
  const h = options.height && options.height > 0 ? options.height : 9;
  const max = options.maxWidth && options.maxWidth > 0 ? `;max-width:${Math.round(options.maxWidth)}px` : '';
  const title = escapeAttribute(options.title || 'Video');
  return (
    `<div style="position:relative;width:100%${max};aspect-ratio:${w} / ${h}">` +
    `<iframe src="${escapeAttribute(src)}" title="${title}" ` +
    'style="position:absolute;inset:0;width:100%;height:100%;border:0" ' +
    'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe></div>'
  );
}
