/** How the viewer wants captions drawn: text size and background, kept per browser (this origin). */
export interface CaptionStyle {
  /** Multiplies the player's cue size: 0.75, 1, 1.5, 2. */
  scale: number;
  /** A dark box behind the text, or none (the text then gets an outline to stay readable). */
  background: 'dark' | 'none';
}

export const CAPTION_SCALES = [0.75, 1, 1.5, 2] as const;

const KEY = 'vodkit:caption-style';
const DEFAULT: CaptionStyle = { scale: 1, background: 'dark' };

/** The stored style, or the default (storage off, never chosen, or unreadable). */
export function loadCaptionStyle(): CaptionStyle {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<CaptionStyle> | null;
    const scale = CAPTION_SCALES.find((s) => s === stored?.scale) ?? DEFAULT.scale;
    return { scale, background: stored?.background === 'none' ? 'none' : 'dark' };
  } catch {
    return { ...DEFAULT };
  }
}

export function saveCaptionStyle(style: CaptionStyle): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(style));
  } catch {
    // Storage is off: the style lasts for this page.
  }
}

/**
 * Applies a style to a player through the custom properties `cueStyles` reads. Only what the viewer
 * changed from the default is set, so that a page's own `--vod-cue-background` stays otherwise.
 */
export function applyCaptionStyle(player: HTMLElement, style: CaptionStyle): void {
  const set = (name: string, value: string | null) =>
    value === null ? player.style.removeProperty(name) : player.style.setProperty(name, value);
  set('--vod-cue-scale', style.scale === 1 ? null : String(style.scale));
  set('--vod-cue-background', style.background === 'none' ? 'transparent' : null);
  set('--vod-cue-text-shadow', style.background === 'none' ? '0 0 3px #000, 0 0 3px #000' : null);
}
