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
  resetView: string;
  motion: string;
  view360: string;
  view360Hint: string;
  view360HintTouch: string;
  noWebgl: string;
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
  resetView: 'Reset view',
  motion: 'Look around by moving the device',
  view360: '360° view',
  view360Hint: 'Drag or use the arrow keys to look around',
  view360HintTouch: 'Drag or move your phone to look around',
  noWebgl: 'This browser cannot show 360° video (WebGL is off or missing); it plays flat.',
  errorGeneric: 'This video could not be played.',
  errors: ERROR_TEXT,
};

const fr: PlayerStrings = {
  player: 'Lecteur vidéo',
  play: 'Lecture',
  pause: 'Pause',
  replay: 'Revoir',
  mute: 'Couper le son',
  unmute: 'Activer le son',
  volume: 'Volume',
  seek: 'Position',
  quality: 'Qualité',
  qualityHd: 'Qualité, HD',
  auto: 'Auto',
  speed: 'Vitesse de lecture',
  normalSpeed: 'Normale',
  fullscreen: 'Plein écran',
  exitFullscreen: 'Quitter le plein écran',
  pip: 'Image dans l’image',
  exitPip: 'Quitter l’image dans l’image',
  cast: 'Lire sur un autre appareil',
  retry: 'Réessayer',
  resetView: 'Réinitialiser la vue',
  motion: 'Regarder autour en bougeant l’appareil',
  view360: 'Vue à 360°',
  view360Hint: 'Faites glisser ou utilisez les flèches pour regarder autour',
  view360HintTouch: 'Faites glisser ou bougez votre téléphone pour regarder autour',
  noWebgl: 'Ce navigateur ne peut pas afficher la vidéo à 360° (WebGL absent) ; elle est lue à plat.',
  errorGeneric: 'Cette vidéo n’a pas pu être lue.',
  errors: {
    not_found: 'Cette vidéo n’existe pas, ou n’est pas encore prête.',
    forbidden: 'Cette vidéo est privée, ou votre accès a expiré.',
    network_error: 'La vidéo n’a pas pu être chargée. Vérifiez votre connexion.',
    unsupported: 'Ce navigateur ne lit pas la vidéo HLS.',
    unsupported_codec: 'Ce navigateur ne sait pas décoder cette vidéo.',
  },
};

const de: PlayerStrings = {
  player: 'Videoplayer',
  play: 'Abspielen',
  pause: 'Pause',
  replay: 'Erneut abspielen',
  mute: 'Stummschalten',
  unmute: 'Ton an',
  volume: 'Lautstärke',
  seek: 'Position',
  quality: 'Qualität',
  qualityHd: 'Qualität, HD',
  auto: 'Automatisch',
  speed: 'Wiedergabegeschwindigkeit',
  normalSpeed: 'Normal',
  fullscreen: 'Vollbild',
  exitFullscreen: 'Vollbild beenden',
  pip: 'Bild im Bild',
  exitPip: 'Bild im Bild beenden',
  cast: 'Auf einem anderen Gerät abspielen',
  retry: 'Erneut versuchen',
  resetView: 'Ansicht zurücksetzen',
  motion: 'Durch Bewegen des Geräts umsehen',
  view360: '360°-Ansicht',
  view360Hint: 'Ziehen oder Pfeiltasten zum Umsehen',
  view360HintTouch: 'Ziehen oder Telefon bewegen zum Umsehen',
  noWebgl: 'Dieser Browser kann kein 360°-Video zeigen (WebGL fehlt); es wird flach abgespielt.',
  errorGeneric: 'Dieses Video konnte nicht abgespielt werden.',
  errors: {
    not_found: 'Dieses Video gibt es nicht, oder es ist noch nicht bereit.',
    forbidden: 'Dieses Video ist privat, oder Ihr Zugang ist abgelaufen.',
    network_error: 'Das Video konnte nicht geladen werden. Prüfen Sie Ihre Verbindung.',
    unsupported: 'Dieser Browser spielt kein HLS-Video ab.',
    unsupported_codec: 'Dieser Browser kann dieses Video nicht dekodieren.',
  },
};

/** The languages shipped with the player; others fall back to English unless a page supplies them. */
export const BUILTIN_TRANSLATIONS: Readonly<Record<string, PlayerStrings>> = { en, fr, de };

/**
 * The strings for `lang` (`fr-CA` falls back to `fr`, then English), with a page's overrides on top.
 * Pointer wording is swapped for touch wording when `touch` is true.
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
