import type pg from 'pg';

/*
 * What every PostgreSQL repository shares. Times come from the database clock, not the node's, so
 * several API nodes and workers agree on them: timestamps are cut to milliseconds (SQLite's rows hold
 * `new Date().toISOString()`, and a row must read back the same string it sorts by), and lease times
 * are epoch milliseconds like SQLite's `Date.now()`. `statement_timestamp()`, not `now()`: a
 * transaction that waited for a lock must not stamp its rows with the time it started; and one
 * statement reads one time, as SQLite's one `now()` argument does.
 */
export const NOW = `date_trunc('milliseconds', statement_timestamp())`;
export const NOW_MS = `(extract(epoch FROM statement_timestamp()) * 1000)::bigint`;

/** A timestamptz column as SQLite's ISO string. */
export const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** `count(*)`, `sum()` and BIGINT columns come back as strings (they may pass 2^53); ours never do. */
export const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Runs `fn` in one transaction on one pooled connection; rolls back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection whose ROLLBACK failed is in an unknown state: it is closed, not handed back.
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Serialises writers of one resource (a video's tracks, a key's upload reservations) across every
 * node until the transaction ends. Row locks cannot do it: the rows that would break the limit do
 * not exist yet.
 */
export async function lockFor(client: pg.PoolClient, resource: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [resource]);
}
