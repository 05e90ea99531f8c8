import http from 'node:http';
import type net from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the receiver does with one request: answer a status, or never answer at all. */
export type Reply = number | 'hang' | { status: number; headers?: Record<string, string>; body?: string };

export interface Receiver {
  /** `http://127.0.0.1:<port><path>` */
  url(path?: string): string;
  port: number;
  requests: Received[];
  /** The replies for one path, in order; once used up (or for other paths) the answer is 200. */
  script(path: string, replies: Reply[]): void;
  /** Resolves with the first request (already received or to come) that `match` accepts. */
  waitFor(match: (r: Received) => boolean, ms?: number): Promise<Received>;
  close(): Promise<void>;
}

/** A real webhook receiver on a free loopback port that records every request. */
export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  const scripts = new Map<string, Reply[]>();
  const waiters = new Set<() => void>();
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      requests.push({ path, headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const wake of [...waiters]) wake();
      const reply = scripts.get(path)?.shift() ?? 200;
      if (reply === 'hang') return;
      const r = typeof reply === 'number' ? { status: reply } : reply;
      res.writeHead(r.status, r.headers);
      res.end(r.body ?? '');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    requests,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    script: (path, replies) => scripts.set(path, [...replies]),
    waitFor(match, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find(match);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching webhook request within ${ms} ms (got ${requests.length})`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
