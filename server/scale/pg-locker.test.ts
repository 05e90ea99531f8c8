import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { FileStore } from '@tus/file-store';
import { S3Store } from '@tus/s3-store';
import { Server as TusServer } from '@tus/server';
import { type DataStore, ERRORS } from '@tus/utils';
import pg from 'pg';
import { Upload } from 'tus-js-client';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { PgLocker } from '../src/storage/pg-locker.ts';
import { S3BlobStore } from '../src/storage/s3-blob-store.ts';
import { tempDir } from '../test/fixtures.ts';

const { databaseUrl, s3 } = inject('scaleEnv');
const lockers: PgLocker[] = [];
const newLocker = async (options = {}) => {
  const l = new PgLocker(databaseUrl, options);
  lockers.push(l);
  await l.ready();
  return l;
};
afterAll(async () => {
  await Promise.all(lockers.map((l) => l.close()));
});

const never = new AbortController().signal;

describe('PgLocker', () => {
  it('makes a second node wait, asks the holder on the first node to let go, then takes the lock', async () => {
    const [a, b] = [await newLocker(), await newLocker()];
    const id = `upload-${crypto.randomUUID()}`;
    const held = a.newLock(id);
    let asked = 0;
    let askedNow = () => {};
    const wasAsked = new Promise<void>((resolve) => {
      askedNow = resolve;
    });
    await held.lock(never, async () => {
      asked++;
      askedNow();
    });
    let bLocked = false;
    const taken = b
      .newLock(id)
      .lock(never, () => {})
      .then(() => {
        bLocked = true;
      });
    // B has asked A to let go, and waits: the lock is still A's until A's handler unlocks it (as
    // tus does, once the holder's request is cancelled).
    await wasAsked;
    expect(bLocked).toBe(false);
    await held.unlock();
    await taken;
    expect(asked).toBe(1);
  });

  it('times out with tus ERR_LOCK_TIMEOUT when the holder never lets go, and honours the abort signal', async () => {
    const a = await newLocker();
    const b = await newLocker({ acquireTimeoutMs: 400 });
    const id = `upload-${crypto.randomUUID()}`;
    const held = a.newLock(id);
    await held.lock(never, () => {});
    await expect(b.newLock(id).lock(never, () => {})).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    const abort = new AbortController();
    const waiting = b.newLock(id).lock(abort.signal, () => {});
    abort.abort();
    await expect(waiting).rejects.toBe(ERRORS.ABORTED);
    await held.unlock();
    const again = b.newLock(id);
    await again.lock(never, () => {});
    await again.unlock();
  });

  it('frees the lock of a node whose database session died', async () => {
    const [a, b] = [await newLocker(), await newLocker({ acquireTimeoutMs: 10_000 })];
    const id = `upload-${crypto.randomUUID()}`;
    await a.newLock(id).lock(never, () => {});
    // Kill A's session from outside, as a crashed node or a cut network would.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(l.pid))::int AS n FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
      [id],
    );
    await admin.end();
    expect(rows[0]?.n).toBe(1);
    const lock = b.newLock(id);
    await lock.lock(never, () => {});
    await lock.unlock();
  });
});

/** One API node: @tus/server with its own PgLocker, over a datastore every node shares. */
async function tusNode(datastore: DataStore) {
  const locker = await newLocker();
  const tus = new TusServer({ path: '/files', datastore, locker });
  const server = http.createServer((req, res) => void tus.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return { url, close };
}

/** True once some session holds the advisory lock of upload `id` (node A's PATCH has it). */
async function lockHeld(id: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
         AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
      [id],
    );
    return rows[0]!.n > 0;
  } finally {
    await c.end();
  }
}

const s3Bucket = `vodkit-tus-${crypto.randomBytes(4).toString('hex')}`;
const s3Blobs = new S3BlobStore({ ...s3, bucket: s3Bucket });
const stores: {
  name: string;
  open: () => Promise<{ node: () => DataStore; read: (id: string) => Promise<Buffer> }>;
}[] = [
  {
    name: 'a shared folder (@tus/file-store)',
    open: async () => {
      const dir = tempDir('vodkit-tus-shared-');
      onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
      return {
        node: () => new FileStore({ directory: dir }),
        read: async (id) => fs.readFileSync(path.join(dir, id)),
      };
    },
  },
  {
    name: 'S3 on radosgw (@tus/s3-store)',
    open: async () => {
      await s3Blobs.ensureBucket(['*']);
      return {
        node: () =>
          new S3Store({
            partSize: 5 * 1024 * 1024,
            s3ClientConfig: {
              bucket: s3Bucket,
              endpoint: s3.endpoint,
              region: s3.region,
              forcePathStyle: s3.forcePathStyle,
              credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            },
          }),
        read: async (id) => {
          const body = await s3Blobs.get(id);
          return buffer(body!.stream);
        },
      };
    },
  },
];

describe.each(stores)('two @tus/server nodes sharing a PgLocker over $name', ({ open }) => {
  it('hands a stalled PATCH on node A over to tus-js-client resuming on node B; the bytes are whole', async () => {
    const store = await open();
    const [a, b] = [await tusNode(store.node()), await tusNode(store.node())];
    const data = crypto.randomBytes(7 * 1024 * 1024);
    const created = await fetch(`${a.url}/files`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(data.length) },
    });
    expect(created.status).toBe(201);
    const id = created.headers.get('location')!.split('/').pop()!;

    // A client sends the first megabyte to node A, then goes quiet without closing the request.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 1024 * 1024));
      },
    });
    const stalled = fetch(`${a.url}/files/${id}`, {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
      },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => `answered ${r.status}`,
      () => 'connection closed',
    );
    while (!(await lockHeld(id))) await new Promise((r) => setTimeout(r, 50));

    // The same client resumes through node B: B's HEAD needs the lock node A's PATCH holds.
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(data, {
        uploadUrl: `${b.url}/files/${id}`,
        chunkSize: 2 * 1024 * 1024,
        retryDelays: [],
        onSuccess: () => resolve(),
        onError: reject,
      });
      upload.start();
    });
    // Node A's request was cancelled across nodes, not left hanging beside B's writes.
    expect(await stalled).toMatch(/answered|closed/);
    expect((await store.read(id)).equals(data)).toBe(true);
    const head = await fetch(`${a.url}/files/${id}`, {
      method: 'HEAD',
      headers: { 'Tus-Resumable': '1.0.0' },
    });
    expect(head.headers.get('upload-offset')).toBe(String(data.length));
    await Promise.all([a.close(), b.close()]);
  });
});
