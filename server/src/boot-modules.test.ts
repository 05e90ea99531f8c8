import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.ts';

// What a boot loads, seen from inside a real child process (test/module-log.mjs records every module
// the ESM loader loads and every CommonJS module required). The AWS SDK costs start-up time and
// memory, and the embedded default never talks to S3.

const recorder = path.join(import.meta.dirname, '../test/module-log.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `args` under the recorder with `env`; `until` (stdout) decides when to SIGTERM it. */
async function loadedModules(args: string[], env: Record<string, string>, until?: RegExp): Promise<string[]> {
  const dir = tempDir('vodkit-boot-modules-');
  dirs.push(dir);
  const log = path.join(dir, 'modules.log');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', recorder, ...args], {
    env: { ...process.env, VOD_TEST_MODULE_LOG: log, VOD_DATA_DIR: path.join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (until?.test(out)) child.kill('SIGTERM');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (until && !until.test(out)) throw new Error(`never saw ${until} (exit ${code}):\n${out}`);
  return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

const awsSdk = (modules: string[]) => modules.filter((m) => m.includes('/@aws-sdk/'));

describe('booting the server', () => {
  it('with the default configuration loads no AWS SDK module', async () => {
    const modules = await loadedModules(
      [path.join(import.meta.dirname, 'main.ts')],
      { VOD_PORT: '0', VOD_HOST: '127.0.0.1', VOD_DEMO: '0', VOD_LOG_LEVEL: 'info' },
      /Server listening at/,
    );
    expect(modules.some((m) => m.includes('/fastify/'))).toBe(true); // the log works
    expect(awsSdk(modules)).toEqual([]);
  });

  it('the recorder sees the SDK where a module imports it statically', async () => {
    const modules = await loadedModules([path.join(import.meta.dirname, 'storage/s3-blob-store.ts')], {});
    expect(awsSdk(modules).length).toBeGreaterThan(0);
  });
});
