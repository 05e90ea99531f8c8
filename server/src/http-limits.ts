import http from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { ErrorCode } from '@vodkit/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from './config.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body streams to storage for as long as it takes (tus): no total deadline, only the idle timeout. */
    streamsBody?: boolean;
  }
}

/**
 * Connection-level limits of the HTTP server (issue 5, defect 6), below fastify's routing:
 *
 * - headers: the request line and headers must arrive within `VOD_HEADERS_TIMEOUT_MS` (Node's
 *   `headersTimeout`, checked every second rather than Node's default 30 s);
 * - no total request timeout (`requestTimeout: 0`): a 20 GB tus PATCH may take hours; every other
 *   body (JSON, captions) must arrive whole within `VOD_BODY_TIMEOUT_MS` (`installBodyDeadline`);
 * - idle: a connection on which nothing moves for `VOD_BODY_IDLE_TIMEOUT_MS` is cut, answering
 *   408 first when a request is waiting for its body. A slow upload that keeps sending is fine;
 *   one that stops is not held open forever.
 *
 * Every answer written here is our JSON error shape, like the rest of the API.
 */
export function httpServerOptions(config: Config): http.ServerOptions {
  return {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.headersTimeoutMs / 2))),
  };
}

/** The responses still being written, by socket: an idle timeout answers the waiting request. */
export function installIdleTimeout(server: http.Server, idleMs: number): void {
  const pending = new WeakMap<Socket, http.ServerResponse>();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    pending.set(req.socket, res);
    res.once('close', () => {
      if (pending.get(req.socket) === res) pending.delete(req.socket);
    });
  });
  server.setTimeout(idleMs, (socket: Socket) => {
    const res = pending.get(socket);
    if (res && !res.headersSent && !res.writableEnded) {
      const body = rawBody('request_timeout', `nothing was received for ${idleMs} ms`);
      res.writeHead(408, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      });
      res.end(body, () => socket.destroy());
      // A socket that does not drain the answer either is gone soon after.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.destroy();
  });
}

/**
 * A total deadline for the bodies fastify reads into memory: a client trickling one byte a minute
 * passes the idle timeout, never this. Routes whose config says `streamsBody` (tus) are exempt.
 * The body is piped through a stream that fails with `request_timeout` (408) at the deadline, so the
 * answer goes through the error handler like any other.
 */
export function installBodyDeadline(app: FastifyInstance, deadlineMs: number): void {
  app.addHook('preParsing', async (request: FastifyRequest, reply: FastifyReply, payload: Readable) => {
    // Already whole (most JSON requests arrive in the header's packet), or exempt: nothing to time.
    if (request.raw.complete || request.routeOptions.config.streamsBody) return payload;
    return withDeadline(request.raw, reply.raw, deadlineMs);
  });
  // Answered before its body was read whole (401, 408, 413): the rest of the body is still on the
  // wire, so the connection cannot carry another request, and must not wait for those bytes.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (!request.raw.complete) reply.header('connection', 'close');
    return payload;
  });
}

function withDeadline(raw: http.IncomingMessage, res: http.ServerResponse, deadlineMs: number): Readable {
  const body = new PassThrough();
  // The parser listens while it reads; a request answered without reading (415, 404) has no listener.
  body.on('error', () => {});
  const timer = setTimeout(() => {
    raw.unpipe(body);
    body.destroy(new ApiError('request_timeout', `the request body did not arrive within ${deadlineMs} ms`));
  }, deadlineMs);
  const settle = () => clearTimeout(timer);
  body.once('end', settle);
  body.once('close', settle);
  res.once('close', settle);
  raw.once('error', (err) => body.destroy(err));
  raw.once('close', () => {
    if (!raw.complete) body.destroy(new Error('the client closed the connection mid-body'));
  });
  raw.pipe(body);
  return body;
}

/** fastify's `clientErrorHandler`: malformed requests, header overflow and header timeouts, as JSON. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let code: ErrorCode = 'validation_failed';
  let message = 'malformed HTTP request';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    code = 'headers_too_large';
    message = 'the request headers are larger than this server accepts';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    code = 'request_timeout';
    message = 'the request headers did not arrive in time';
  }
  const body = rawBody(code, message);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const rawBody = (code: ErrorCode, message: string): string => JSON.stringify({ error: { code, message } });
