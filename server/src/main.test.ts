import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures.ts';
import { ConfigError, loadConfig } from './config.ts';

const run = promisify(execFile);
const main = path.join(import.meta.dirname, 'main.ts');

/** Starts main.ts as `npm start` does and returns how it ended. */
async function boot(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, VOD_DATA_DIR: tempDir(), VOD_PORT: '0', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('start-up errors', () => {
  it('names the missing ffmpeg and how to fix it, exit 1, no stack trace', async () => {
    const { code, stderr } = await boot({ FFMPEG_PATH: '/nonexistent/ffmpeg' });
    expect(code).toBe(1);
    expect(stderr).toContain('/nonexistent/ffmpeg: not found');
    expect(stderr).toContain('FFMPEG_PATH');
    expect(stderr).not.toContain('    at ');
  });

  it('names the bad variable', async () => {
    const { code, stderr } = await boot({ VOD_PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toContain('VOD_PORT must be a whole number');
  });
});

describe('config', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      publicUrl: 'http://localhost:8080',
      encodeConcurrency: 1,
      demo: true,
    });
    expect(c.dataDir).toBe(path.resolve('data'));
  });

  it('rejects bad values with the variable name', () => {
    expect(() => loadConfig({ VOD_PUBLIC_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => loadConfig({ VOD_ENCODE_CONCURRENCY: '0' })).toThrow(/VOD_ENCODE_CONCURRENCY/);
    expect(() => loadConfig({ VOD_ENCODE_THREADS: '0' })).toThrow(/VOD_ENCODE_THREADS/);
    expect(loadConfig({ VOD_ENCODE_THREADS: '1' }).encodeThreads).toBe(1);
    expect(loadConfig({}).encodeThreads).toBeNull();
    expect(() => loadConfig({ VOD_LOG_LEVEL: 'loud' })).toThrow(/VOD_LOG_LEVEL/);
    expect(loadConfig({ VOD_DEMO: '0', VOD_PUBLIC_URL: 'https://video.example/' }).publicUrl).toBe(
      'https://video.example',
    );
  });
});
