// `node --import ./module-log.mjs …`: appends to $VOD_TEST_MODULE_LOG, one per line, the URL of every
// module the ESM loader loads and, at exit, the path of every CommonJS module in require's cache (what
// an ESM import of a CommonJS package, and that package's own requires, load). server/src/boot-modules.test.ts
// reads it to tell which packages a boot loaded.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.VOD_TEST_MODULE_LOG;
if (!log) throw new Error('module-log.mjs: set VOD_TEST_MODULE_LOG');
register('./module-log-hooks.mjs', import.meta.url, { data: { log } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  fs.appendFileSync(log, `${Object.keys(cache).join('\n')}\n`);
});
