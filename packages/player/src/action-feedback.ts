import type { FeedbackSide } from './feedback-controller.ts';
import type { PlayerActions } from './hotkeys-controller.ts';
import type { PlayerStrings } from './i18n.ts';

/** The actions of the keyboard shortcuts that say what they did. */
export type AnnouncedAction =
  | 'togglePlay'
  | 'seekBy'
  | 'seekToFraction'
  | 'volumeBy'
  | 'toggleMute'
  | 'toggleCaptions'
  | 'stepSpeed';

/** What the description of an action reads, after it ran. */
export interface FeedbackContext {
  media: HTMLMediaElement;
  strings(): PlayerStrings;
  /** The caption track's name, or '' when captions are off. */
  captionsShown(): string;
}

/** `+10 s`, `−5 s`: a seek as the feedback shows it. */
export function seekText(seconds: number): string {
  return `${seconds < 0 ? '−' : '+'}${Math.abs(seconds)} s`;
}

/**
 * What an action did, in the player's language, and where to show it (a seek on its side): "+10 s",
 * "Volume 40%", "Muted", "1.5×", "Captions: English". `wasPaused` is the state before the action.
 */
export function describe(
  action: AnnouncedAction,
  arg: number,
  wasPaused: boolean,
  c: FeedbackContext,
): [string, FeedbackSide] {
  const t = c.strings();
  const media = c.media;
  switch (action) {
    case 'togglePlay':
      return [wasPaused ? t.playing : t.paused, 'center'];
    case 'seekBy':
      return [seekText(arg), arg < 0 ? 'left' : 'right'];
    case 'seekToFraction':
      return [`${Math.round(arg * 100)}%`, 'center'];
    case 'toggleCaptions':
      return [`${t.captions}: ${c.captionsShown() || t.captionsOff}`, 'center'];
    case 'stepSpeed':
      return [`${media.playbackRate}×`, 'center'];
    default:
      return [media.muted ? t.muted : `${t.volume} ${Math.round(media.volume * 100)}%`, 'center'];
  }
}

/** Makes sure `PlayerActions` still has every action named here. */
export type _Checked = Pick<PlayerActions, AnnouncedAction>;
