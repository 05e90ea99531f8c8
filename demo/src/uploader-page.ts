import '@vodkit/uploader';
import type { VodUploadEventName } from '@vodkit/uploader';

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
] as const;
for (const [name, value] of new URLSearchParams(location.search)) {
  if ((ATTRIBUTES as readonly string[]).includes(name)) uploader.setAttribute(name, value);
}
// A fixed token replaces the app server (the element prefers token-url when both are set).
if (uploader.hasAttribute('token') && !new URLSearchParams(location.search).has('token-url')) {
  uploader.removeAttribute('token-url');
}
document.querySelector('#markup')!.textContent = uploader.outerHTML;

const EVENTS: VodUploadEventName[] = [
  'vod-upload-start',
  'vod-upload-progress',
  'vod-upload-complete',
  'vod-upload-error',
  'vod-upload-cancel',
];

/** Progress fires many times a second: it updates one line instead of flooding the log. */
let progressLine: HTMLLIElement | null = null;

for (const type of EVENTS) {
  uploader.addEventListener(type, (event) => {
    const { detail } = event as CustomEvent<unknown>;
    console.info(type, detail);
    let line = type === 'vod-upload-progress' ? progressLine : null;
    if (!line) {
      line = document.createElement('li');
      line.className = type;
      log.append(line);
    }
    progressLine = type === 'vod-upload-progress' ? line : null;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = type;
    line.replaceChildren(`${new Date().toLocaleTimeString()} `, name, ` ${JSON.stringify(detail)}`);
    log.scrollTop = log.scrollHeight;
  });
}
