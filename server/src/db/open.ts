import type { Config } from '../config.ts';
import type { Repositories } from './repositories.ts';
import { openSqliteRepositories } from './sqlite.ts';

/**
 * The database the configuration names: PostgreSQL when `VOD_DATABASE_URL` is set (scaled out),
 * else the embedded SQLite file under `VOD_DATA_DIR`. Opened and migrated.
 */
export async function openRepositories(
  config: Pick<Config, 'dataDir' | 'secretKey' | 'scale'>,
): Promise<Repositories> {
  if (config.scale.databaseUrl) {
    // Loaded only when configured: the embedded default never pulls in pg.
    const { openPgRepositories } = await import('./pg/index.ts');
    return openPgRepositories({ connectionString: config.scale.databaseUrl, secretKey: config.secretKey });
  }
  return openSqliteRepositories(config.dataDir, config.secretKey);
}
