import http from 'node:http';
import type net from 'node:net';

export interface OriginRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type OriginHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Origin {
  /** `http://<host>:<port><path>` */
  url(path: string): string;
  port: number;
  /** Every request, in order. */
  requests: OriginRequest[];
  /** What answers `path` (exact, query string included). Unrouted paths get 404. */
  route(path: string, handler: OriginHandler): void;
  close(): Promise<void>;
}

/**
 * A real HTTP origin on a loopback address and port (127.0.0.1 unless told) for link-ingest tests: each path answers with a handler the
 * test writes (whole files, redirects, bodies cut midway, stalls). Closing it cuts every connection,
 * stalled ones included.
 */
export async function startOrigin(host = '127.0.0.1'): Promise<Origin> {
  const routes = new Map<string, OriginHandler>();
  const requests: OriginRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    requests,
    url: (path) => `http://${host}:${port}${path}`,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves `bytes` like a static file server: `Accept-Ranges`, a strong ETag, and `206` for
 * `Range: bytes=N-` (honouring `If-Range`).
 */
export function serveBytes(bytes: Buffer, etag = '"v1"'): OriginHandler {
  return (req, res) => {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (m && (!ifRange || ifRange === etag)) {
      const from = Number(m[1]);
      res.writeHead(206, {
        'content-type': 'video/mp4',
        'content-length': String(bytes.length - from),
        'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}`,
        'accept-ranges': 'bytes',
        etag,
      });
      res.end(bytes.subarray(from));
      return;
    }
    res.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': String(bytes.length),
      'accept-ranges': 'bytes',
      etag,
    });
    res.end(bytes);
  };
}
