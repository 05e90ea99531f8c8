import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts one real Vodkit server (as `npm start` does, demo included) on a free port with a fresh data
 * dir, for every spec. Specs read its address and dev key from the env vars set here.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = path.resolve(import.meta.dirname, '..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vodkit-e2e-'));
  const port = 18000 + Math.floor(Math.random() * 2000);
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      VOD_PORT: String(port),
      VOD_HOST: '127.0.0.1',
      VOD_PUBLIC_URL: baseUrl,
      VOD_DATA_DIR: dataDir,
      VOD_LOG_LEVEL: 'warn',
      // Link ingest from the specs' own loopback origins (cloud metadata addresses stay refused).
      VOD_INGEST_ALLOW_PRIVATE: '1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Vodkit server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the Vodkit server did not answer /healthz within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  process.env.VOD_E2E_BASE_URL = baseUrl;
  process.env.VOD_E2E_DATA_DIR = dataDir;
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
