import { ERROR_TEXT, type PlayerErrorCode } from './errors.ts';

/**
 * Every string `<vod-player>` shows or speaks. A page can override any of them per language:
 * `player.translations = { fr: { play: 'Lecture' } }`. Keys ending in `Touch` replace their pointer
 * wording on touch screens (there is no keyboard or mouse to mention there).
 */
export interface PlayerStrings {
  player: string;
  play: string;
  pause: string;
  replay: string;
  mute: string;
  unmute: string;
  volume: string;
  seek: string;
  quality: string;
  qualityHd: string;
  auto: string;
  speed: string;
  normalSpeed: string;
  fullscreen: string;
  exitFullscreen: string;
  pip: string;
  exitPip: string;
  cast: string;
  retry: string;
  captions: string;
  captionsOff: string;
  /** A caption track with neither label nor language: `Track 2`. */
  track: string;
  /** The chapters button and menu (English, `Chapters`, is the menu's own default). */
  chapters?: string;
  resetView: string;
  motion: string;
  view360: string;
  view360Hint: string;
  view360HintTouch: string;
  noWebgl: string;
  /** Feedback after a shortcut or gesture. */
  paused: string;
  playing: string;
  muted: string;
  // Strings of lazily loaded UI are optional here: their English text lives in their own chunk, so the
  // element's first chunk does not carry it (a translation still overrides it).
  /** A video still encoding, before play; `processingReady` when the share ready is known (`{n}`). */
  processing?: string;
  processingReady?: string;
  /** Playback caught up with the encoder and waits for it. */
  stillProcessing?: string;
  /** The audio track menu. */
  audio?: string;
  /** A 360° video without the optional `three` package installed. */
  needsThree: string;
  /** Caption settings, in the captions menu. */
  captionSize?: string;
  captionBackground?: string;
  backgroundDark?: string;
  backgroundNone?: string;
  errorGeneric: string;
  errors: Partial<Record<PlayerErrorCode, string>>;
}

export type PlayerTranslations = Record<string, Partial<PlayerStrings>>;

const en: PlayerStrings = {
  player: 'Video player',
  play: 'Play',
  pause: 'Pause',
  replay: 'Replay',
  mute: 'Mute',
  unmute: 'Unmute',
  volume: 'Volume',
  seek: 'Seek',
  quality: 'Quality',
  qualityHd: 'Quality, HD',
  auto: 'Auto',
  speed: 'Playback speed',
  normalSpeed: 'Normal',
  fullscreen: 'Fullscreen',
  exitFullscreen: 'Exit fullscreen',
  pip: 'Picture in picture',
  exitPip: 'Exit picture in picture',
  cast: 'Play on another device',
  retry: 'Try again',
  captions: 'Captions',
  captionsOff: 'Off',
  track: 'Track',
  resetView: 'Reset view',
  motion: 'Look around by moving the device',
  view360: '360° view',
  view360Hint: 'Drag or use the arrow keys to look around',
  view360HintTouch: 'Drag or move your phone to look around',
  noWebgl: 'This browser cannot show 360° video (WebGL is off or missing); it plays flat.',
  paused: 'Paused',
  playing: 'Playing',
  muted: 'Muted',
  needsThree: '360° needs three: this video plays flat.',
  errorGeneric: 'This video could not be played.',
  errors: ERROR_TEXT,
};

/**
 * The other languages shipped with the player, each a chunk of its own: a page pays for the strings of
 * its language only. Others fall back to English unless a page supplies them.
 */
const LAZY: Readonly<Record<string, () => Promise<{ strings: PlayerStrings }>>> = {
  fr: () => import('./locales/fr.ts'),
  de: () => import('./locales/de.ts'),
};

/** The built-in languages loaded so far (English always). */
export const BUILTIN_TRANSLATIONS: Record<string, PlayerStrings> = { en };

/** The built-in languages there are, loaded or not. */
export const BUILTIN_LANGUAGES: readonly string[] = ['en', ...Object.keys(LAZY)];

const pending = new Map<string, Promise<boolean>>();

/**
 * Loads the built-in strings `lang` needs (`fr-CA` → `fr`); true when that changed anything, so the
 * caller renders again. English and unknown languages resolve at once to false.
 */
export function loadStrings(lang: string): Promise<boolean> {
  const tag = candidates(lang).find((t) => t in LAZY);
  if (!tag || BUILTIN_TRANSLATIONS[tag]) return Promise.resolve(false);
  let load = pending.get(tag);
  if (!load) {
    load = LAZY[tag]!().then(
      (m) => {
        BUILTIN_TRANSLATIONS[tag] = m.strings;
        return true;
      },
      () => {
        pending.delete(tag); // a failed fetch may be retried; English meanwhile
        return false;
      },
    );
    pending.set(tag, load);
  }
  return load;
}

/**
 * The strings for `lang` (`fr-CA` falls back to `fr`, then English), with a page's overrides on top.
 * Pointer wording is swapped for touch wording when `touch` is true. A built-in language that
 * `loadStrings` has not loaded yet reads as English (overrides still apply).
 */
export function resolveStrings(
  lang: string,
  overrides: PlayerTranslations = {},
  touch = false,
): PlayerStrings {
  const tags = candidates(lang);
  let out: PlayerStrings = { ...en, errors: { ...en.errors } };
  for (const tag of [...tags].reverse()) {
    const builtin = BUILTIN_TRANSLATIONS[tag];
    const page = overrides[tag];
    for (const layer of [builtin, page]) {
      if (!layer) continue;
      out = { ...out, ...layer, errors: { ...out.errors, ...layer.errors } };
    }
  }
  if (touch) out.view360Hint = out.view360HintTouch;
  return out;
}

function candidates(lang: string): string[] {
  const tag = (lang || 'en').toLowerCase();
  const base = tag.split('-')[0]!;
  return tag === base ? [tag] : [tag, base];
}
