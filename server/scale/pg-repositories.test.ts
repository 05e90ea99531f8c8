import { expect, inject, it } from 'vitest';
import { openPgRepositories } from '../src/db/pg/index.ts';
import { PG_MIGRATIONS } from '../src/db/pg/migrations.ts';
import { describeRepositoriesContract } from '../test/repositories-contract.ts';
import { freshSchema as freshSchemaOf } from './schema.ts';

const { databaseUrl } = inject('scaleEnv');

const freshSchema = () => freshSchemaOf(databaseUrl);

describeRepositoriesContract('PostgreSQL', async () => {
  const s = await freshSchema();
  return {
    // A small pool per node, as a real node has a few connections, not one per request.
    open: (secretKey = null) => openPgRepositories({ connectionString: s.url, secretKey, poolMax: 4 }),
    async storedSecrets() {
      const { rows } = await s.admin.query<{ secret: string }>(
        `SELECT secret FROM ${s.schema}.api_keys UNION ALL SELECT secret FROM ${s.schema}.webhook_endpoints
         UNION ALL SELECT secret FROM ${s.schema}.webhook_secrets`,
      );
      return rows.map((r) => r.secret);
    },
    async copyStoredApiSecret(from, to) {
      await s.admin.query(
        `UPDATE ${s.schema}.api_keys SET secret = (SELECT secret FROM ${s.schema}.api_keys WHERE api_key = $1)
         WHERE api_key = $2`,
        [from, to],
      );
    },
    drop: s.drop,
  };
});

it('migrates once when several nodes start together, and every table is there', async () => {
  const s = await freshSchema();
  const nodes = await Promise.all(
    [1, 2, 3].map(() => openPgRepositories({ connectionString: s.url, secretKey: null, poolMax: 2 })),
  );
  const { rows } = await s.admin.query<{ version: number }>(
    `SELECT version FROM ${s.schema}.vodkit_migrations ORDER BY version`,
  );
  expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
  const tables = await s.admin.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [s.schema],
  );
  expect(tables.rows.map((r) => r.table_name)).toEqual([
    'analytics_hourly',
    'analytics_salts',
    'analytics_sessions',
    'analytics_visitors',
    'api_keys',
    'chapters',
    'chunk_tasks',
    'files',
    'jobs',
    'open_uploads',
    'studio_sessions',
    'tracks',
    'vodkit_migrations',
    'webhook_deliveries',
    'webhook_endpoints',
    'webhook_events',
    'webhook_secrets',
  ]);
  expect(nodes.every((n) => n.engine === 'postgres')).toBe(true);
  await Promise.all(nodes.map((n) => n.close()));
  await s.drop();
});
