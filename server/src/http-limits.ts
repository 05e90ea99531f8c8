import http from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '@vodkit/api';
import type { Config } from './config.ts';

/**
 * Connection-level limits of the HTTP server (issue 5, defect 6), below fastify's routing:
 *
 * - headers: the request line and headers must arrive within `VOD_HEADERS_TIMEOUT_MS` (Node's
 *   `headersTimeout`, checked every second rather than Node's default 30 s);
 * - no total request timeout (`requestTimeout: 0`): a 20 GB tus PATCH may take hours;
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
