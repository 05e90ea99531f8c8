import '@vodkit/player';
import type { VodEventName } from '@vodkit/player';

// The playground: paste any HLS URL, watch it in <vod-player>, copy the tag. Its state lives in the
// query string (?src=&autoplay=1&muted=1&loop=1&projection=360&preload=none&lang=fr&title=…) so a
// link reproduces what one saw.

const OPTIONS = ['autoplay', 'muted', 'loop'] as const;
/** Valued attributes taken from the query string as they are. */
const VALUED = {
  projection: 'projection',
  preload: 'preload',
  loading: 'loading',
  lang: 'lang',
  title: 'video-title',
};
const LOGGED: VodEventName[] = [
  'vod-ready',
  'vod-error',
  'vod-quality-change',
  'vod-play',
  'vod-pause',
  'vod-seek',
  'vod-startup',
  'vod-rebuffer-start',
  'vod-rebuffer-end',
];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('form');
const player = $<HTMLElementTagNameMap['vod-player']>('player');
const snippet = $<HTMLPreElement>('snippet');
const events = $<HTMLOListElement>('events');

function readQuery(): { src: string; flags: Record<(typeof OPTIONS)[number], boolean> } {
  const q = new URLSearchParams(location.search);
  const on = (name: string) => q.has(name) && q.get(name) !== '0' && q.get(name) !== 'false';
  return {
    src: q.get('src') ?? '',
    flags: { autoplay: on('autoplay'), muted: on('muted'), loop: on('loop') },
  };
}

function applyValued(): void {
  const q = new URLSearchParams(location.search);
  for (const [param, attr] of Object.entries(VALUED)) {
    const value = q.get(param);
    if (value) player.setAttribute(attr, value);
    else player.removeAttribute(attr);
  }
}

function apply(src: string, flags: Record<(typeof OPTIONS)[number], boolean>): void {
  applyValued();
  for (const name of OPTIONS) {
    player.toggleAttribute(name, flags[name]);
    (form.elements.namedItem(name) as HTMLInputElement).checked = flags[name];
  }
  (form.elements.namedItem('src') as HTMLInputElement).value = src;
  events.replaceChildren();
  // Attributes first, src last: the player reads autoplay when the source changes.
  if (src) player.setAttribute('src', src);
  else player.removeAttribute('src');
  snippet.textContent = embedSnippet(src, flags);
}

function embedSnippet(src: string, flags: Record<(typeof OPTIONS)[number], boolean>): string {
  const attrs = OPTIONS.filter((name) => flags[name]).join(' ');
  const tag = `<vod-player src="${escapeAttr(src || 'https://…/master.m3u8')}"${attrs ? ` ${attrs}` : ''}></vod-player>`;
  // Works as pasted into any HTML page: the server's stand-alone module, not a bare package name
  // (which only a bundler resolves).
  return `<script type="module" src="${location.origin}/sdk/vodkit-player.js"></script>\n${tag}`;
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = new FormData(form);
  const src = String(data.get('src') ?? '').trim();
  const flags = { autoplay: data.has('autoplay'), muted: data.has('muted'), loop: data.has('loop') };
  const q = new URLSearchParams({ src });
  for (const name of OPTIONS) if (flags[name]) q.set(name, '1');
  const old = new URLSearchParams(location.search);
  for (const param of Object.keys(VALUED)) if (old.get(param)) q.set(param, old.get(param)!);
  history.replaceState(null, '', `?${q}`);
  apply(src, flags);
  // Pressing Play is a user gesture: start even without autoplay (the tag to copy keeps the choice).
  await player.updateComplete;
  player.play().catch(() => undefined);
});

$<HTMLButtonElement>('copy').addEventListener('click', async (e) => {
  const button = e.currentTarget as HTMLButtonElement;
  await navigator.clipboard.writeText(snippet.textContent ?? '').catch(() => undefined);
  button.textContent = 'Copied';
  setTimeout(() => (button.textContent = 'Copy'), 1500);
});

for (const type of LOGGED) {
  player.addEventListener(type, (e) => {
    const li = document.createElement('li');
    if (type === 'vod-error') li.className = 'error';
    const name = document.createElement('b');
    name.textContent = type;
    li.append(name, ` ${JSON.stringify(e.detail, compact)}`);
    events.prepend(li);
    while (events.children.length > 50) events.lastElementChild?.remove();
    renderStats();
  });
}

/** Rounds times and drops bulky fields so a log line stays one glance long. */
function compact(key: string, value: unknown): unknown {
  if (key === 'levels' && Array.isArray(value)) return value.map((l) => `${l.width}x${l.height}`);
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value;
}

function renderStats(): void {
  const levels = player.levels;
  const current = levels[player.currentLevel];
  $('stat-size').textContent = player.videoWidth ? `${player.videoWidth}×${player.videoHeight}` : '—';
  $('stat-level').textContent =
    player.level === -1 ? `auto${current ? ` (${current.name})` : ''}` : (levels[player.level]?.name ?? '—');
  $('stat-levels').textContent = levels.length ? levels.map((l) => l.name).join(', ') : '—';
  const b = player.buffered;
  const ahead = b.length ? b.end(b.length - 1) - player.currentTime : 0;
  $('stat-buffer').textContent = `${Math.max(ahead, 0).toFixed(1)} s`;
  // Quality of experience as the player measures it (vod-startup, vod-rebuffer-*, vod-quality-change).
  const qoe = player.qoe;
  $('stat-startup').textContent = qoe.startupMs === null ? '—' : `${qoe.startupMs} ms`;
  $('stat-rebuffer').textContent = `${qoe.rebufferCount} (${(qoe.rebufferMs / 1000).toFixed(1)} s)`;
  $('stat-switches').textContent = String(qoe.renditionSwitches);
}
for (const type of ['resize', 'progress', 'vod-time-update']) player.addEventListener(type, renderStats);

const initial = readQuery();
apply(initial.src, initial.flags);
