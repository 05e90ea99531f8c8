import pg from 'pg';

export interface PgListenerOptions {
  onError?: (err: Error) => void;
  /** Called after a lost connection is back and listening again: whatever was NOTIFYed meanwhile is gone. */
  onReconnect?: () => void;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * One connection LISTENing on fixed channels that comes back by itself: a database restart or a cut
 * network must not leave a node deaf for good. Reconnects back off from 100 ms to 5 s.
 */
export class PgListener {
  #client: pg.Client | null = null;
  #closed = false;
  readonly #ready: Promise<void>;

  constructor(
    private readonly connectionString: string,
    private readonly channels: string[],
    private readonly onNotify: (channel: string, payload: string) => void,
    private readonly options: PgListenerOptions = {},
  ) {
    for (const c of channels) if (!/^[a-z_][a-z0-9_]*$/.test(c)) throw new Error(`bad channel name "${c}"`);
    this.#ready = this.#connect();
  }

  /** Resolves once the first connection listens (rejects when that first attempt fails). */
  ready(): Promise<void> {
    return this.#ready;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: this.options.applicationName ?? 'vodkit-listen',
    });
    client.on('notification', (m) => this.onNotify(m.channel, m.payload ?? ''));
    client.on('error', (err) => {
      this.options.onError?.(err);
      this.#lost(client);
    });
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      for (const c of this.channels) await client.query(`LISTEN ${c}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = null;
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    for (let delay = 100; !this.#closed; delay = Math.min(delay * 2, 5000)) {
      await new Promise((r) => setTimeout(r, delay));
      if (this.#closed) return;
      try {
        await this.#connect();
        this.options.onReconnect?.();
        return;
      } catch (err) {
        this.options.onError?.(err as Error);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
