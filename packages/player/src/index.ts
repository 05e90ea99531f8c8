import { VodPlayer } from './vod-player.ts';
import { VodScrubber } from './vod-scrubber.ts';

export { isRetryable, PLAYER_ERROR_CODES, type PlayerErrorCode } from './errors.ts';
export {
  fire,
  type QualityLevel,
  type VodEventDetails,
  type VodEventMap,
  type VodEventName,
} from './events.ts';
export {
  HlsController,
  type HlsControllerCallbacks,
  type HlsSource,
  type PlaybackEngine,
  type Preload,
} from './hls-controller.ts';
export { HotkeysController, type PlayerActions } from './hotkeys-controller.ts';
export { BUILTIN_TRANSLATIONS, type PlayerStrings, type PlayerTranslations, resolveStrings } from './i18n.ts';
export { MenuController, type MenuName, PLAYBACK_RATES } from './menu-controller.ts';
export type { QoeStats } from './qoe-controller.ts';
export { formatTime } from './time.ts';
export type { View360State } from './view360-controller.ts';
export { VodMediaElement } from './vod-media-element.ts';
export { type Projection, VodPlayer } from './vod-player.ts';
export { type ScrubbableMedia, VodScrubber } from './vod-scrubber.ts';

/**
 * Registers a tag unless something already did: two copies of this package on one page (a bundle
 * plus a CDN script) must not throw.
 */
function define(tag: string, element: CustomElementConstructor): void {
  if (!customElements.get(tag)) customElements.define(tag, element);
}

define('vod-scrubber', VodScrubber);
define('vod-player', VodPlayer);
