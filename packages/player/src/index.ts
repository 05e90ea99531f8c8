import { VodCaptionsMenu } from './vod-captions-menu.ts';
import { VodPlayer } from './vod-player.ts';
import { VodScrubber } from './vod-scrubber.ts';

export { CaptionsController, captionTracks, cueStyles, shownTrack, showTrack } from './captions.ts';
export { PLAYER_ERROR_CODES, type PlayerErrorCode } from './errors.ts';
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
} from './hls-controller.ts';
export { formatTime } from './time.ts';
export { VodCaptionsMenu } from './vod-captions-menu.ts';
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
define('vod-captions-menu', VodCaptionsMenu);
define('vod-player', VodPlayer);
