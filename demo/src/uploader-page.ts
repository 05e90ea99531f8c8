import '@vodkit/uploader';
// Rows of `<vod-uploader player>` show a `<vod-player>`: loading the player package is all it takes.
import '@vodkit/player';
import { VOD_UPLOAD_EVENTS } from '@vodkit/uploader';

const uploader = document.querySelector('vod-uploader')!;
const log = document.querySelector<HTMLOListElement>('#log')!;

/** Attributes to try from the address bar (`?max-size=…&chunk-size=…&token=…`). */
const ATTRIBUTES = [
  'endpoint',
  'api-base',
  'token',
  'token-url',
  'max-size',
  'accept',
  'chunk-size',
  'title',
  'auto-start',
  'multiple',
  'concurrency',
  'encode',
  'player',
  'protected',
  'no-processing',
  'theme',
  'lang',
] as const;
const query = new URLSearchParams(location.search);
if (query.has('dark')) document.documentElement.dataset.theme = 'dark';
for (const [name, value] of query) {
  if ((ATTRIBUTES as readonly string[]).includes(name)) uploader.setAttribute(name, value);
}
// A fixed token replaces the app server (the element prefers token-url when both are set).
if (uploader.hasAttribute('token') && !query.has('token-url')) {
  uploader.removeAttribute('token-url');
}
document.querySelector('#markup')!.textContent = uploader.outerHTML;

/** Progress fires many times a second: each row's progress updates one line instead of flooding the log. */
const progressLines = new Map<string, HTMLLIElement>();
const PROGRESS = new Set(['vod-upload-progress', 'vod-encoding-progress']);

for (const type of VOD_UPLOAD_EVENTS) {
  uploader.addEventListener(type, (event) => {
    const { detail } = event as CustomEvent<{ key?: string }>;
    console.info(type, detail);
    const lineKey = `${type}:${detail.key}`;
    let line = PROGRESS.has(type) ? progressLines.get(lineKey) : undefined;
    if (!line) {
      line = document.createElement('li');
      line.className = type;
      log.append(line);
    }
    if (PROGRESS.has(type)) progressLines.set(lineKey, line);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = type;
    line.replaceChildren(`${new Date().toLocaleTimeString()} `, name, ` ${JSON.stringify(detail)}`);
    log.scrollTop = log.scrollHeight;
  });
}
