import { svg, type TemplateResult } from 'lit';

// 24×24 outline-free glyphs drawn with currentColor, so `color` themes them.
const icon = (body: TemplateResult<2>) =>
  svg`<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="currentColor">${body}</svg>`;

export const icons = {
  play: icon(
    svg`<path d="M8 5.14v13.72a1 1 0 0 0 1.52.85l11.2-6.86a1 1 0 0 0 0-1.7L9.52 4.29A1 1 0 0 0 8 5.14Z"/>`,
  ),
  pause: icon(
    svg`<rect x="6" y="5" width="4" height="14" rx="1.2"/><rect x="14" y="5" width="4" height="14" rx="1.2"/>`,
  ),
  replay: icon(svg`<path d="M12 5V2L7 6l5 4V7a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8Z"/>`),
  volumeHigh: icon(
    svg`<path d="M4 9v6h4l5 4.5v-15L8 9H4Z"/><path d="M15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  ),
  volumeLow: icon(
    svg`<path d="M4 9v6h4l5 4.5v-15L8 9H4Z"/><path d="M15.5 8.5a5 5 0 0 1 0 7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  ),
  volumeMuted: icon(
    svg`<path d="M4 9v6h4l5 4.5v-15L8 9H4Z"/><path d="m16 9.5 5 5m0-5-5 5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  ),
  settings: icon(
    svg`<path d="M19.4 13a7.6 7.6 0 0 0 0-2l2-1.6-2-3.4-2.4 1a7.4 7.4 0 0 0-1.7-1L15 3.5h-4l-.4 2.5a7.4 7.4 0 0 0-1.7 1l-2.4-1-2 3.4 2 1.6a7.6 7.6 0 0 0 0 2l-2 1.6 2 3.4 2.4-1a7.4 7.4 0 0 0 1.7 1l.4 2.5h4l.4-2.5a7.4 7.4 0 0 0 1.7-1l2.4 1 2-3.4-2-1.6ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z" transform="translate(-1 0)"/>`,
  ),
  check: icon(
    svg`<path d="m5 12.5 4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>`,
  ),
  enterFullscreen: icon(
    svg`<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>`,
  ),
  exitFullscreen: icon(
    svg`<path d="M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>`,
  ),
  pip: icon(
    svg`<rect x="3" y="5" width="18" height="14" rx="2" fill="none" stroke="currentColor" stroke-width="2"/><rect x="12" y="11" width="7" height="6" rx="1"/>`,
  ),
  cast: icon(
    svg`<path d="M3 18a3 3 0 0 1 3 3H3v-3Zm0-4a7 7 0 0 1 7 7H8a5 5 0 0 0-5-5v-2Zm0-4a11 11 0 0 1 11 11h-2a9 9 0 0 0-9-9v-2Z"/><path d="M5 7V5h16v14h-5v-2h3V7H5Z"/>`,
  ),
  resetView: icon(
    svg`<circle cx="12" cy="12" r="3"/><path d="M12 3v3M12 18v3M3 12h3M18 12h3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/><circle cx="12" cy="12" r="7" fill="none" stroke="currentColor" stroke-width="2"/>`,
  ),
  motion: icon(
    svg`<rect x="7" y="3" width="10" height="18" rx="2" fill="none" stroke="currentColor" stroke-width="2"/><path d="M3 9c-1 2-1 4 0 6M21 9c1 2 1 4 0 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  ),
};
