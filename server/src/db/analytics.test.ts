import fs from 'node:fs';
import { describeAnalyticsContract } from '../../test/analytics-contract.ts';
import { tempDir } from '../../test/fixtures.ts';
import { openSqliteRepositories } from './sqlite.ts';

describeAnalyticsContract('SQLite', async () => {
  const dir = tempDir('vodkit-analytics-db-');
  return {
    open: async () => openSqliteRepositories(dir, null),
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
