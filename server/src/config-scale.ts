import os from 'node:os';
import path from 'node:path';
import { ConfigError, flag } from './config-values.ts';
import type { S3BlobStoreOptions } from './storage/s3-blob-store.ts';

/** The scale-out part of the configuration (issue 8); `loadConfig` will read it once roles are wired. */
export interface ScaleConfig {
  /** `VOD_ROLE`, default `all`: one process does everything; `api` serves HTTP only; `worker` encodes only. */
  role: 'all' | 'api' | 'worker';
  /** `VOD_DATABASE_URL` (postgres://…); null: the embedded SQLite database. */
  databaseUrl: string | null;
  /** `VOD_S3_*`; null: local disk under VOD_DATA_DIR. */
  s3: (S3BlobStoreOptions & { proxy: boolean; scratchDir: string }) | null;
}

const ROLES = ['all', 'api', 'worker'] as const;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads VOD_ROLE, VOD_DATABASE_URL and VOD_S3_*; throws one ConfigError with one line per mistake, so
 * an operator fixes them all in one go. PostgreSQL and S3 come together: nodes on several machines
 * share both, and a single machine needs neither.
 */
export function loadScaleConfig(env: NodeJS.ProcessEnv): ScaleConfig {
  const mistakes: string[] = [];
  const role = (env.VOD_ROLE || 'all') as ScaleConfig['role'];
  if (!ROLES.includes(role)) mistakes.push(`VOD_ROLE must be one of ${ROLES.join(', ')}, got "${role}"`);

  const databaseUrl = env.VOD_DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\/[^/]/.test(databaseUrl)) {
    mistakes.push('VOD_DATABASE_URL must be a postgres:// URL');
  }

  const s3Vars = Object.keys(env).filter((k) => k.startsWith('VOD_S3_') && env[k]);
  let s3: ScaleConfig['s3'] = null;
  if (s3Vars.length > 0) {
    for (const k of ['VOD_S3_BUCKET', 'VOD_S3_ACCESS_KEY_ID', 'VOD_S3_SECRET_ACCESS_KEY']) {
      if (!env[k])
        mistakes.push(`${k} is required when other VOD_S3_ variables are set (${s3Vars.join(', ')})`);
    }
    const bucket = env.VOD_S3_BUCKET ?? '';
    if (bucket && !BUCKET.test(bucket)) {
      mistakes.push(
        `VOD_S3_BUCKET must be 3 to 63 lowercase letters, digits, dots or hyphens, got "${bucket}"`,
      );
    }
    const endpoint = env.VOD_S3_ENDPOINT || undefined;
    if (endpoint) {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(endpoint).protocol);
      } catch {}
      if (!ok) mistakes.push(`VOD_S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
    }
    s3 = {
      ...(endpoint ? { endpoint } : {}),
      region: env.VOD_S3_REGION || 'us-east-1',
      bucket,
      accessKeyId: env.VOD_S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.VOD_S3_SECRET_ACCESS_KEY ?? '',
      // Self-hosted stores rarely have wildcard DNS for virtual-hosted buckets.
      forcePathStyle: flag(env, 'VOD_S3_FORCE_PATH_STYLE', endpoint !== undefined, mistakes),
      proxy: flag(env, 'VOD_S3_PROXY', false, mistakes),
      // Where a worker's ffmpeg writes before the uploader stores the files (storage/outputs.ts).
      scratchDir: env.VOD_SCRATCH_DIR || path.join(os.tmpdir(), 'vodkit-scratch'),
    };
  }

  if (databaseUrl && !s3)
    mistakes.push('VOD_DATABASE_URL is set but VOD_S3_BUCKET is not: set both or neither');
  if (s3 && !databaseUrl) mistakes.push('VOD_S3_* is set but VOD_DATABASE_URL is not: set both or neither');
  if (role !== 'all' && (!databaseUrl || !s3)) {
    mistakes.push(
      `VOD_ROLE=${role} needs VOD_DATABASE_URL and VOD_S3_*: separate nodes share PostgreSQL and S3`,
    );
  }
  if (mistakes.length > 0) throw new ConfigError(mistakes.join('\n'));
  return { role, databaseUrl, s3 };
}
