import { EventEmitter } from 'node:events';
import pg from 'pg';
import { PgListener } from '../db/pg/listen.ts';
import { EventBus, type VideoEvent, type VideoEventBus } from './events.ts';

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
export class PgEventBus implements VideoEventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  /** This process's own emits (`onEmitted`) and file probes: they never cross nodes. */
  readonly #local = new EventBus();
  /** One connection (a pool of one, which reconnects), so emits leave in order. */
  readonly #sender: pg.Pool;
  readonly #listener: PgListener;
  readonly #ready: Promise<void>;
  /** Emits still in flight, chained so they leave in order. */
  #queue: Promise<void> = Promise.resolve();
  readonly #onError: (err: Error) => void;

  constructor(connectionString: string, onError: (err: Error) => void = () => {}) {
    this.#onError = onError;
    this.#sender = new pg.Pool({ connectionString, max: 1, application_name: 'vodkit-events-send' });
    this.#sender.on('error', onError);
    this.#listener = new PgListener(
      connectionString,
      [CHANNEL],
      (_channel, payload) => {
        let event: VideoEvent;
        try {
          event = JSON.parse(payload) as VideoEvent;
        } catch (err) {
          onError(err as Error);
          return;
        }
        this.#emitter.emit(event.videoId, event);
        this.#emitter.emit('*', event);
      },
      { onError, applicationName: 'vodkit-events' },
    );
    this.#ready = this.#listener.ready();
  }

  /** Resolves once this node hears events (the sender connects on first use). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Refuses (throws) an event too large for NOTIFY at once, rather than losing it on the way. */
  emit(event: VideoEvent): void {
    // The row is for this process's listeners (`onEmitted`); other nodes get the event itself.
    const { job: _local, ...wire } = event;
    const payload = JSON.stringify(wire);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      throw new Error(`event ${event.type} for ${event.videoId} is over ${MAX_PAYLOAD_BYTES} bytes`);
    }
    this.#local.emit(event);
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

  onEmitted(listener: (event: VideoEvent) => void): () => void {
    return this.#local.on('*', listener);
  }

  emitFileProbed(fileId: string): void {
    this.#local.emitFileProbed(fileId);
  }

  onFileProbed(listener: (fileId: string) => void): () => void {
    return this.#local.onFileProbed(listener);
  }

  /** Waits for the emits so far to be sent. */
  flush(): Promise<void> {
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([this.#sender.end().catch(() => {}), this.#listener.close()]);
  }
}
