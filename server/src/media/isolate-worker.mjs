import { parentPort, workerData } from 'node:worker_threads';

/*
 * The body of an Isolate (media/isolate.ts): imports one module, then for each `{ id, name, args }`
 * message calls that export and posts back `{ id, ok, value }` or the error's plain fields. Anything
 * worse (a hang, the heap limit) is the parent's to notice. Plain JavaScript: it loads the TypeScript
 * module through tsx's API, so it runs the same under `node --import tsx` and under vitest.
 */

const { module } = workerData;
let loaded;
try {
  loaded = module.endsWith('.ts')
    ? await (await import('tsx/esm/api')).tsImport(module, import.meta.url)
    : await import(module);
  parentPort.postMessage({ ready: true });
} catch (err) {
  parentPort.postMessage({ ready: false, error: String(err?.stack ?? err) });
}

/** Buffers arrive as plain Uint8Arrays (structured clone): the functions want Buffers back. */
const revive = (a) =>
  a instanceof Uint8Array && !Buffer.isBuffer(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a;

parentPort.on('message', async ({ id, name, args }) => {
  try {
    const fn = loaded[name];
    if (typeof fn !== 'function') throw new Error(`${module} has no export ${name}`);
    parentPort.postMessage({ id, ok: true, value: await fn(...args.map(revive)) });
  } catch (err) {
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: err?.name, message: String(err?.message ?? err), code: err?.code, line: err?.line },
    });
  }
});
