import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Isolate, type IsolateError } from '../src/media/isolate.ts';
import { fuzz, summary } from './fuzz.ts';
import { makeTargets } from './seeds.ts';

/*
 * `npm run fuzz -- --seconds 600 [--seed 7] [--target captions]`: the longer run of the fuzzer that
 * `npm test` runs for about a minute. `--replay <file> --target <name>` runs one saved input once.
 * Exits 1 when an input crashed; the crashing inputs are listed with where they were saved.
 */

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.VOD_FUZZ_SECONDS ?? '600' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    target: { type: 'string', multiple: true },
    replay: { type: 'string' },
  },
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-fuzz-'));
const module = new URL('./targets.ts', import.meta.url);
let targets = await makeTargets(dir);
if (values.target) targets = targets.filter((t) => values.target!.includes(t.name));
if (values.replay) {
  const input = fs.readFileSync(values.replay);
  const isolate = new Isolate(module, { timeoutMs: 1_000, maxHeapMb: 256 });
  for (const t of targets) {
    const outcome = await isolate.call(t.name, [input]).then(
      (v) => JSON.stringify(v),
      (e: IsolateError) =>
        `CRASH ${e.reason}: ${e.error ? `${e.error.name}: ${e.error.message}` : e.message}`,
    );
    console.log(`${t.name}: ${outcome}`);
  }
  await isolate.close();
} else {
  const seconds = Number(values.seconds);
  console.log(`fuzzing ${targets.map((t) => t.name).join(', ')} for ${seconds} s, seed ${values.seed}`);
  const stats = await fuzz({
    module,
    targets,
    seconds,
    seed: Number(values.seed),
    crashDir: path.join(dir, 'crashes'),
  });
  console.log(summary(stats));
  const crashes = stats.flatMap((s) => s.crashes);
  for (const c of crashes.slice(0, 20))
    console.log(`CRASH ${c.target} ${c.reason}: ${c.message}\n  input: ${c.file}`);
  process.exitCode = crashes.length > 0 ? 1 : 0;
}
