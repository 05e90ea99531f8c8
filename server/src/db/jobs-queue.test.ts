import fs from 'node:fs';
import { tempDir } from '../../test/fixtures.ts';
import { jobsQueueContract } from '../../test/jobs-queue-contract.ts';
import { openDatabase } from './database.ts';
import { JobsRepo } from './jobs.ts';

// One SQLite connection serves every worker of a node; the PostgreSQL half of this contract, with a
// connection per worker, runs in server/scale/pg-jobs.test.ts.
jobsQueueContract('SQLite', async () => {
  const dir = tempDir('vodkit-queue-');
  const db = openDatabase(dir);
  const repo = new JobsRepo(db);
  return {
    workers: [repo, repo, repo, repo],
    close: async () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
