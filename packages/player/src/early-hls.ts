import { importHls, mseSupported } from './hls-controller.ts';

/**
 * A `<vod-player>` in the page that will load its source as soon as it is defined: it has one, it is
 * not lazy, and it preloads or autoplays. Only a hint; the element itself decides what to load.
 */
const WILL_PLAY =
  'vod-player:is([src]:not([src=""]),[video-id]:not([video-id=""])):not([loading=lazy]):is([autoplay],:not([preload=none]))';

// index.ts imports this module first, so it runs before Lit and the elements are evaluated, defined
// and rendered: hls.js' chunk, the long pole of the first frame, is requested that much earlier than
// from a player's connectedCallback. A page whose players wait (`preload="none"`, lazy) fetches
// nothing here.
if (typeof document !== 'undefined' && document.querySelector?.(WILL_PLAY) && mseSupported()) {
  importHls().catch(() => undefined);
}
