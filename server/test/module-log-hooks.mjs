// Loader hooks of module-log.mjs (they run on the loader's own thread, so they write the file themselves).
import fs from 'node:fs';

let log;
export function initialize(data) {
  log = data.log;
}
export async function load(url, context, nextLoad) {
  fs.appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
