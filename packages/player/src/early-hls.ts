import { rememberedAudio } from './audio-choice.ts';
import { absoluteUrl, importHls, mseSupported, streamUrl } from './hls-controller.ts';
import { startEarly } from './prefetch.ts';

/**
 * A `<vod-player>` in the page that will load its source as soon as it is defined: it has one, it is
 * not lazy, and it preloads or autoplays. Only a hint; the element itself decides what to load.
 */
const WILL_PLAY =
  'vod-player:is([src]:not([src=""]),[video-id]:not([video-id=""])):not([loading=lazy]):is([autoplay],:not([preload=none]))';
/** A player that buffers before play, as `VodPlayer` decides: it autoplays or preloads `auto`. */
const BUFFERS = '[autoplay],[preload]:not([preload=none],[preload=metadata])';
/** The URL gets a token, or waits for one from `token-url`: the player makes that request itself. */
const HAS_TOKEN = '[token],[playback-token],[token-url]';

/** A `video-id` player's own file, as `VodPlayer` builds it; '' when `src` wins over `video-id`. */
function ownFile(el: Element, file: string): string {
  const id = el.getAttribute('video-id');
  return id && !el.getAttribute('src') ? streamUrl(el.getAttribute('api-base') ?? '', id, file) : '';
}

/** The master a player will load: its `src`, else its `video-id`'s. */
function masterOf(el: Element): string {
  return absoluteUrl(el.getAttribute('src') || ownFile(el, 'master.m3u8'));
}

/** The poster a player will show: its `poster`, else its `video-id`'s own; or ''. */
function posterOf(el: Element): string {
  const poster = el.getAttribute('poster');
  return poster ? absoluteUrl(poster) : ownFile(el, 'poster.jpg');
}

/** Chunks relative to this module, where the SDK build wrote them (vite.config.ts); else unset. */
declare const __VODKIT_HLS_CHUNK__: string | undefined;
declare const __VODKIT_STARTUP_CHUNK__: string | undefined;

/** A `<link>` hint in the document's head. */
function hint(rel: string, href: string, as?: string): void {
  const link = document.createElement('link');
  link.rel = rel;
  link.href = href;
  if (as) link.as = as;
  document.head.append(link);
}

/**
 * Starts a chunk's download now: `import()` only fetches once the module graph being evaluated (Lit,
 * the elements, their first render) has run; a modulepreload link fetches at once, and the later
 * `import()` finds the module already there.
 */
function preload(chunk: string | undefined): void {
  if (typeof chunk === 'string') hint('modulepreload', new URL(chunk, import.meta.url).href);
}

// index.ts imports this module first: in the SDK it runs as soon as the entry and Lit's shared chunk
// have arrived, before the elements are defined and rendered. hls.js' chunk, the long pole of the
// first frame, is requested that much earlier than from a player's connectedCallback, and so is the
// master playlist of each player that will load (a handful at most), followed by what hls.js will
// ask next (`startup.ts`), which the player then takes instead of asking again (`takeEarly`). A page
// whose players wait (`preload="none"`, lazy) fetches nothing here.
if (typeof document !== 'undefined' && mseSupported()) {
  const players = [...(document.querySelectorAll?.(WILL_PLAY) ?? [])];
  // The start-up chunk first: it is small, so it arrives (and is evaluated) before hls.js, and the
  // media playlists can leave while hls.js is still compiling.
  const early = players.slice(0, 4).filter((el) => !el.matches(HAS_TOKEN));
  if (early.length > 0)
    preload(typeof __VODKIT_STARTUP_CHUNK__ === 'string' ? __VODKIT_STARTUP_CHUNK__ : undefined);
  for (const el of early) {
    // The poster too: set by the first render, it would otherwise leave in the middle of the start-up
    // (and show later); the `<video>` then takes the preloaded image.
    const poster = posterOf(el);
    if (poster) hint('preload', poster, 'image');
    startEarly(masterOf(el), {
      segments: el.matches(BUFFERS),
      startPosition: Math.max(Number(el.getAttribute('start-time')) || 0, 0),
      box: () => el.getBoundingClientRect(),
      audioLanguage: rememberedAudio(),
    });
  }
  if (players.length > 0) {
    preload(typeof __VODKIT_HLS_CHUNK__ === 'string' ? __VODKIT_HLS_CHUNK__ : undefined);
    importHls().catch(() => undefined);
  }
}
