import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { EventBus, VideoEvent } from './events.ts';

const CHANNEL = 'vodkit_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7900;

/**
 * The event bus when API nodes and workers are separate processes (issue 8): `emit` NOTIFYs, and
 * every node (the emitting one included) LISTENs and fans the event out to its own SSE listeners and
 * webhook deliveries. Same surface as the in-process `EventBus`, so callers don't change.
 *
 * Events from one process keep their order: they go out on one connection, one after the other.
 * Delivery is at most once, as NOTIFY is: a node that is disconnected when an event goes out misses
 * it, which SSE clients already cope with by reading the job's state when they (re)connect.
 */
export class PgEventBus implements Pick<EventBus, 'emit' | 'on'> {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  readonly #sender: pg.Client;
  readonly #listener: pg.Client;
  readonly #ready: Promise<void>;
  /** Emits still in flight, chained so they leave in order. */
  #queue: Promise<void> = Promise.resolve();
  readonly #onError: (err: Error) => void;

  constructor(connectionString: string, onError: (err: Error) => void = () => {}) {
    this.#onError = onError;
    this.#sender = new pg.Client({ connectionString });
    this.#listener = new pg.Client({ connectionString });
    this.#sender.on('error', onError);
    this.#listener.on('error', onError);
    this.#listener.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      let event: VideoEvent;
      try {
        event = JSON.parse(msg.payload) as VideoEvent;
      } catch (err) {
        onError(err as Error);
        return;
      }
      this.#emitter.emit(event.videoId, event);
      this.#emitter.emit('*', event);
    });
    this.#ready = Promise.all([this.#sender.connect(), this.#listener.connect()]).then(async () => {
      await this.#listener.query(`LISTEN ${CHANNEL}`);
    });
  }

  /** Resolves once this node both sends and hears events. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Refuses (throws) an event too large for NOTIFY at once, rather than losing it on the way. */
  emit(event: VideoEvent): void {
    const payload = JSON.stringify(event);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      throw new Error(`event ${event.type} for ${event.videoId} is over ${MAX_PAYLOAD_BYTES} bytes`);
    }
    this.#queue = this.#queue
      .then(() => this.#ready)
      .then(() => this.#sender.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]))
      .then(
        () => {},
        (err: Error) => this.#onError(err),
      );
  }

  on(videoId: string, listener: (event: VideoEvent) => void): () => void {
    this.#emitter.on(videoId, listener);
    return () => this.#emitter.off(videoId, listener);
  }

  /** Waits for the emits so far to be sent. */
  flush(): Promise<void> {
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([this.#sender.end().catch(() => {}), this.#listener.end().catch(() => {})]);
  }
}
