import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.ts';
import { loadScaleConfig } from './config-scale.ts';

const full = {
  VOD_ROLE: 'worker',
  VOD_DATABASE_URL: 'postgres://vod@db.internal:5432/vod',
  VOD_S3_ENDPOINT: 'https://s3.internal:7480',
  VOD_S3_BUCKET: 'vod-media',
  VOD_S3_ACCESS_KEY_ID: 'AK',
  VOD_S3_SECRET_ACCESS_KEY: 'SK',
};

const mistakesOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadScaleConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected a ConfigError');
};

describe('loadScaleConfig', () => {
  it('keeps the zero-config default: one process, SQLite, local disk', () => {
    expect(loadScaleConfig({})).toEqual({ role: 'all', databaseUrl: null, s3: null });
  });

  it('reads a worker on PostgreSQL and a self-hosted S3, path style by default with an endpoint', () => {
    expect(loadScaleConfig(full)).toEqual({
      role: 'worker',
      databaseUrl: full.VOD_DATABASE_URL,
      s3: {
        endpoint: full.VOD_S3_ENDPOINT,
        region: 'us-east-1',
        bucket: 'vod-media',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
        forcePathStyle: true,
        proxy: false,
        scratchDir: path.join(os.tmpdir(), 'vodkit-scratch'),
      },
    });
    expect(loadScaleConfig({ ...full, VOD_S3_ENDPOINT: '', VOD_S3_PROXY: '1' }).s3).toMatchObject({
      forcePathStyle: false,
      proxy: true,
    });
  });

  it('names every mistake on its own line', () => {
    expect(
      mistakesOf({
        VOD_ROLE: 'api',
        VOD_DATABASE_URL: 'mysql://x',
        VOD_S3_BUCKET: 'Bad_Bucket',
        VOD_S3_ENDPOINT: 'ftp://s3',
        VOD_S3_PROXY: 'yes',
      }),
    ).toEqual([
      'VOD_DATABASE_URL must be a postgres:// URL',
      'VOD_S3_ACCESS_KEY_ID is required when other VOD_S3_ variables are set (VOD_S3_BUCKET, VOD_S3_ENDPOINT, VOD_S3_PROXY)',
      'VOD_S3_SECRET_ACCESS_KEY is required when other VOD_S3_ variables are set (VOD_S3_BUCKET, VOD_S3_ENDPOINT, VOD_S3_PROXY)',
      'VOD_S3_BUCKET must be 3 to 63 lowercase letters, digits, dots or hyphens, got "Bad_Bucket"',
      'VOD_S3_ENDPOINT must be an http(s) URL, got "ftp://s3"',
      'VOD_S3_PROXY must be 1 or 0, got "yes"',
    ]);
  });

  it('refuses half a scale-out set-up and a split role without the shared engines', () => {
    expect(mistakesOf({ VOD_DATABASE_URL: full.VOD_DATABASE_URL })).toEqual([
      'VOD_DATABASE_URL is set but VOD_S3_BUCKET is not: set both or neither',
    ]);
    expect(mistakesOf({ VOD_ROLE: 'worker' })).toEqual([
      'VOD_ROLE=worker needs VOD_DATABASE_URL and VOD_S3_*: separate nodes share PostgreSQL and S3',
    ]);
    expect(mistakesOf({ VOD_ROLE: 'everything' })[0]).toBe(
      'VOD_ROLE must be one of all, api, worker, got "everything"',
    );
  });
});
