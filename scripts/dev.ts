import { type ChildProcess, spawn } from 'node:child_process';

/**
 * `npm run dev`: the API server (restarted on change by tsx watch) and Vite's dev server for the demo
 * and the elements (hot reload; proxies /v1, /stream, /embed… to the API). Ctrl-C stops both.
 */
const children: ChildProcess[] = [
  spawn(process.execPath, ['--import', 'tsx', '--watch', 'server/src/main.ts'], { stdio: 'inherit' }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js'], { stdio: 'inherit' }),
];

function stop(code: number): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
for (const child of children) child.on('exit', (code) => stop(code ?? 0));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
