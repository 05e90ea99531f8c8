import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

export interface ScaleEnv {
  databaseUrl: string;
  s3: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    scaleEnv: ScaleEnv;
  }
}

const script = path.resolve(import.meta.dirname, '../../scripts/services.sh');

/** The `NAME=value` lines `scripts/services.sh start` prints. */
export function parseServicesEnv(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

export function toScaleEnv(env: Record<string, string | undefined>): ScaleEnv {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`scripts/services.sh did not give ${k}`);
    return v;
  };
  return {
    databaseUrl: need('VOD_TEST_DATABASE_URL'),
    s3: {
      endpoint: need('VOD_TEST_S3_ENDPOINT'),
      region: need('VOD_TEST_S3_REGION'),
      accessKeyId: need('VOD_TEST_S3_ACCESS_KEY_ID'),
      secretAccessKey: need('VOD_TEST_S3_SECRET_ACCESS_KEY'),
      forcePathStyle: env.VOD_TEST_S3_FORCE_PATH_STYLE === '1',
    },
  };
}

/**
 * Starts PostgreSQL and radosgw for the whole suite and stops them after. Services that are already
 * up (`eval "$(scripts/services.sh start)"` in the shell) are used as they are and left running,
 * which makes re-running one file quick.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.VOD_TEST_DATABASE_URL && process.env.VOD_TEST_S3_ENDPOINT) {
    project.provide('scaleEnv', toScaleEnv(process.env));
    return undefined;
  }
  const started = Date.now();
  const services = await startServices();
  console.log(`scale: PostgreSQL and radosgw up in ${Date.now() - started} ms (${services.dir})`);
  project.provide('scaleEnv', services.env);
  return services.stop;
}

/**
 * `scripts/services.sh start`. No second start on failure: the one known first-boot race (Ceph's
 * 'wrong fsid', understood in services.sh) is retried there, on that command alone; anything else is
 * a real failure, and its logs are kept (the script's stderr names where).
 */
export async function startServices(): Promise<{ env: ScaleEnv; dir: string; stop(): Promise<void> }> {
  const run = promisify(execFile);
  const { stdout, stderr } = await run('bash', [script, 'start'], { timeout: 180_000 });
  if (stderr.includes('needed a retry')) console.log(stderr.trim());
  const vars = parseServicesEnv(stdout);
  return {
    env: toScaleEnv(vars),
    dir: vars.VOD_SERVICES_DIR!,
    stop: async () => {
      await run('bash', [script, 'stop', vars.VOD_SERVICES_DIR!], { timeout: 60_000 });
    },
  };
}
