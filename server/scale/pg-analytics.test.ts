import { inject } from 'vitest';
import { openPgRepositories } from '../src/db/pg/index.ts';
import { describeAnalyticsContract } from '../test/analytics-contract.ts';
import { freshSchema } from './schema.ts';

const { databaseUrl } = inject('scaleEnv');

// Each case on a schema of its own; each `open()` is another node (another pool).
describeAnalyticsContract('PostgreSQL', async () => {
  const s = await freshSchema(databaseUrl);
  return {
    open: () => openPgRepositories({ connectionString: s.url, secretKey: null, poolMax: 4 }),
    drop: s.drop,
  };
});
