/**
 * The two baselines of the upload-throughput bench, each run as its own process
 * (`node --import tsx server/bench/upload-servers.ts <raw-put|bare-tus> <port> <dir>`), so every
 * subject's RSS is its own:
 *  - raw-put: `node:http`, `PUT /files/<name>` streamed with `pipeline(req, fs.createWriteStream)`;
 *  - bare-tus: `@tus/server` + `@tus/file-store` as their README sets them up, nothing else.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const [kind, portArg, dir] = process.argv.slice(2);
const port = Number(portArg);
if (!dir || !Number.isInteger(port))
  throw new Error('usage: upload-servers.ts <raw-put|bare-tus> <port> <dir>');
fs.mkdirSync(dir, { recursive: true });

if (kind === 'raw-put') {
  http
    .createServer((req, res) => {
      const name = path.basename(req.url ?? 'x');
      const file = path.join(dir, name);
      if (req.method === 'DELETE') {
        fs.rm(file, { force: true }, () => res.writeHead(204).end());
        return;
      }
      if (req.method !== 'PUT') {
        res.writeHead(req.url === '/healthz' ? 200 : 405).end();
        return;
      }
      pipeline(req, fs.createWriteStream(file)).then(
        () => res.writeHead(204).end(),
        () => res.writeHead(500).end(),
      );
    })
    .listen(port, '127.0.0.1');
} else if (kind === 'bare-tus') {
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
  http
    .createServer((req, res) => {
      if (req.url === '/healthz') res.writeHead(200).end();
      else void tus.handle(req, res);
    })
    .listen(port, '127.0.0.1');
} else {
  throw new Error(`unknown server kind "${kind}"`);
}
