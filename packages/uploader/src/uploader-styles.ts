import { css } from 'lit';

/**
 * Every colour is a `--vod-uploader-*` custom property whose default is `light-dark(light, dark)`: the
 * element follows the page's `color-scheme` (or `theme="dark"`/`"light"` on the element). Both palettes
 * keep text at 4.5:1 or more against what it sits on, status pills included.
 */
export const uploaderStyles = css`
  :host {
    --_text: var(--vod-uploader-color, light-dark(#1f2430, #eef0f6));
    --_muted: var(--vod-uploader-muted-color, light-dark(#5d6679, #a9b1c3));
    --_accent: var(--vod-uploader-accent, light-dark(#4f46e5, #a5b4fc));
    --_accent-contrast: var(--vod-uploader-accent-contrast, light-dark(#fff, #161a36));
    --_background: var(--vod-uploader-background, light-dark(#f8f9fc, #171b24));
    --_drop-background: var(--vod-uploader-drop-background, light-dark(#eeedfd, #22264a));
    --_surface: var(--vod-uploader-surface, light-dark(#fff, #1e2330));
    --_border: var(--vod-uploader-border-color, light-dark(#d0d5dd, #3a4151));
    --_track: var(--vod-uploader-track-color, light-dark(#e6e9ef, #2e3442));
    --_radius: var(--vod-uploader-radius, 12px);
    --_success: var(--vod-uploader-success, light-dark(#0f7a57, #6ce0ae));
    --_error: var(--vod-uploader-error, light-dark(#b42d09, #ffa58c));
    --_pill-background: var(--vod-uploader-status-background, light-dark(#eceafd, #2a2f5c));
    --_pill-muted-background: var(--vod-uploader-status-muted-background, light-dark(#eef0f4, #2b303c));
    --_pill-success-background: var(--vod-uploader-status-success-background, light-dark(#e3f4ec, #173b2e));
    --_pill-error-background: var(--vod-uploader-status-error-background, light-dark(#fdebe6, #44211a));
    --_shadow: var(--vod-uploader-shadow, light-dark(rgb(16 24 40 / 6%), rgb(0 0 0 / 35%)));
    display: block;
    font: var(--vod-uploader-font, 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    color: var(--_text);
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([hidden]) {
    display: none;
  }
  * {
    box-sizing: border-box;
  }
  .drop-zone {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 6px;
    padding: 28px 20px 24px;
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    background: var(--_background);
    text-align: center;
    cursor: pointer;
    transition:
      border-color 0.15s,
      background-color 0.15s,
      transform 0.15s;
  }
  .drop-zone:hover {
    border-color: var(--_accent);
  }
  .drop-zone.active {
    border-color: var(--_accent);
    border-style: solid;
    background: var(--_drop-background);
    transform: scale(1.01);
  }
  /* Busy without \`multiple\`: no dimming (it failed contrast), only the cursor and the disabled button. */
  .drop-zone[data-busy] {
    cursor: not-allowed;
    border-color: var(--_border);
    transform: none;
  }
  .icon {
    width: 40px;
    height: 40px;
    color: var(--_accent);
    pointer-events: none;
  }
  .prompt {
    margin: 2px 0 0;
    font-weight: 600;
    pointer-events: none;
  }
  .or {
    color: var(--_muted);
    font-size: 0.9em;
    pointer-events: none;
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: 8px;
    padding: 6px 14px;
    border: 1px solid var(--_border);
    background: var(--_surface);
    color: inherit;
    transition:
      background-color 0.15s,
      border-color 0.15s;
  }
  button:hover:not(:disabled) {
    border-color: var(--_accent);
  }
  button:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  button:disabled {
    cursor: not-allowed;
  }
  button.primary {
    border-color: transparent;
    background: var(--_accent);
    color: var(--_accent-contrast);
    font-weight: 600;
  }
  button.primary:hover:not(:disabled) {
    background: color-mix(in srgb, var(--_accent) 88%, var(--_text));
  }
  .hint {
    margin: 4px 0 0;
    color: var(--_muted);
    font-size: 0.86em;
    pointer-events: none;
  }
  input[type='file'] {
    display: none;
  }
  .link {
    display: grid;
    gap: 6px;
    margin: 12px 0 0;
  }
  .link label {
    font-weight: 600;
    font-size: 0.92em;
  }
  .link-row {
    display: flex;
    gap: 8px;
  }
  .link input {
    flex: 1;
    min-width: 0;
    font: inherit;
    padding: 6px 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_surface);
    color: inherit;
  }
  .link input::placeholder {
    color: var(--_muted);
  }
  .link input:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  .link input[aria-invalid='true'] {
    border-color: var(--_error);
  }
  .link-error {
    margin: 0;
    color: var(--_error);
    font-size: 0.92em;
  }
  .notice {
    display: flex;
    align-items: flex-start;
    gap: 12px;
    margin: 12px 0 0;
    padding: 10px 14px;
    border: 1px solid var(--_error);
    border-radius: var(--_radius);
    background: var(--_pill-error-background);
    color: var(--_text);
  }
  .notice p {
    flex: 1;
    margin: 0;
  }
  .notice button {
    display: grid;
    place-items: center;
    width: 26px;
    height: 26px;
    padding: 0;
  }
  .notice svg {
    width: 14px;
    height: 14px;
  }
  .rows {
    display: grid;
    gap: 12px;
    margin: 12px 0 0;
    padding: 0;
    list-style: none;
  }
  .rows:empty {
    display: none;
  }
  .upload {
    padding: 14px 16px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_surface);
    box-shadow: 0 1px 2px var(--_shadow);
  }
  .head {
    display: flex;
    align-items: center;
    gap: 10px;
  }
  .file-icon {
    flex: none;
    width: 20px;
    height: 20px;
    color: var(--_muted);
  }
  .filename {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 600;
  }
  .status {
    flex: none;
    padding: 1px 8px;
    border-radius: 999px;
    font-size: 0.8em;
    font-weight: 600;
    background: var(--_pill-background);
    color: var(--_accent);
  }
  .upload[data-tone='muted'] .status {
    background: var(--_pill-muted-background);
    color: var(--_muted);
  }
  .upload[data-tone='success'] .status {
    background: var(--_pill-success-background);
    color: var(--_success);
  }
  .upload[data-tone='error'] .status {
    background: var(--_pill-error-background);
    color: var(--_error);
  }
  .remove {
    flex: none;
    display: grid;
    place-items: center;
    width: 26px;
    height: 26px;
    padding: 0;
    border-color: transparent;
    background: transparent;
    color: var(--_muted);
  }
  .remove svg {
    width: 16px;
    height: 16px;
  }
  .progress {
    margin: 12px 0 8px;
    height: 8px;
    border-radius: 999px;
    background: var(--_track);
    overflow: hidden;
  }
  .bar {
    height: 100%;
    border-radius: inherit;
    background: var(--_accent);
    /* Short: progress lands many times a second, and a long transition would trail the percentage. */
    transition: width 0.1s linear;
  }
  .upload[data-phase='paused'] .bar {
    background: var(--_muted);
  }
  .upload[data-tone='success'] .bar {
    background: var(--_success);
  }
  .upload[data-tone='error'] .bar {
    background: var(--_error);
  }
  .foot {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 8px 16px;
  }
  .stats {
    color: var(--_muted);
    font-size: 0.88em;
    font-variant-numeric: tabular-nums;
  }
  .stats strong {
    color: var(--_text);
    font-weight: 600;
  }
  .actions {
    display: flex;
    gap: 8px;
  }
  .actions button {
    padding: 4px 12px;
    font-size: 0.9em;
  }
  .message {
    margin: 10px 0 0;
    color: var(--_muted);
    font-size: 0.92em;
  }
  .error {
    margin: 10px 0 0;
    color: var(--_error);
    font-size: 0.92em;
  }
  .result {
    margin: 8px 0 0;
    color: var(--_muted);
    font-size: 0.86em;
  }
  .result code {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    color: var(--_text);
  }
  .player {
    display: block;
    margin: 12px 0 0;
    border-radius: calc(var(--_radius) - 4px);
    overflow: hidden;
  }
`;
