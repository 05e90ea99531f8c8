import fs from 'node:fs';
import { tempDir } from '../../test/fixtures.ts';
import { describeRepositoriesContract } from '../../test/repositories-contract.ts';
import { openDatabase } from './database.ts';
import { openSqliteRepositories } from './sqlite.ts';

// Each `open` is another connection to the same file, as another process would be.
describeRepositoriesContract('SQLite', async () => {
  const dir = tempDir('vodkit-repos-');
  const handles: { close(): void }[] = [];
  return {
    async open(secretKey = null) {
      const repos = openSqliteRepositories(dir, secretKey);
      handles.push(repos.db);
      return repos;
    },
    async storedSecrets() {
      const db = openDatabase(dir);
      try {
        return (
          db
            .prepare(
              `SELECT secret FROM api_keys UNION ALL SELECT secret FROM webhook_endpoints
               UNION ALL SELECT secret FROM webhook_secrets`,
            )
            .all() as { secret: string }[]
        ).map((r) => r.secret);
      } finally {
        db.close();
      }
    },
    async copyStoredApiSecret(from, to) {
      const db = openDatabase(dir);
      try {
        db.prepare(
          'UPDATE api_keys SET secret = (SELECT secret FROM api_keys WHERE api_key = ?) WHERE api_key = ?',
        ).run(from, to);
      } finally {
        db.close();
      }
    },
    async drop() {
      for (const h of handles) h.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
