/** The Studio's pages, by path under /studio. */
export type Route =
  | { page: 'videos' }
  | { page: 'video'; videoId: string }
  | { page: 'webhooks' }
  | { page: 'keys' };

export const ROUTE_EVENT = 'studio-route';

export function parseRoute(pathname: string): Route {
  const rest = pathname.replace(/^\/studio\/?/, '');
  const video = /^videos\/([A-Za-z0-9]+)$/.exec(rest);
  if (video) return { page: 'video', videoId: video[1]! };
  if (rest === 'webhooks') return { page: 'webhooks' };
  if (rest === 'keys') return { page: 'keys' };
  return { page: 'videos' };
}

export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'video':
      return `/studio/videos/${route.videoId}`;
    case 'videos':
      return '/studio';
    default:
      return `/studio/${route.page}`;
  }
}

/** Goes to a Studio page without reloading (the server answers every /studio path with the same page). */
export function navigate(href: string): void {
  if (href !== location.pathname + location.search) history.pushState(null, '', href);
  window.dispatchEvent(new Event(ROUTE_EVENT));
}

/** Clicks on same-origin /studio links become `navigate()` calls (modifier clicks still open tabs). */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.composedPath()[0] as Element | undefined)?.closest?.('a');
    if (!anchor || anchor.target || anchor.origin !== location.origin) return;
    if (!anchor.pathname.startsWith('/studio')) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search);
  });
  window.addEventListener('popstate', () => window.dispatchEvent(new Event(ROUTE_EVENT)));
}
