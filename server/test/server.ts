import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Permission } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import type { Db } from '../src/db/database.ts';
import type { SqliteRepositories } from '../src/db/sqlite.ts';
import { detectFfmpeg } from '../src/media/ffmpeg.ts';
import type { DevKey } from '../src/services/auth.ts';
import { tempDir } from './fixtures.ts';

export interface TestServer {
  app: FastifyInstance;
  config: Config;
  baseUrl: string;
  dataDir: string;
  devKey: DevKey;
  /** An API JWT of the dev key; all permissions but admin unless told. */
  token(permissions?: Permission[], expiresIn?: number): Promise<string>;
  close(): Promise<void>;
}

/** The SQLite handle behind a test app, for tests that look at (or tamper with) rows directly. */
export function sqliteDb(app: FastifyInstance): Db {
  const repos = app.vodkit.repos;
  if (repos.engine !== 'sqlite') throw new Error('this test reads SQLite directly');
  return (repos as SqliteRepositories).db;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A real Vodkit server on a free loopback port with its own temp data dir and real ffmpeg. */
export async function startServer(
  env: Record<string, string> = {},
  dataDir = tempDir(),
  build: Pick<BuildOptions, 'role' | 'startWorkers'> = {},
): Promise<TestServer> {
  const port = await freePort();
  const config = loadConfig({
    VOD_PORT: String(port),
    VOD_HOST: '127.0.0.1',
    VOD_DATA_DIR: dataDir,
    VOD_LOG_LEVEL: 'silent',
    VOD_DEMO: '0',
    VOD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  });
  const ffmpegVersion = await detectFfmpeg(config);
  const app = await buildApp(config, { logger: false, ffmpegVersion, ...build });
  await app.listen({ port, host: '127.0.0.1' });
  const devKey = readDevKey(dataDir);
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    devKey,
    token: (permissions = ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete'], expiresIn) =>
      signToken({
        apiKey: devKey.apiKey,
        secret: devKey.secret,
        permissions,
        ...(expiresIn ? { expiresIn } : {}),
      }),
    close: () => app.close(),
  };
}

export type ApiInit = RequestInit & { bearer?: string | null; json?: unknown };

/**
 * `fetch` against a test server: `bearer` (default: the current token; `null` for none) as the
 * Authorization header, `json` as a JSON body. Getters, because tests set both in `beforeAll`.
 */
export function apiFetcher(baseUrl: () => string, token: () => string) {
  return (pathname: string, init: ApiInit = {}): Promise<Response> => {
    const { json, bearer = token(), ...rest } = init;
    const headers = new Headers(rest.headers);
    if (bearer) headers.set('authorization', `Bearer ${bearer}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${baseUrl()}${pathname}`, {
      ...rest,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  };
}

/** The development key a server wrote into its data folder at its first start. */
export function readDevKey(dataDir: string): DevKey {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'dev-key.json'), 'utf8')) as DevKey;
}

/** An API JWT of the development key in `dataDir`, as a customer's app server signs one. */
export function devKeyToken(dataDir: string, permissions: Permission[]): Promise<string> {
  const { apiKey, secret } = readDevKey(dataDir);
  return signToken({ apiKey, secret, permissions });
}
