import { css } from 'lit';

/** The control bar's icon buttons; shared with elements that sit in the bar in a shadow root of their own. */
export const controlButtonStyles = css`
  button {
    /* Above the scrubber's taller touch area; the anchor of the tooltips (menu-styles.ts). */
    position: relative;
    appearance: none;
    display: inline-grid;
    place-items: center;
    width: 36px;
    height: 36px;
    margin: 0;
    padding: 0;
    border: 0;
    border-radius: 6px;
    background: transparent;
    color: inherit;
    font: inherit;
    cursor: pointer;
  }
  button:hover {
    background: rgb(255 255 255 / 0.14);
  }
  button:focus-visible {
    outline: 2px solid var(--vod-focus-color, rgb(255 255 255 / 0.9));
    outline-offset: 1px;
  }
  /* Fingers need 44 px targets (WCAG 2.5.5); a mouse keeps the denser 36 px bar. */
  @media (pointer: coarse) {
    button {
      width: 44px;
      height: 44px;
    }
  }
`;

export const playerStyles = css`
  :host {
    display: block;
    position: relative;
    aspect-ratio: var(--vod-player-aspect-ratio, 16 / 9);
    overflow: hidden;
    border-radius: var(--vod-player-radius, 0);
    background: var(--vod-player-background, #000);
    color: var(--vod-control-color, #fff);
    font-family: var(--vod-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    line-height: 1.3;
    -webkit-tap-highlight-color: transparent;
  }
  :host([hidden]) {
    display: none;
  }
  :host(:fullscreen) {
    aspect-ratio: auto;
    width: 100%;
    height: 100%;
    border-radius: 0;
  }
  .frame {
    position: absolute;
    inset: 0;
    outline: none;
    /* Overlays size themselves by the player, not the viewport: embeds are often small. */
    container-type: size;
  }
  /* A ring on the frame itself would be painted under the video: draw it on a layer above. */
  .frame:focus-visible::after {
    content: '';
    position: absolute;
    inset: 0;
    z-index: 10;
    box-shadow: inset 0 0 0 3px var(--vod-focus-color, rgb(255 255 255 / 0.9));
    pointer-events: none;
  }
  .frame.idle {
    cursor: none;
  }
  .view {
    position: absolute;
    inset: 0;
    /* No double-tap zoom: a double tap on a side seeks. */
    touch-action: manipulation;
  }
  .view.sphere-on video {
    /* Still decoding (the sphere's texture reads it), no longer seen. */
    opacity: 0;
  }
  .sphere {
    position: absolute;
    inset: 0;
    touch-action: none;
    cursor: grab;
  }
  .sphere:active {
    cursor: grabbing;
  }
  .sphere canvas {
    display: block;
    width: 100%;
    height: 100%;
  }
  [part='title'] {
    position: absolute;
    top: 0;
    left: 0;
    right: 0;
    padding: 12px 16px 28px;
    overflow: hidden;
    font-size: 15px;
    font-weight: 600;
    white-space: nowrap;
    text-overflow: ellipsis;
    background: linear-gradient(to bottom, rgb(0 0 0 / 0.7), transparent);
    pointer-events: none;
    transition: opacity 0.25s ease;
  }
  .idle [part='title'] {
    opacity: 0;
  }
  [part='notice'] {
    position: absolute;
    top: 48px;
    left: 50%;
    max-width: 80%;
    transform: translateX(-50%);
    padding: 8px 12px;
    border-radius: 8px;
    background: rgb(0 0 0 / 0.8);
    font-size: 13px;
    text-align: center;
  }
  video {
    position: absolute;
    inset: 0;
    display: block;
    width: 100%;
    height: 100%;
    object-fit: contain;
    background: transparent;
  }

  ${controlButtonStyles}
  button {
    flex: none;
  }
  button svg {
    width: 22px;
    height: 22px;
  }
  input:focus-visible {
    outline: 2px solid var(--vod-focus-color, rgb(255 255 255 / 0.9));
    outline-offset: 1px;
  }

  [part='big-play-button'] {
    position: absolute;
    left: 50%;
    top: 50%;
    width: clamp(44px, 18cqmin, 76px);
    height: clamp(44px, 18cqmin, 76px);
    transform: translate(-50%, -50%);
    border-radius: 50%;
    background: var(--vod-big-play-background, rgb(0 0 0 / 0.55));
    backdrop-filter: blur(6px);
    transition:
      transform 0.15s ease,
      background 0.15s ease;
  }
  [part='big-play-button']:hover {
    transform: translate(-50%, -50%) scale(1.06);
    background: var(--vod-accent-color, rgb(0 0 0 / 0.7));
  }
  [part='big-play-button'] svg {
    width: 46%;
    height: 46%;
    margin-left: 6%;
  }

  [part='spinner'] {
    position: absolute;
    left: 50%;
    top: 50%;
    width: 44px;
    height: 44px;
    margin: -22px 0 0 -22px;
    border: 3px solid rgb(255 255 255 / 0.25);
    border-top-color: var(--vod-accent-color, #fff);
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
    pointer-events: none;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }

  [part='error'] {
    position: absolute;
    inset: 0;
    display: grid;
    place-content: center;
    gap: 6px;
    padding: 24px;
    text-align: center;
    background: rgb(0 0 0 / 0.78);
  }
  [part='error'] strong {
    font-size: 16px;
    font-weight: 600;
  }
  [part='retry-button'] {
    justify-self: center;
    display: inline-flex;
    gap: 6px;
    width: auto;
    margin-top: 8px;
    padding: 0 14px;
    background: rgb(255 255 255 / 0.16);
  }
  [part='error'] small {
    font-size: 12px;
    opacity: 0.8;
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  }

  [part='controls'] {
    position: absolute;
    left: 0;
    right: 0;
    bottom: 0;
    padding: 40px 12px 6px;
    background: var(--vod-controls-background, linear-gradient(to top, rgb(0 0 0 / 0.78), rgb(0 0 0 / 0.35) 55%, transparent));
    transition: opacity 0.25s ease;
    /* The gradient above the bar belongs to the picture: clicks there play and pause. */
    pointer-events: none;
  }
  [part='controls'] > * {
    pointer-events: auto;
  }
  .idle [part='controls'],
  .idle [part='controls'] > * {
    opacity: 0;
    pointer-events: none;
  }
  [part='scrubber'] {
    margin: 0 6px;
  }
  .bar {
    display: flex;
    align-items: center;
    gap: 2px;
    height: 40px;
  }
  .spacer {
    flex: 1;
  }
  [part='time'] {
    margin: 0 10px;
    font-size: 13px;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
    opacity: 0.92;
  }
  [part='time'] span {
    opacity: 0.7;
  }

  .volume {
    display: flex;
    align-items: center;
  }
  [part='volume'] {
    --_fill: 100%;
    appearance: none;
    width: 0;
    height: 4px;
    margin: 0;
    opacity: 0;
    border-radius: 999px;
    background: linear-gradient(
      to right,
      var(--vod-accent-color, #fff) var(--_fill),
      rgb(255 255 255 / 0.3) var(--_fill)
    );
    cursor: pointer;
    transition:
      width 0.15s ease,
      opacity 0.15s ease,
      margin 0.15s ease;
  }
  .volume:hover [part='volume'],
  .volume:focus-within [part='volume'] {
    width: 72px;
    margin: 0 8px 0 4px;
    opacity: 1;
  }
  [part='volume']::-webkit-slider-thumb {
    appearance: none;
    width: 12px;
    height: 12px;
    border-radius: 50%;
    background: var(--vod-accent-color, #fff);
  }
  [part='volume']::-moz-range-thumb {
    width: 12px;
    height: 12px;
    border: 0;
    border-radius: 50%;
    background: var(--vod-accent-color, #fff);
  }

  .menu-anchor {
    /* Menus anchor to the bar (menuStyles), not to their button. */
    position: static;
  }
  .text-button {
    width: auto;
    min-width: 36px;
    padding: 0 6px;
    font-size: 13px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  [part='quality-button'] {
    position: relative;
  }
  .badge {
    position: absolute;
    top: 3px;
    right: 1px;
    padding: 0 3px;
    border-radius: 3px;
    /* Not the accent colour: white text must stay readable (≥ 4.5:1) whatever a page picks. */
    background: var(--vod-badge-background, #be123c);
    color: #fff;
    font-size: 8px;
    font-weight: 700;
    line-height: 12px;
  }
  .hint {
    opacity: 0.75;
  }

  @media (pointer: coarse) {
    .bar {
      height: 44px;
      gap: 0;
    }
    /* A 44 px tall touch area around the same thin rail, overlapping the picture, not the buttons. */
    [part='scrubber'] {
      height: 44px;
      margin: -13px 6px;
    }
    .text-button {
      min-width: 44px;
    }
  }
  /* A phone-sized player: the time goes above the seek bar, so that every 44 px button fits the row. */
  @container (max-width: 480px) {
    [part='controls'] {
      padding: 28px 6px 2px;
    }
    [part='volume'],
    .volume:is(:hover, :focus-within) [part='volume'] {
      display: none;
    }
    [part='time'] {
      position: absolute;
      top: 6px;
      left: 12px;
      margin: 0;
      font-size: 12px;
    }
  }
  @container (max-width: 379px) {
    [part='pip-button'] {
      display: none;
    }
  }
`;
