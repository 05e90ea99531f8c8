import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobRangeError, type BlobStore } from '../src/storage/blob-store.ts';
import { tempDir } from './fixtures.ts';

/**
 * One behaviour for every BlobStore: run by src/storage/blob-store.test.ts against local disk and by
 * scale/blob-store.test.ts against a real S3 server (Ceph radosgw from scripts/services.sh).
 */
export function blobStoreContract(name: string, open: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    const scratch = tempDir('vodkit-blob-');
    const bytes = crypto.randomBytes(256 * 1024);
    const file = path.join(scratch, 'seg.m4s');
    // Each run writes under its own prefix, so a shared bucket holds no stale keys from an earlier run.
    const run = `run-${crypto.randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      fs.writeFileSync(file, bytes);
      store = await open();
    });
    afterAll(async () => {
      await store.deletePrefix(`${run}/`);
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    const read = async (key: string, range?: { start: number; end?: number }) => {
      const body = await store.get(key, range);
      if (!body) return null;
      const data = await buffer(body.stream);
      expect(data.length).toBe(body.length);
      return { ...body, data };
    };

    it('puts a file and gets the same bytes back, with its size', async () => {
      await store.putFile(`${run}/v1/720p/seg-1.m4s`, file, 'video/iso.segment');
      const got = await read(`${run}/v1/720p/seg-1.m4s`);
      expect(got?.data.equals(bytes)).toBe(true);
      expect(got?.totalSize).toBe(bytes.length);
      expect((await store.stat(`${run}/v1/720p/seg-1.m4s`))?.size).toBe(bytes.length);
    });

    it('answers null for an object that does not exist', async () => {
      expect(await store.get(`${run}/nothing/here.ts`)).toBeNull();
      expect(await store.stat(`${run}/nothing/here.ts`)).toBeNull();
    });

    it('serves inclusive byte ranges and refuses one past the end', async () => {
      await store.putFile(`${run}/v1/range.bin`, file);
      const mid = await read(`${run}/v1/range.bin`, { start: 1000, end: 1999 });
      expect(mid?.data.equals(bytes.subarray(1000, 2000))).toBe(true);
      expect([mid?.start, mid?.end, mid?.totalSize]).toEqual([1000, 1999, bytes.length]);
      const tail = await read(`${run}/v1/range.bin`, { start: bytes.length - 10 });
      expect(tail?.data.equals(bytes.subarray(bytes.length - 10))).toBe(true);
      await expect(store.get(`${run}/v1/range.bin`, { start: bytes.length + 5 })).rejects.toBeInstanceOf(
        BlobRangeError,
      );
    });

    it('stores a stream of exactly the announced size, and refuses a short or long one', async () => {
      const data = crypto.randomBytes(70_000);
      await store.putStream(
        `${run}/v1/stream.bin`,
        Readable.from([data.subarray(0, 30_000), data.subarray(30_000)]),
        data.length,
      );
      expect((await read(`${run}/v1/stream.bin`))?.data.equals(data)).toBe(true);

      await expect(
        store.putStream(`${run}/v1/short.bin`, Readable.from([data.subarray(0, 100)]), 200),
      ).rejects.toThrow();
      await expect(
        store.putStream(`${run}/v1/long.bin`, Readable.from([data.subarray(0, 300)]), 200),
      ).rejects.toThrow();
      expect(await store.stat(`${run}/v1/short.bin`)).toBeNull();
      expect(await store.stat(`${run}/v1/long.bin`)).toBeNull();
    });

    it('replaces an object atomically: a reader sees the old bytes or the new, never a mix', async () => {
      const a = Buffer.alloc(512 * 1024, 'a');
      const b = Buffer.alloc(512 * 1024, 'b');
      fs.writeFileSync(path.join(scratch, 'a'), a);
      fs.writeFileSync(path.join(scratch, 'b'), b);
      const key = `${run}/v1/master.m3u8`;
      await store.putFile(key, path.join(scratch, 'a'));
      const writes = (async () => {
        for (let i = 0; i < 6; i++) await store.putFile(key, path.join(scratch, i % 2 ? 'a' : 'b'));
      })();
      const seen = new Set<string>();
      let done = false;
      void writes.finally(() => {
        done = true;
      });
      while (!done) {
        const got = await read(key);
        expect(got?.data.length).toBe(a.length);
        const first = got!.data[0]!;
        expect(got!.data.every((x) => x === first)).toBe(true);
        seen.add(String.fromCharCode(first));
      }
      await writes;
      expect(seen.size).toBeGreaterThan(0);
    });

    it('lists the keys under a folder-like prefix only, sorted, and deletes a prefix', async () => {
      for (const k of ['v2/master.m3u8', 'v2/360p/seg-2.m4s', 'v2/360p/init.mp4', 'v22/master.m3u8']) {
        await store.putFile(`${run}/${k}`, file);
      }
      expect(await store.list(`${run}/v2/`)).toEqual([
        `${run}/v2/360p/init.mp4`,
        `${run}/v2/360p/seg-2.m4s`,
        `${run}/v2/master.m3u8`,
      ]);
      expect(await store.deletePrefix(`${run}/v2/`)).toBe(3);
      expect(await store.list(`${run}/v2/`)).toEqual([]);
      expect(await store.list(`${run}/v22/`)).toEqual([`${run}/v22/master.m3u8`]);
      expect(await store.deletePrefix(`${run}/nothing/`)).toBe(0);
    });

    it('refuses keys and prefixes that could escape or hide', async () => {
      for (const bad of ['../x', '/abs', 'a//b', '.hidden/x', 'a/../b', 'a\\b', 'seg.tmp', '']) {
        await expect(store.putFile(bad, file), bad).rejects.toThrow(/invalid blob key/);
      }
      await expect(store.list('v2')).rejects.toThrow(/must end with/);
      await expect(store.deletePrefix('../')).rejects.toThrow();
      await expect(store.deletePrefix('')).rejects.toThrow(/every object/);
    });

    it('presigns a GET that works until tampered with, where the store supports it', async () => {
      const key = `${run}/v1/poster.jpg`;
      await store.putFile(key, file, 'image/jpeg');
      const url = await store.presignGet(key, 300);
      if (store.kind === 'local') {
        expect(url).toBeNull();
        return;
      }
      const ok = await fetch(url!);
      expect(ok.status).toBe(200);
      expect(Buffer.from(await ok.arrayBuffer()).equals(bytes)).toBe(true);
      const ranged = await fetch(url!, { headers: { Range: 'bytes=0-99' } });
      expect(ranged.status).toBe(206);
      expect((await ranged.arrayBuffer()).byteLength).toBe(100);

      const u = new URL(url!);
      const sig = u.searchParams.get('X-Amz-Signature')!;
      u.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
      expect((await fetch(u)).status).toBe(403);
      const other = new URL(url!);
      other.pathname = other.pathname.replace('poster.jpg', 'range.bin');
      expect((await fetch(other)).status).toBe(403);
    });
  });
}
