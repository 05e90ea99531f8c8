import type { Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { VideoEvent } from '../services/events.ts';

/** Comment lines keep proxies and the browser from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** How often open streams re-check their key (revoked?) and token (expired?). */
const SSE_RECHECK_MS = 1000;
/** Events held while the first state is read (a few progress ticks at most). */
const MAX_HELD_EVENTS = 100;

/** EventSource cannot set headers: the API token may come as `?token=` instead. */
export const eventsQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 4096 } },
} as const;

export interface Frame {
  event: string;
  data: unknown;
}

export const frame = (event: string, data: unknown): string =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export interface StreamSpec {
  /** The bus key to listen on (a video id, or `fileEventKey(fileId)`). */
  key: string;
  /** The first event: where the thing stands now. Throws (404) before any byte of the stream is sent. */
  first(): Promise<Frame>;
  /** A bus event as the frame to send; null drops it. Frames leave in the order their events came. */
  frameOf(event: VideoEvent): Frame | null | Promise<Frame | null>;
}

/**
 * Server-Sent Events for videos and files (one machinery, one set of caps): `VOD_SSE_MAX` streams
 * per server and `VOD_SSE_MAX_PER_KEY` per API key, a heartbeat, a re-check of the key (revoked?)
 * and token (expired?) every second that ends a stream with a last `closed` event, and every
 * stream ended before the server waits for its connections.
 */
export class EventStreams {
  readonly #open = new Map<ServerResponse, { apiKey: string; expiresAt: number }>();
  readonly #perKey = new Map<string, number>();

  constructor(
    app: FastifyInstance,
    private readonly ctx: AppContext,
  ) {
    // Streams never end by themselves: close them before the server waits for its connections.
    app.addHook('preClose', async () => {
      for (const res of this.#open.keys()) res.end();
    });
    let rechecking = false;
    const recheck = setInterval(() => {
      if (rechecking) return;
      rechecking = true;
      this.#recheckOnce()
        .catch((err: unknown) => app.log.error({ err }, 'event streams: recheck failed'))
        .finally(() => {
          rechecking = false;
        });
    }, SSE_RECHECK_MS).unref();
    app.addHook('onClose', async () => clearInterval(recheck));
  }

  /** A stream outlives the check made when it opened: the key may be revoked and the token expire meanwhile. */
  async #recheckOnce(): Promise<void> {
    const usable = new Map<string, boolean>();
    for (const { apiKey } of this.#open.values()) {
      if (!usable.has(apiKey)) usable.set(apiKey, await this.ctx.auth.keyUsable(apiKey));
    }
    const now = Date.now();
    for (const [res, { apiKey, expiresAt }] of this.#open) {
      const ok = usable.get(apiKey) ?? true; // opened while we looked: the next pass checks it
      const code = !ok ? 'auth_revoked_key' : expiresAt <= now ? 'auth_expired' : null;
      if (code) res.end(frame('closed', { code }));
    }
  }

  async open(request: FastifyRequest, reply: FastifyReply, spec: StreamSpec): Promise<void> {
    const { config } = this.ctx;
    const { apiKey, expiresAt = Number.POSITIVE_INFINITY } = request.principal;
    if (this.#open.size >= config.sseMax) {
      throw new ApiError('too_many_streams', 'the server has as many open event streams as it allows');
    }
    if ((this.#perKey.get(apiKey) ?? 0) >= config.sseMaxPerKey) {
      throw new ApiError(
        'too_many_streams',
        `this API key has ${config.sseMaxPerKey} open event streams already: close one first`,
      );
    }
    // Listening before the state is read: an event emitted while the database answers is held and
    // sent after the state (at worst a repeat of what the state says), never lost.
    const held: VideoEvent[] = [];
    let send: ((event: VideoEvent) => void) | null = null;
    const unsubscribe = this.ctx.events.on(spec.key, (event: VideoEvent) => {
      if (send) send(event);
      else if (held.length < MAX_HELD_EVENTS) held.push(event);
    });
    let first: Frame;
    try {
      first = await spec.first();
    } catch (err) {
      unsubscribe();
      throw err;
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      // Keeps the CORS headers @fastify/cors put on the reply.
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 3000\n${frame(first.event, first.data)}`);
    // Frames that need a read (a file's new record) are chained, so they leave in event order.
    let chain: Promise<void> = Promise.resolve();
    send = (event) => {
      chain = chain
        .then(async () => {
          const f = await spec.frameOf(event);
          if (f && !res.writableEnded) res.write(frame(f.event, f.data));
        })
        .catch((err: unknown) => request.log.error({ err }, 'event stream: could not send an event'));
    };
    for (const event of held.splice(0)) send(event);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    // The heartbeat keeps it alive: the idle-connection timeout is for request bodies.
    request.raw.socket.setTimeout(0);
    this.#open.set(res, { apiKey, expiresAt });
    this.ctx.metrics.sseStreams.inc();
    this.#perKey.set(apiKey, (this.#perKey.get(apiKey) ?? 0) + 1);
    // The response's close (not the request's, which fires once the GET is read) means the client left.
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      if (this.#open.delete(res)) {
        this.ctx.metrics.sseStreams.dec();
        const n = (this.#perKey.get(apiKey) ?? 1) - 1;
        if (n > 0) this.#perKey.set(apiKey, n);
        else this.#perKey.delete(apiKey);
      }
    });
  }
}

const byServer = new WeakMap<Server, EventStreams>();

/** The server's one `EventStreams` (shared by every route plugin, so the caps count every stream). */
export function eventStreams(app: FastifyInstance, ctx: AppContext): EventStreams {
  let streams = byServer.get(app.server);
  if (!streams) {
    streams = new EventStreams(app, ctx);
    byServer.set(app.server, streams);
  }
  return streams;
}
