import fs from 'node:fs';
import { tempDir } from '../../test/fixtures.ts';
import { describeRepositoriesContract } from '../../test/repositories-contract.ts';
import { openDatabase } from './database.ts';
import { FilesRepo } from './files.ts';
import { JobsRepo } from './jobs.ts';
import { KeysRepo } from './keys.ts';
import { PlaybackRepo } from './playback.ts';
import type { Repositories } from './repositories.ts';
import { TracksRepo } from './tracks.ts';
import { OpenUploadsRepo } from './uploads.ts';
import { WebhooksRepo } from './webhooks.ts';

/**
 * The SQLite classes are still synchronous on this branch: each method's result (or throw) is
 * handed back as a promise. Still right once they are async; then `openSqliteRepositories` replaces this.
 */
function promised<T extends object>(repo: T): T {
  return new Proxy(repo, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          return Promise.resolve(value.apply(target, args));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    },
  });
}

// Each `open` is another connection to the same file, as another process would be.
describeRepositoriesContract('SQLite', async () => {
  const dir = tempDir('vodkit-repos-');
  const handles: { close(): void }[] = [];
  return {
    async open(secretKey = null) {
      const db = openDatabase(dir);
      try {
        const repos: Repositories = {
          engine: 'sqlite',
          files: promised(new FilesRepo(db)) as unknown as Repositories['files'],
          jobs: promised(new JobsRepo(db)) as unknown as Repositories['jobs'],
          keys: promised(new KeysRepo(db, secretKey)) as unknown as Repositories['keys'],
          playback: promised(new PlaybackRepo(db)) as unknown as Repositories['playback'],
          tracks: promised(new TracksRepo(db)) as unknown as Repositories['tracks'],
          openUploads: promised(new OpenUploadsRepo(db)) as unknown as Repositories['openUploads'],
          webhooks: promised(new WebhooksRepo(db, secretKey)) as unknown as Repositories['webhooks'],
          close: async () => {
            if (db.open) db.close();
          },
        };
        handles.push(db);
        return repos;
      } catch (err) {
        db.close();
        throw err;
      }
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
