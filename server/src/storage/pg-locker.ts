import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import pg from 'pg';
import { PgListener } from '../db/pg/listen.ts';

/** The channel on which one node asks the holder of an upload's lock, on any node, to let go. */
const RELEASE_CHANNEL = 'vodkit_tus_release';

export interface PgLockerOptions {
  /** Give up (tus answers 500 ERR_LOCK_TIMEOUT) when the lock is not ours after this long. */
  acquireTimeoutMs?: number;
  /** How often a waiting request retries `pg_try_advisory_lock`. */
  retryMs?: number;
  /** At most this many locks held at once by this node: each holds one connection. */
  maxConnections?: number;
}

/**
 * A tus `Locker` shared by every API node through PostgreSQL, so PATCHes and HEADs of one upload
 * arriving on different nodes never write at once (issue 8). A lock is a session-level advisory lock
 * on a connection held for as long as the request holds it: a node that dies loses its connection,
 * and PostgreSQL frees its locks with it.
 *
 * tus wants a newcomer to be able to take an upload over from a request that went quiet (a client
 * that lost its connection and resumed elsewhere): the newcomer NOTIFYs the upload id, and the node
 * whose request holds that lock cancels the request, which unlocks.
 */
export class PgLocker implements Locker {
  readonly #pool: pg.Pool;
  readonly #listener: PgListener;
  readonly #held = new Map<string, RequestRelease>();
  /** Each held lock's session, with the error handler that cancels its request should the session die. */
  readonly #clients = new Map<pg.PoolClient, () => void>();
  readonly #acquireTimeoutMs: number;
  readonly #retryMs: number;
  readonly #ready: Promise<void>;

  constructor(connectionString: string, options: PgLockerOptions = {}) {
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.#retryMs = options.retryMs ?? 50;
    this.#pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 50,
      connectionTimeoutMillis: this.#acquireTimeoutMs,
    });
    // A connection that breaks while idle must not crash the process; the lock it held is gone anyway.
    this.#pool.on('error', () => {});
    this.#listener = new PgListener(
      connectionString,
      [RELEASE_CHANNEL],
      (_channel, id) => {
        const release = this.#held.get(id);
        if (release) void release();
      },
      { applicationName: 'vodkit-tus-locker' },
    );
    this.#ready = this.#listener.ready();
  }

  /** Resolves once this node hears release requests; a request taking a lock waits for it anyway. */
  ready(): Promise<void> {
    return this.#ready;
  }

  newLock(id: string): Lock {
    return new PgLock(id, this);
  }

  /** Drops every lock this node still holds (their sessions end) and disconnects. */
  async close(): Promise<void> {
    for (const client of this.#clients.keys()) client.release(true);
    this.#clients.clear();
    this.#held.clear();
    await this.#listener.close();
    await this.#pool.end();
  }

  /** @internal */
  async acquire(id: string, signal: AbortSignal, release: RequestRelease): Promise<pg.PoolClient> {
    await this.#ready;
    const deadline = Date.now() + this.#acquireTimeoutMs;
    const client = await this.#pool.connect();
    try {
      let asked = false;
      for (;;) {
        if (signal.aborted) throw ERRORS.ABORTED;
        const { rows } = await client.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
          [id],
        );
        if (rows[0]?.ok) {
          // The session is the lock: if it dies (database restart, cut network) exclusivity is gone,
          // so the request holding it is cancelled, as when another node asks for the upload.
          const onError = () => {
            if (this.#held.get(id) === release) void release();
          };
          client.on('error', onError);
          this.#held.set(id, release);
          this.#clients.set(client, onError);
          return client;
        }
        if (!asked) {
          await client.query('SELECT pg_notify($1, $2)', [RELEASE_CHANNEL, id]);
          asked = true;
        }
        if (Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
        await new Promise((r) => setTimeout(r, this.#retryMs));
      }
    } catch (err) {
      client.release();
      throw err;
    }
  }

  /** @internal */
  async free(id: string, client: pg.PoolClient): Promise<void> {
    this.#held.delete(id);
    const onError = this.#clients.get(client);
    this.#clients.delete(client);
    try {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [id]);
      client.release();
    } catch (err) {
      // The session is gone or broken: destroying it frees whatever it still held.
      client.release(err as Error);
    } finally {
      if (onError) client.off('error', onError);
    }
  }
}

class PgLock implements Lock {
  #client: pg.PoolClient | null = null;

  constructor(
    private readonly id: string,
    private readonly locker: PgLocker,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    this.#client = await this.locker.acquire(this.id, signal, requestRelease);
  }

  async unlock(): Promise<void> {
    if (!this.#client) throw new Error('Releasing an unlocked lock!');
    const client = this.#client;
    this.#client = null;
    await this.locker.free(this.id, client);
  }
}
