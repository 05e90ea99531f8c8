// First, for its side effect: hls.js' download starts before the rest of the entry is evaluated.
import './early-hls.ts';
import { VodPlayer } from './vod-player.ts';
import { VodScrubber } from './vod-scrubber.ts';

export { CaptionsController, captionTracks, cueStyles, shownTrack, showTrack } from './captions.ts';
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
export {
  BUILTIN_LANGUAGES,
  BUILTIN_TRANSLATIONS,
  loadStrings,
  type PlayerStrings,
  type PlayerTranslations,
  resolveStrings,
} from './i18n.ts';
export { MenuController, type MenuName, PLAYBACK_RATES } from './menu-controller.ts';
export type { QoeStats } from './qoe-controller.ts';
export { formatTime } from './time.ts';
export type { View360State } from './view360-controller.ts';
// Type only: the element's code is a lazy chunk that `<vod-player>` loads when a video has caption tracks
// (importing `@vodkit/player/vod-captions-menu` is not needed; the module registers its own tag).
export type { VodCaptionsMenu } from './vod-captions-menu.ts';
export { VodMediaElement } from './vod-media-element.ts';
export { type Projection, VodPlayer } from './vod-player.ts';
export { type ScrubbableMedia, VodScrubber } from './vod-scrubber.ts';

// Importing the package registers the tags unless something already did: two copies of this package on
// one page (a bundle plus a CDN script) must not throw, and neither must a server-side import (Node has
// no `customElements` unless a DOM shim gave one). Literal calls, so the manifest analyzer sees the tags.
if (typeof customElements !== 'undefined') {
  if (!customElements.get('vod-scrubber')) customElements.define('vod-scrubber', VodScrubber);
  if (!customElements.get('vod-player')) customElements.define('vod-player', VodPlayer);
}
