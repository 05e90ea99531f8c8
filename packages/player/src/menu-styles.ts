import { type CSSResult, css } from 'lit';

/**
 * The pop-up menus (speed, quality, captions, audio): anchored to the control bar's right end and never
 * taller than the player, scrolling inside; under 300 px of player height they become a bottom sheet
 * over the whole width. Their containing block is the controls box (part controls), whose shadow
 * root they may not share: the buttons' wrappers stay static.
 */
export const menuStyles = css`
  .menu {
    box-sizing: border-box;
    position: absolute;
    z-index: 2;
    right: 6px;
    bottom: var(--_menu-bottom, 50px);
    min-width: 168px;
    max-height: calc(100cqh - var(--_menu-bottom, 50px) - 8px);
    overflow-y: auto;
    overscroll-behavior: contain;
    padding: 6px;
    border-radius: 10px;
    background: var(--vod-menu-background, rgb(24 24 27 / 0.94));
    backdrop-filter: blur(8px);
    box-shadow: 0 8px 24px rgb(0 0 0 / 0.4);
  }
  .menu header {
    padding: 4px 10px 6px;
    font-size: 11px;
    font-weight: 600;
    letter-spacing: 0.06em;
    text-transform: uppercase;
    opacity: 0.75;
  }
  .menu button {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: 12px;
    width: 100%;
    height: 32px;
    padding: 0 10px;
    font-size: 13px;
    text-align: left;
    white-space: nowrap;
  }
  .menu button svg {
    width: 16px;
    height: 16px;
  }
  .menu button[aria-checked='false'] svg {
    visibility: hidden;
  }
  @media (pointer: coarse) {
    .menu {
      --_menu-bottom: 54px;
    }
    .menu button {
      height: 44px;
    }
  }
  @container (max-height: 299px) {
    .menu {
      left: 0;
      right: 0;
      bottom: 0;
      max-height: 100cqh;
      border-radius: 12px 12px 0 0;
    }
  }
`;

/**
 * Icon buttons name themselves in a tooltip: their aria-label, so the two never disagree. Shown on
 * hover and keyboard focus only; added with the first pointer move or focus in the player.
 */
export const tooltipStyles = css`
  @media (hover: hover) {
    button[aria-label]:not([role], [part='big-play-button'], [aria-expanded='true']):is(:hover, :focus-visible)::after {
      content: attr(aria-label);
      position: absolute;
      bottom: calc(100% + 6px);
      left: 50%;
      transform: translateX(-50%);
      padding: 3px 7px;
      border-radius: 4px;
      background: rgb(0 0 0 / 0.85);
      font-size: 12px;
      font-weight: 500;
      white-space: nowrap;
      pointer-events: none;
    }
  }
  /* Tooltips of the bar's end buttons stay inside the player. */
  .bar > button:first-child::after {
    left: 0;
    transform: none;
  }
  .bar > button:last-child::after {
    left: auto;
    right: 0;
    transform: none;
  }
`;

/** The feedback of shortcuts and gestures (`FeedbackController`), added with its chunk. */
export const feedbackStyles = css`
  /* What a shortcut or gesture did; always in the DOM (a live region), seen only while .on. */
  [part='feedback'] {
    position: absolute;
    top: 22%;
    left: 50%;
    transform: translate(-50%, -50%);
    padding: 8px 14px;
    border-radius: 999px;
    background: rgb(0 0 0 / 0.65);
    font-size: 15px;
    font-weight: 600;
    white-space: nowrap;
    opacity: 0;
    transition: opacity 0.2s ease;
    pointer-events: none;
  }
  [part='feedback'].on {
    opacity: 1;
  }
  [part='feedback']:is(.left, .right) {
    top: 50%;
    left: 17%;
  }
  [part='feedback'].right {
    left: 83%;
  }
`;

/**
 * Adds styles to a shadow root after its first render: the menus' styles come with their chunk, the
 * first time a menu opens, instead of weighing on the element's first chunk.
 */
export function addStyles(root: ShadowRoot, styles: CSSResult): void {
  const sheet = styles.styleSheet;
  if (!sheet) root.append(Object.assign(document.createElement('style'), { textContent: styles.cssText }));
  else if (!root.adoptedStyleSheets.includes(sheet))
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
