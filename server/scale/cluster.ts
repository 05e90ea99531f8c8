/*
 * A scaled-out Vodkit on this machine for tests and the bench: API nodes and encoding workers as
 * separate processes (`server/src/main.ts` with VOD_ROLE=api, `server/src/worker.ts` with
 * VOD_ROLE=worker), sharing one PostgreSQL database and one S3 bucket of their own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { tempDir } from '../test/fixtures.ts';
import { freePort } from '../test/server.ts';
import type { ScaleEnv } from './global-setup.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface Node {
  name: string;
  child: ChildProcess;
  dataDir: string;
  /** API nodes only. */
  baseUrl: string | null;
  /** Everything the process wrote, for a failing test's message. */
  output(): string;
  /** SIGTERM and wait; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** A fresh database and bucket for one cluster, so test files never see each other's rows. */
export async function clusterEnv(scale: ScaleEnv, extra: Record<string, string> = {}) {
  const suffix = crypto.randomBytes(4).toString('hex');
  const database = `vodkit_${suffix}`;
  const admin = new pg.Client({ connectionString: scale.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(scale.databaseUrl);
  url.pathname = `/${database}`;
  return {
    VOD_DATABASE_URL: url.toString(),
    VOD_S3_ENDPOINT: scale.s3.endpoint,
    VOD_S3_REGION: scale.s3.region,
    VOD_S3_BUCKET: `vodkit-${suffix}`,
    VOD_S3_ACCESS_KEY_ID: scale.s3.accessKeyId,
    VOD_S3_SECRET_ACCESS_KEY: scale.s3.secretAccessKey,
    VOD_S3_FORCE_PATH_STYLE: scale.s3.forcePathStyle ? '1' : '0',
    VOD_LOG_LEVEL: 'warn',
    VOD_DEMO: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

function launch(
  name: string,
  entry: string,
  env: Record<string, string>,
  dataDir: string,
  cpus?: string,
): Node {
  const node = [process.execPath, '--import', 'tsx', entry];
  // taskset execs node in place (same pid), and ffmpeg children inherit the affinity.
  const [cmd, ...args] = cpus === undefined ? node : ['taskset', '-c', cpus, ...node];
  const child = spawn(cmd!, args, {
    cwd: root,
    env: { ...process.env, ...env, VOD_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    name,
    child,
    dataDir,
    baseUrl: null,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFor(node: Node, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.child.exitCode !== null) {
      throw new Error(`${node.name} exited with ${node.child.exitCode}:\n${node.output()}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${node.name} not ready in ${timeoutMs} ms:\n${node.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An API node on a free loopback port; resolves once /healthz answers. */
export async function startApi(name: string, env: Record<string, string>): Promise<Node> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const node = launch(
    name,
    'server/src/main.ts',
    { ...env, VOD_ROLE: 'api', VOD_PORT: String(port), VOD_HOST: '127.0.0.1', VOD_PUBLIC_URL: baseUrl },
    tempDir(`vodkit-${name}-`),
  );
  node.baseUrl = baseUrl;
  await waitFor(node, async () => (await fetch(`${baseUrl}/healthz`)).ok);
  return node;
}

/**
 * An encoding worker (no HTTP); resolves once its health file has been written. `cpus` (taskset's
 * list, e.g. "1") pins it and every ffmpeg it starts to those CPUs: one machine's share in the bench.
 */
export async function startWorker(
  name: string,
  env: Record<string, string>,
  opts: { cpus?: string } = {},
): Promise<Node> {
  const dataDir = tempDir(`vodkit-${name}-`);
  const health = path.join(dataDir, 'health');
  const node = launch(
    name,
    'server/src/worker.ts',
    { ...env, VOD_ROLE: 'worker', VOD_HEALTH_FILE: health },
    dataDir,
    opts.cpus,
  );
  await waitFor(node, async () => fs.existsSync(health));
  return node;
}

/** Drops the cluster's database (after its nodes stopped). The bucket goes with radosgw's memstore. */
export async function dropClusterDatabase(scale: ScaleEnv, env: Record<string, string>): Promise<void> {
  const admin = new pg.Client({ connectionString: scale.databaseUrl });
  await admin.connect();
  const name = new URL(env.VOD_DATABASE_URL!).pathname.slice(1);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
