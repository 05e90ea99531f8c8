import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.ts';
import { fuzz, summary } from './fuzz.ts';
import { mutateBytes } from './mutate.ts';
import { makeTargets } from './seeds.ts';

/*
 * The fuzzer's bounded run in `npm test`: every parser of uploaded bytes, about a minute in all
 * (VOD_FUZZ_SECONDS for the targets, default 45, plus seed generation). `npm run fuzz` runs longer.
 */
const SECONDS = Number(process.env.VOD_FUZZ_SECONDS ?? 45);

describe('fuzzing the parsers of uploaded bytes', () => {
  it(
    'every mutated MP4, fMP4, caption and ffprobe JSON input ends in a result or a typed rejection, within 1 s and 256 MB',
    async () => {
      const dir = tempDir('vodkit-fuzz-');
      const stats = await fuzz({
        module: new URL('./targets.ts', import.meta.url),
        targets: await makeTargets(dir),
        seconds: SECONDS,
        seed: Date.now() % 2 ** 31,
        crashDir: path.join(dir, 'crashes'),
      });
      console.log(summary(stats));
      for (const s of stats) expect(s.execs).toBeGreaterThan(0);
      const crashes = stats.flatMap((s) => s.crashes);
      expect(crashes, JSON.stringify(crashes.slice(0, 5), null, 2)).toEqual([]);
    },
    SECONDS * 1000 + 120_000,
  );

  it('reports a hang, a heap blow-up and an untyped throw as crashes, with the input saved', async () => {
    const dir = tempDir('vodkit-fuzz-self-');
    const seeds = [Buffer.from('seed')];
    const stats = await fuzz({
      module: new URL('../test/isolate-targets.ts', import.meta.url),
      targets: ['spin', 'hog', 'fail'].map((name) => ({ name, seeds, mutate: mutateBytes })),
      seconds: 3,
      seed: 1,
      crashDir: dir,
      maxHeapMb: 32,
      timeoutMs: 500,
    });
    const reasons = Object.fromEntries(stats.map((s) => [s.target, s.crashes[0]?.reason]));
    expect(reasons.spin).toBe('timeout');
    expect(['out_of_memory', 'timeout']).toContain(reasons.hog);
    expect(reasons.fail).toBe('thrown');
    for (const s of stats) expect(fs.existsSync(s.crashes[0]!.file)).toBe(true);
  }, 120_000);
});
