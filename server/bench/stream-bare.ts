/**
 * The baseline of the stream bench: what a developer would write with node:http alone. A stat for
 * Content-Length, then `fs.createReadStream(file).pipe(res)` (Node's default 64 KiB reads), keep-alive
 * on. No Range, no ETag, no auth: the floor any real file server sits on.
 * Usage: node --import tsx server/bench/stream-bare.ts <port> <root>
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [port, root] = [Number(process.argv[2]), path.resolve(process.argv[3]!)];

const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!));
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(404).end();
    return;
  }
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'video/iso.segment', 'content-length': stat.size });
    fs.createReadStream(file).pipe(res);
  });
});
// fastify's default (Node's is 5 s): on a busy box a keep-alive socket may idle longer between two
// requests of one viewer, and the baseline would count those resets as errors.
server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
