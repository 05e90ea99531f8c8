import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { signToken } from '@vodkit/api/sign';
import { tempDir } from './fixtures.ts';
import { freePort, readDevKey } from './server.ts';

/**
 * The real server as its own process (`node --import tsx server/src/main.ts`, the `all` role): for
 * tests whose input could block or kill it, so that the test's own timers keep running and a dead
 * server is seen as one.
 */
export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  token(): Promise<string>;
  /** True while the process has not exited. */
  alive(): boolean;
  close(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const root = path.resolve(import.meta.dirname, '../..');
  const port = await freePort();
  const dataDir = tempDir('vodkit-process-');
  const child = spawn(
    process.execPath,
    ['--conditions=vodkit-source', '--import', 'tsx', path.join(root, 'server/src/main.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        VOD_DATA_DIR: dataDir,
        VOD_PORT: String(port),
        VOD_HOST: '127.0.0.1',
        VOD_PUBLIC_URL: `http://127.0.0.1:${port}`,
        VOD_DEMO: '0',
        VOD_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const until = Date.now() + 60_000;
  for (;;) {
    if (!alive())
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it listened`);
    const ok = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) throw new Error('the server did not answer /healthz within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const devKey = readDevKey(dataDir);
  return {
    child,
    baseUrl,
    alive,
    token: () =>
      signToken({
        apiKey: devKey.apiKey,
        secret: devKey.secret,
        permissions: ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete'],
      }),
    async close() {
      if (!alive()) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
