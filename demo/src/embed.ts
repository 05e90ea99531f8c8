import '@vodkit/player';

/**
 * The iframe page the server answers `/embed/:videoId` with: only the player, filling the frame.
 * Options come from the query string as hosted players take them: token, autoplay, muted, loop, start,
 * end (with `start`: an instant clip),
 * preload (default `metadata`, `auto` with autoplay), captions (a language such as `fr`, or `off`),
 * analytics (`0`: no beacons).
 * Title and projection (360°) come from the server.
 */
const videoId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const query = new URLSearchParams(location.search);
const flag = (name: string) => query.has(name) && query.get(name) !== '0' && query.get(name) !== 'false';

const player = document.createElement('vod-player');
player.setAttribute('video-id', videoId);
player.setAttribute('api-base', location.origin);
const token = query.get('token');
if (token) player.setAttribute('token', token);
if (flag('autoplay')) player.setAttribute('autoplay', '');
// Browsers only autoplay muted video, so autoplay implies muted unless the page says otherwise.
if (flag('muted') || (flag('autoplay') && query.get('muted') === null)) player.setAttribute('muted', '');
if (flag('loop')) player.setAttribute('loop', '');
// An idle embed fetches the poster and the playlists, no video, until someone presses play.
const preload = query.get('preload');
player.setAttribute(
  'preload',
  preload === 'none' || preload === 'auto' ? preload : flag('autoplay') ? 'auto' : 'metadata',
);
// `start` alone is where playback begins; with `end` it is an instant clip that pauses at `end`.
const start = Number(query.get('start'));
const end = Number(query.get('end'));
if (query.has('end') && Number.isFinite(end) && end > 0) {
  player.setAttribute('end', String(end));
  if (Number.isFinite(start) && start > 0) player.setAttribute('start', String(start));
} else if (Number.isFinite(start) && start > 0) {
  player.setAttribute('start-time', String(start));
}
const captions = query.get('captions');
if (captions && /^(?:off|[A-Za-z0-9-]{2,35})$/.test(captions)) player.setAttribute('captions', captions);
// analytics=0: the player sends no beacon at all.
const analytics = query.get('analytics');
if (analytics === '0' || analytics === 'false') player.setAttribute('no-analytics', '');
// The server wrote the video's title into the page (with its oEmbed link); only a bare page gets an id.
if (!document.querySelector('link[type="application/json+oembed"]'))
  document.title = `Vodkit player — ${videoId}`;
document.body.append(player);
