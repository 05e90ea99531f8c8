import { randomBytes } from 'node:crypto';
import type { MediaMetadata, Rendition } from '@vodkit/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretKeyMissingError } from '../src/db/keys.ts';
import type { JobRow, NewTrack, Repositories } from '../src/db/repositories.ts';

/** One empty database of the engine under test; `open` may be called several times (nodes, restarts). */
export interface ContractDatabase {
  /** The repositories of this database, as a node started with this `VOD_SECRET_KEY` sees them. */
  open(secretKey?: Buffer | null): Promise<Repositories>;
  /** Every secret column as stored (API keys, webhook endpoints, signing secrets): what a copy of the database gives away. */
  storedSecrets(): Promise<string[]>;
  /** Writes one API key's stored secret onto another key's row, as someone with the database could. */
  copyStoredApiSecret(fromApiKey: string, toApiKey: string): Promise<void>;
  drop(): Promise<void>;
}

export interface ContractOptions {
  /** Jobs for the concurrent-claimers case (and the figure it prints). */
  claimJobs?: number;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Resolves once the wall clock is past `ms` (yielding between looks): waiting for a time, not guessing one. */
async function clockPast(ms: number): Promise<void> {
  const bound = Date.now() + 5000;
  while (Date.now() <= ms) {
    if (Date.now() > bound) throw new Error(`the clock never passed ${ms}`);
    await new Promise((r) => setImmediate(r));
  }
}
/**
 * Until the clock has left the millisecond the last write happened in, so the next one is stamped
 * later and "newest first" has something to sort by (both engines stamp from this machine's clock).
 */
const tick = () => clockPast(Date.now());

const metadata = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  duration: 2.5,
  size: 1234,
  bitrate: 800_000,
  video: { codec: 'h264', width: 320, height: 240, zeta: 1, alpha: 2 },
  audio: null,
} as unknown as MediaMetadata;
const rendition: Rendition = { name: '240', width: 426, height: 240, maxBitrate: 1, playlist: 'x' };

/**
 * The behaviour every engine's repositories share (issue 8): run against SQLite by
 * src/db/repositories.test.ts and against PostgreSQL by scale/pg-repositories.test.ts. Whatever the
 * services rely on is pinned here, so a second engine cannot drift from the first.
 */
export function describeRepositoriesContract(
  name: string,
  fresh: () => Promise<ContractDatabase>,
  options: ContractOptions = {},
): void {
  const claimJobs = options.claimJobs ?? 400;

  describe(`repositories contract: ${name}`, () => {
    let db: ContractDatabase;
    let r: Repositories;
    const extra: Repositories[] = [];
    /** Another node on the same database. */
    const node = async (secretKey: Buffer | null = null) => {
      const o = await db.open(secretKey);
      extra.push(o);
      return o;
    };

    beforeEach(async () => {
      db = await fresh();
      r = await db.open(null);
    });
    afterEach(async () => {
      await Promise.all([r, ...extra.splice(0)].map((o) => o.close()));
      await db.drop();
    });

    const addJob = (n: number, apiKey = 'key1', fileId = 'file1', repos = r) =>
      repos.jobs.insert({ jobId: `job${n}`, videoId: `video${n}`, fileId, apiKey, request: { fileId } });
    const addFile = (fileId: string, apiKey = 'key1') =>
      r.files.insertProbing({
        fileId,
        apiKey,
        filename: `${fileId}.mp4`,
        filetype: 'video/mp4',
        title: null,
        size: 10,
      });

    describe('files', () => {
      it('inserts a probing file once, then records ready or rejected', async () => {
        await addFile('f1');
        await r.files.insertProbing({
          fileId: 'f1',
          apiKey: 'other',
          filename: 'x',
          filetype: null,
          title: 'x',
          size: 99,
        });
        const f = (await r.files.get('f1'))!;
        expect(f).toMatchObject({
          fileId: 'f1',
          apiKey: 'key1',
          filename: 'f1.mp4',
          filetype: 'video/mp4',
          title: null,
          size: 10,
          status: 'probing',
          metadata: null,
          reason: null,
          probeMs: null,
        });
        expect(f.createdAt).toMatch(ISO);
        expect(f.updatedAt).toBe(f.createdAt);
        expect((await r.files.listProbing()).map((x) => x.fileId)).toEqual(['f1']);

        await tick();
        await r.files.markReady('f1', metadata, 12.5);
        const ready = (await r.files.get('f1'))!;
        expect(ready).toMatchObject({ status: 'ready', probeMs: 12.5, reason: null });
        // Read back as written, keys in order: the API shows it as it came from ffprobe.
        expect(JSON.stringify(ready.metadata)).toBe(JSON.stringify(metadata));
        expect(ready.updatedAt > ready.createdAt).toBe(true);
        expect(await r.files.listProbing()).toEqual([]);

        await addFile('f2');
        await r.files.markRejected('f2', 'unsupported', 'no video', null);
        expect(await r.files.get('f2')).toMatchObject({
          status: 'rejected',
          reason: { code: 'unsupported', message: 'no video' },
          metadata: null,
          probeMs: null,
        });
        await r.files.markRejected('f2', 'too_long', 'long', 3, metadata);
        expect(await r.files.get('f2')).toMatchObject({ reason: { code: 'too_long' }, probeMs: 3, metadata });
        expect(await r.files.get('nope')).toBeUndefined();
      });

      it('lists a key’s files newest first with a total, and answers per key and id', async () => {
        for (let i = 1; i <= 5; i++) {
          await addFile(`f${i}`);
          await tick();
        }
        await addFile('g1', 'key2');
        const page1 = await r.files.list('key1', 1, 2);
        expect(page1.total).toBe(5);
        expect(page1.rows.map((f) => f.fileId)).toEqual(['f5', 'f4']);
        expect((await r.files.list('key1', 3, 2)).rows.map((f) => f.fileId)).toEqual(['f1']);
        expect(await r.files.list('key3', 1, 10)).toEqual({ rows: [], total: 0 });

        const f3 = (await r.files.get('f3'))!;
        expect((await r.files.idsCreatedBefore('key1', f3.createdAt)).sort()).toEqual(['f1', 'f2']);
        expect(await r.files.has('f1')).toBe(true);
        expect(await r.files.delete('f1')).toBe(true);
        expect(await r.files.delete('f1')).toBe(false);
        expect(await r.files.has('f1')).toBe(false);
      });

      it('keeps sizes past 2^31 bytes', async () => {
        await r.files.insertProbing({
          fileId: 'big',
          apiKey: 'k',
          filename: null,
          filetype: null,
          title: null,
          size: 5_000_000_000,
        });
        expect((await r.files.get('big'))!.size).toBe(5_000_000_000);
      });

      it('runs a link ingest: downloading with progress and a lease, then probing, or rejected once', async () => {
        const download = (fileId: string) =>
          r.files.insertDownloading(
            { fileId, apiKey: 'key1', filename: 'a.mp4', filetype: null, title: 'a.mp4', size: 0 },
            60_000,
          );
        await download('d1');
        expect(await r.files.get('d1')).toMatchObject({
          status: 'downloading',
          size: 0,
          progress: { bytes: 0, total: null },
        });
        expect(await r.files.listProbing()).toEqual([]);
        expect(await r.files.updateDownload('d1', 6_000_000_000, 7_000_000_000, 60_000)).toBe(true);
        expect((await r.files.get('d1'))!.progress).toEqual({ bytes: 6_000_000_000, total: 7_000_000_000 });
        expect(await r.files.finishDownload('d1', 7_000_000_000)).toBe(true);
        expect(await r.files.get('d1')).toMatchObject({
          status: 'probing',
          size: 7_000_000_000,
          progress: { bytes: 7_000_000_000, total: 7_000_000_000 },
        });
        // Only a file still downloading moves on: the second call, or a deleted file, changes nothing.
        expect(await r.files.finishDownload('d1', 1)).toBe(false);
        expect(await r.files.updateDownload('d1', 1, null, 60_000)).toBe(false);
        expect(await r.files.rejectDownload('d1', 'download_failed', 'x')).toBe(false);
        expect(await r.files.updateDownload('gone', 1, null, 60_000)).toBe(false);

        await download('d2');
        expect(await r.files.rejectDownload('d2', 'download_stalled', 'nothing for 60 s')).toBe(true);
        expect(await r.files.get('d2')).toMatchObject({
          status: 'rejected',
          reason: { code: 'download_stalled', message: 'nothing for 60 s' },
        });
        // A tus upload's file has no progress.
        await addFile('t1');
        expect((await r.files.get('t1'))!.progress).toBeNull();
      });

      it('rejects the downloads whose lease ran out, once, from any node', async () => {
        const download = (fileId: string, leaseMs: number) =>
          r.files.insertDownloading(
            { fileId, apiKey: 'key1', filename: null, filetype: null, title: null, size: 0 },
            leaseMs,
          );
        await download('old', 1);
        await download('live', 3_600_000);
        await clockPast(Date.now() + 10);
        const other = await node();
        expect(await other.files.expireDownloads('download_interrupted', 'the node died')).toEqual(['old']);
        expect(await r.files.expireDownloads('download_interrupted', 'the node died')).toEqual([]);
        expect(await r.files.get('old')).toMatchObject({
          status: 'rejected',
          reason: { code: 'download_interrupted' },
        });
        expect((await r.files.get('live'))!.status).toBe('downloading');
        // A sole node at boot: every download left is its own dead one.
        expect(
          await r.files.expireDownloads('download_interrupted', 'restarted', Number.MAX_SAFE_INTEGER),
        ).toEqual(['live']);
      });
    });

    describe('jobs', () => {
      it('inserts within a per-key limit of active jobs, and holds it with three nodes inserting at once', async () => {
        const job = (n: number, apiKey = 'key1') => ({
          jobId: `lim${n}`,
          videoId: `limv${n}`,
          fileId: 'file1',
          apiKey,
          request: { fileId: 'file1' },
        });
        expect(await r.jobs.insertWithin(job(1), 2)).toMatchObject({ jobId: 'lim1', status: 'queued' });
        expect(await r.jobs.insertWithin(job(2), 2)).not.toBeNull();
        expect(await r.jobs.insertWithin(job(3), 2)).toBeNull();
        // Another key has a limit of its own; an ended job frees a place.
        expect(await r.jobs.insertWithin(job(4, 'key2'), 2)).not.toBeNull();
        await r.jobs.cancel('lim1', 'done');
        expect(await r.jobs.insertWithin(job(5), 2)).not.toBeNull();

        const nodes = [r, await node(), await node()];
        await Promise.all(
          nodes.map((n) => Promise.all([1, 2, 3].map(() => n.jobs.activeCountForKey('warm')))),
        );
        const results = await Promise.all(
          Array.from({ length: 24 }, (_, i) => nodes[i % 3]!.jobs.insertWithin(job(100 + i, 'key3'), 5)),
        );
        expect(results.filter(Boolean)).toHaveLength(5);
        expect(await r.jobs.activeCountForKey('key3')).toBe(5);
      });

      it('claims queued jobs oldest first, each exactly once, from scratch', async () => {
        const inserted = await addJob(1);
        expect(inserted).toMatchObject({
          status: 'queued',
          progress: 0,
          renditions: [],
          playable: false,
          protected: false,
          attempts: 0,
          leaseOwner: null,
          leaseUntil: null,
          encoderPid: null,
          outputDuration: null,
          downloads: [],
          startedAt: null,
          finishedAt: null,
          error: null,
        });
        expect(inserted.createdAt).toMatch(ISO);
        expect(await r.jobs.get('job1')).toEqual(inserted);
        expect(await r.jobs.getByVideo('video1')).toEqual(inserted);
        await addJob(2);
        const before = Date.now();
        const a = await r.jobs.claimNext('w1', 10_000);
        const b = await r.jobs.claimNext('w2', 10_000);
        expect([a?.jobId, b?.jobId]).toEqual(['job1', 'job2']);
        expect(a).toMatchObject({ status: 'processing', leaseOwner: 'w1', attempts: 1 });
        expect(a!.startedAt).toMatch(ISO);
        expect(a!.leaseUntil).toBeGreaterThanOrEqual(before + 10_000 - 1000);
        expect(a!.leaseUntil).toBeLessThanOrEqual(Date.now() + 10_000 + 1000);
        expect(await r.jobs.claimNext('w3', 10_000)).toBeUndefined();
        expect((await r.jobs.listProcessing()).map((j) => j.jobId)).toEqual(['job1', 'job2']);
      });

      it("claims fairly across keys: one key's long queue does not hold back another key's job", async () => {
        for (let i = 1; i <= 5; i++) await addJob(i, 'keyA');
        await addJob(6, 'keyB');
        const first = (await r.jobs.claimNext('w1', 10_000))!;
        expect(first.jobId).toBe('job1');
        await r.jobs.finish('job1', 'w1', 'completed');
        expect((await r.jobs.claimNext('w1', 10_000))!.jobId).toBe('job6');
        await r.jobs.finish('job6', 'w1', 'completed');
        expect((await r.jobs.claimNext('w1', 10_000))!.jobId).toBe('job2');
      });

      it('takes turns while jobs run: the key with fewer jobs processing goes first', async () => {
        for (let i = 1; i <= 3; i++) await addJob(i, 'keyA');
        await addJob(4, 'keyB');
        await addJob(5, 'keyB');
        await addJob(6, 'keyC');
        const order: string[] = [];
        for (let i = 0; i < 6; i++) order.push((await r.jobs.claimNext('w', 10_000))!.jobId);
        expect(order).toEqual(['job1', 'job4', 'job6', 'job2', 'job5', 'job3']);
      });

      it('lets only the lease owner renew, progress, record and finish a job', async () => {
        await addJob(1);
        await r.jobs.claimNext('w1', 10_000);
        expect(await r.jobs.renewLease('job1', 'w2', 10_000)).toBe(false);
        expect(await r.jobs.renewLease('job1', 'w1', 60_000)).toBe(true);
        expect((await r.jobs.get('job1'))!.leaseUntil).toBeGreaterThan(Date.now() + 30_000);
        await r.jobs.updateProgress('job1', 'w2', 50);
        expect((await r.jobs.get('job1'))!.progress).toBe(0);
        await r.jobs.updateProgress('job1', 'w1', 50.5);
        expect((await r.jobs.get('job1'))!.progress).toBe(50.5);

        await r.jobs.setEncoderPid('job1', 'w2', 4242);
        expect((await r.jobs.get('job1'))!.encoderPid).toBeNull();
        await r.jobs.setEncoderPid('job1', 'w1', 4242);
        await r.jobs.setOutputDuration('job1', 'w2', 99);
        await r.jobs.setOutputDuration('job1', 'w1', 12.5);
        const download = {
          name: '240' as const,
          format: 'mp4' as const,
          width: 426,
          height: 240,
          bytes: 10,
          url: 'downloads/240.mp4',
        };
        await r.jobs.setDownloads('job1', 'w2', [download, download]);
        await r.jobs.setDownloads('job1', 'w1', [download]);
        expect(await r.jobs.markPlayable('job1', 'w2', [rendition])).toBe(false);
        expect(await r.jobs.markPlayable('job1', 'w1', [rendition])).toBe(true);
        // Still listed with its pid once its owner is gone: the next boot kills that ffmpeg first.
        expect((await r.jobs.listProcessing())[0]).toMatchObject({
          encoderPid: 4242,
          outputDuration: 12.5,
          downloads: [download],
          playable: true,
          renditions: [rendition],
        });
        await r.jobs.setEncoderPid('job1', 'w1', null);
        expect((await r.jobs.get('job1'))!.encoderPid).toBeNull();

        expect(await r.jobs.finish('job1', 'w2', 'completed')).toBe(false);
        expect(await r.jobs.finish('job1', 'w1', 'completed')).toBe(true);
        const done = (await r.jobs.get('job1'))!;
        expect(done).toMatchObject({
          status: 'completed',
          progress: 100,
          leaseOwner: null,
          leaseUntil: null,
        });
        expect(done.finishedAt).toMatch(ISO);
        expect(await r.jobs.finish('job1', 'w1', 'completed')).toBe(false);
        // Nothing reaches an ended job.
        await r.jobs.updateProgress('job1', 'w1', 1);
        expect((await r.jobs.get('job1'))!.progress).toBe(100);
      });

      it('records a failure with its error and keeps the progress', async () => {
        await addJob(1);
        await r.jobs.claimNext('w1', 10_000);
        await r.jobs.updateProgress('job1', 'w1', 30);
        expect(await r.jobs.finish('job1', 'w1', 'failed', { code: 'encode_failed', message: 'boom' })).toBe(
          true,
        );
        expect(await r.jobs.get('job1')).toMatchObject({
          status: 'failed',
          progress: 30,
          error: { code: 'encode_failed', message: 'boom' },
        });
      });

      it('cancels queued and running jobs once; a cancelled job cannot be renewed, finished or claimed', async () => {
        await addJob(1);
        await addJob(2);
        await r.jobs.claimNext('w1', 10_000);
        expect(await r.jobs.cancel('job1', 'by request')).toBe(true);
        expect(await r.jobs.renewLease('job1', 'w1', 10_000)).toBe(false);
        expect(await r.jobs.finish('job1', 'w1', 'completed')).toBe(false);
        expect(await r.jobs.release('job1', 'w1')).toBe(false);
        expect(await r.jobs.cancel('job1', 'again')).toBe(false);
        const cancelled = (await r.jobs.get('job1'))!;
        expect(cancelled).toMatchObject({
          status: 'cancelled',
          leaseOwner: null,
          error: { code: 'cancelled', message: 'by request' },
        });
        expect(cancelled.finishedAt).toMatch(ISO);
        expect(await r.jobs.cancel('job2', 'queued')).toBe(true);
        expect(await r.jobs.claimNext('w1', 10_000)).toBeUndefined();
        expect(await r.jobs.requeueExpired(Date.now() + 60_000)).toEqual([]);
        expect(await r.jobs.cancel('nope', 'x')).toBe(false);
      });

      it('requeues expired leases and restarts the job from scratch on the next claim', async () => {
        await addJob(1);
        await r.jobs.claimNext('dead', 10_000);
        await r.jobs.updateProgress('job1', 'dead', 40);
        await r.jobs.markPlayable('job1', 'dead', [rendition]);
        expect(await r.jobs.requeueExpired(Date.now())).toEqual([]);
        const requeued = await r.jobs.requeueExpired(Date.now() + 20_000);
        expect(requeued.map((j) => j.jobId)).toEqual(['job1']);
        expect(requeued[0]).toMatchObject({
          status: 'queued',
          leaseOwner: null,
          leaseUntil: null,
          progress: 0,
        });
        const again = (await r.jobs.claimNext('w2', 10_000))!;
        expect(again).toMatchObject({
          leaseOwner: 'w2',
          attempts: 2,
          progress: 0,
          playable: false,
          renditions: [],
        });
      });

      it('requeues with the default clock once a lease has run out', async () => {
        await addJob(1);
        const claimed = (await r.jobs.claimNext('dead', 1))!;
        await clockPast(claimed.leaseUntil!);
        expect((await r.jobs.requeueExpired()).map((j) => j.jobId)).toEqual(['job1']);
      });

      it('releases a job back to the queue for its owner only', async () => {
        await addJob(1);
        await r.jobs.claimNext('w1', 10_000);
        await r.jobs.updateProgress('job1', 'w1', 10);
        expect(await r.jobs.release('job1', 'w2')).toBe(false);
        expect(await r.jobs.release('job1', 'w1')).toBe(true);
        expect(await r.jobs.get('job1')).toMatchObject({ status: 'queued', leaseOwner: null, progress: 0 });
        expect(await r.jobs.release('job1', 'w1')).toBe(false);
        expect((await r.jobs.claimNext('w2', 10_000))!.attempts).toBe(2);
      });

      it('lists a key’s jobs newest first with a total', async () => {
        for (let i = 1; i <= 5; i++) await addJob(i);
        await addJob(6, 'key2');
        const { rows, total } = await r.jobs.list('key1', 1, 2);
        expect(total).toBe(5);
        expect(rows.map((j) => j.jobId)).toEqual(['job5', 'job4']);
        expect((await r.jobs.list('key1', 3, 2)).rows.map((j) => j.jobId)).toEqual(['job1']);
        expect(await r.jobs.list('key9', 1, 2)).toEqual({ rows: [], total: 0 });
      });

      it('lists a key’s videos by title (own, else the file’s) and status, and sets titles', async () => {
        await r.files.insertProbing({
          fileId: 'fa',
          apiKey: 'key1',
          filename: 'a_100%.mp4',
          filetype: null,
          title: null,
          size: 1,
        });
        await r.files.insertProbing({
          fileId: 'fb',
          apiKey: 'key1',
          filename: 'b.mp4',
          filetype: null,
          title: 'Beach DAY',
          size: 1,
        });
        for (const [n, file] of [
          [1, 'fa'],
          [2, 'fb'],
          [3, 'fb'],
        ] as const) {
          await addJob(n, 'key1', file);
          await tick();
        }
        await addJob(4, 'key2', 'fb');
        await r.jobs.cancel('job2', 'x');
        const ids = async (q: string | null, status: JobRow['status'] | null, page = 1, perPage = 10) =>
          (await r.jobs.listVideos('key1', { q, status }, page, perPage)).rows.map((j) => j.videoId);
        expect(await ids(null, null)).toEqual(['video3', 'video2', 'video1']);
        expect(await ids('beach day', null)).toEqual(['video3', 'video2']);
        expect(await ids('100%', null)).toEqual(['video1']);
        expect(await ids('_', null)).toEqual(['video1']);
        expect(await ids('%', null)).toEqual(['video1']);
        expect(await ids(null, 'cancelled')).toEqual(['video2']);
        expect(await ids('beach', 'queued')).toEqual(['video3']);
        expect(await r.jobs.listVideos('key1', { q: null, status: null }, 2, 2)).toMatchObject({
          total: 3,
          rows: [{ videoId: 'video1' }],
        });
        expect(await r.jobs.setTitle('video1', 'Night')).toBe(true);
        expect((await r.jobs.getByVideo('video1'))!.title).toBe('Night');
        expect(await ids('night', null)).toEqual(['video1']);
        expect(await ids('100%', null)).toEqual([]);
        expect(await r.jobs.setTitle('video1', null)).toBe(true);
        expect((await r.jobs.getByVideo('video1'))!.title).toBeNull();
        expect(await r.jobs.setTitle('nope', 'x')).toBe(false);
      });

      it('answers and deletes per file and per key', async () => {
        await addJob(1, 'key1', 'fa');
        await addJob(2, 'key1', 'fa');
        await addJob(3, 'key1', 'fb');
        await addJob(4, 'key2', 'fc');
        await r.jobs.claimNext('w1', 10_000);
        await r.jobs.finish('job1', 'w1', 'failed', { code: 'encode_failed', message: 'x' });
        expect((await r.jobs.videoIdsForFile('fa')).sort()).toEqual(['video1', 'video2']);
        expect(await r.jobs.activeCountForFile('fa')).toBe(1);
        expect(await r.jobs.activeCountForKey('key1')).toBe(2);
        const later = new Date(Date.now() + 60_000).toISOString();
        expect((await r.jobs.activeIdsForKey('key1', later)).sort()).toEqual(['job2', 'job3']);
        expect(await r.jobs.activeIdsForKey('key1', '2000-01-01T00:00:00.000Z')).toEqual([]);
        await r.jobs.deleteForFile('fa');
        expect(await r.jobs.videoIdsForFile('fa')).toEqual([]);
        expect(await r.jobs.get('job3')).toBeDefined();
        expect(await r.jobs.activeCountForKey('key1')).toBe(1);
      });

      it('keeps the request, user data (keys in order) and webhook', async () => {
        const userData = { zeta: 1, alpha: { b: 2, a: [3, 'x'] } };
        const row = await r.jobs.insert({
          jobId: 'j',
          videoId: 'v',
          fileId: 'f',
          apiKey: 'k',
          request: { fileId: 'f', userData, webhookUrl: 'https://x.test/h', protected: true },
        });
        expect(row).toMatchObject({
          status: 'queued',
          userData,
          webhookUrl: 'https://x.test/h',
          protected: true,
          request: { fileId: 'f', userData },
        });
        const read = (await r.jobs.get('j'))!;
        expect(read).toEqual(row);
        expect(JSON.stringify(read.userData)).toBe(JSON.stringify(userData));
        expect(JSON.stringify(read.request)).toBe(
          JSON.stringify({ fileId: 'f', userData, webhookUrl: 'https://x.test/h', protected: true }),
        );
        await expect(
          r.jobs.insert({ jobId: 'j2', videoId: 'v', fileId: 'f', apiKey: 'k', request: { fileId: 'f' } }),
        ).rejects.toThrow();
      });

      it(`lets 4 concurrent claimers on separate nodes take ${claimJobs} jobs, each exactly once`, async () => {
        for (let i = 0; i < claimJobs; i++) await addJob(i, `key${i % 3}`);
        const nodes = [r, await node(), await node(), await node()];
        const started = performance.now();
        const claims = await Promise.all(
          nodes.map(async (n, k) => {
            const mine: JobRow[] = [];
            for (;;) {
              const job = await n.jobs.claimNext(`worker${k}`, 60_000);
              if (!job) return mine;
              mine.push(job);
            }
          }),
        );
        const ms = performance.now() - started;
        for (const [k, mine] of claims.entries()) {
          for (const j of mine)
            expect(j).toMatchObject({ status: 'processing', leaseOwner: `worker${k}`, attempts: 1 });
        }
        const all = claims.flat().map((j) => j.jobId);
        expect(all.length).toBe(claimJobs);
        expect(new Set(all).size).toBe(claimJobs);
        expect(await r.jobs.claimNext('late', 1000)).toBeUndefined();
        console.log(
          `repositories (${name}): 4 claimers took ${all.length} jobs, ${new Set(all).size} unique, ` +
            `per claimer [${claims.map((c) => c.length).join(', ')}], in ${ms.toFixed(0)} ms`,
        );
      });

      it('a worker that lost its lease to another node can neither renew nor finish the job', async () => {
        const b = await node();
        await addJob(1);
        await addJob(2);
        const lost = await r.jobs.claimNext('w1', 1);
        const kept = await r.jobs.claimNext('w3', 60_000);
        expect([lost?.jobId, kept?.jobId]).toEqual(['job1', 'job2']);
        const requeued = await b.jobs.requeueExpired(Date.now() + 10);
        expect(requeued.map((j) => j.jobId)).toEqual(['job1']);
        const again = await b.jobs.claimNext('w2', 60_000);
        expect(again).toMatchObject({ jobId: 'job1', leaseOwner: 'w2', attempts: 2 });
        expect(await r.jobs.renewLease('job1', 'w1', 60_000)).toBe(false);
        expect(await r.jobs.finish('job1', 'w1', 'completed')).toBe(false);
        expect(await b.jobs.renewLease('job1', 'w2', 60_000)).toBe(true);
        expect(await b.jobs.finish('job1', 'w2', 'completed')).toBe(true);
        expect(await b.jobs.claimNext('w2', 60_000)).toBeUndefined();
        expect(await b.jobs.requeueExpired()).toEqual([]);
      });
    });

    it('answers the hot reads (files.get, playback.access); their median latency is printed', async () => {
      for (let i = 0; i < 200; i++) {
        await r.files.insertProbing({
          fileId: `f${i}`,
          apiKey: `k${i % 5}`,
          filename: null,
          filetype: null,
          title: null,
          size: 1,
        });
        await addJob(i, `k${i % 5}`, `f${i}`);
      }
      await r.keys.insert('k1', 'secret', null);
      const timed = async (n: number, fn: (i: number) => Promise<unknown>) => {
        const samples: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          expect(await fn(i)).toBeDefined();
          samples.push(performance.now() - t);
        }
        return samples.sort((a, b) => a - b)[Math.floor(n / 2)]!;
      };
      await timed(50, (i) => r.files.get(`f${i}`)); // warm the connections and the statement caches
      const files = await timed(500, (i) => r.files.get(`f${i % 200}`));
      const access = await timed(500, (i) => r.playback.access(`video${i % 200}`));
      expect(await r.playback.access('video1')).toMatchObject({ apiKey: 'k1', keyOrigins: null });
      console.log(
        `repositories (${name}): files.get median ${files.toFixed(3)} ms, ` +
          `playback.access median ${access.toFixed(3)} ms (500 calls each, one node)`,
      );
    });

    describe('chunk tasks', () => {
      const key = (index: number, attempt = 1) => ({ jobId: 'job1', attempt, index });
      /** job1 claimed by `owner`, its chunks 0 (held by the owner) to `count - 1` queued. */
      const planned = async (count = 3, owner = 'own') => {
        await addJob(1);
        await r.jobs.claimNext(owner, 10_000);
        const tasks = Array.from({ length: count }, (_, index) => ({
          index,
          spec: { chunk: { index } },
          ownerRuns: index === 0,
        }));
        expect(await r.chunkTasks.plan('job1', 1, owner, 'video1', tasks, 10_000)).toBe(true);
      };

      it('queues a job’s chunks for its owner only; any worker claims each once, in order', async () => {
        await addJob(1);
        await r.jobs.claimNext('own', 10_000);
        const one = [{ index: 0, spec: {}, ownerRuns: true }];
        expect(await r.chunkTasks.plan('job1', 1, 'other', 'video1', one, 10_000)).toBe(false);
        expect(await r.chunkTasks.plan('job1', 2, 'own', 'video1', one, 10_000)).toBe(false);
        await r.jobs.release('job1', 'own');
        await r.jobs.claimNext('own', 10_000);
        const tasks = [0, 1, 2].map((index) => ({
          index,
          spec: { chunk: { index } },
          ownerRuns: index === 0,
        }));
        expect(await r.chunkTasks.plan('job1', 2, 'own', 'video1', tasks, 10_000)).toBe(true);
        const b = await node();
        const [x, y, z] = await Promise.all([
          r.chunkTasks.claim('w1', 10_000),
          b.chunkTasks.claim('w2', 10_000),
          b.chunkTasks.claim('w3', 10_000),
        ]);
        const claimed = [x, y, z].filter((t) => t !== undefined);
        expect(claimed.map((t) => t.index).sort()).toEqual([1, 2]);
        expect(claimed[0]).toMatchObject({ videoId: 'video1', attempt: 2, status: 'processing', tries: 1 });
        expect(claimed.find((t) => t.index === 2)!.spec).toEqual({ chunk: { index: 2 } });
        const list = await r.chunkTasks.list('job1', 2);
        expect(list.map((t) => [t.index, t.status, t.leaseOwner])).toEqual([
          [0, 'processing', 'own'],
          [1, 'processing', claimed.find((t) => t.index === 1)!.leaseOwner],
          [2, 'processing', claimed.find((t) => t.index === 2)!.leaseOwner],
        ]);
      });

      it('lets only the holder renew and complete; done records who encoded it', async () => {
        await planned();
        expect((await r.chunkTasks.claim('w1', 10_000, 'job1'))!.index).toBe(1);
        expect(await r.chunkTasks.claim('w1', 10_000, 'job9')).toBeUndefined();
        expect(await r.chunkTasks.renew(key(1), 'w2', 10_000)).toBe(false);
        expect(await r.chunkTasks.complete(key(1), 'w2')).toBe(false);
        expect(await r.chunkTasks.renew(key(1), 'w1', 10_000)).toBe(true);
        expect(await r.chunkTasks.complete(key(1), 'w1')).toBe(true);
        expect(await r.chunkTasks.complete(key(1), 'w1')).toBe(false);
        expect(await r.chunkTasks.complete(key(0), 'own')).toBe(true);
        const list = await r.chunkTasks.list('job1', 1);
        expect(list.map((t) => [t.status, t.doneBy, t.tries])).toEqual([
          ['done', 'own', 1],
          ['done', 'w1', 1],
          ['queued', null, 0],
        ]);
      });

      it('requeues only a dead worker’s chunk, and fails it past its tries', async () => {
        await planned();
        await r.chunkTasks.claim('dead', 10_000);
        await r.chunkTasks.claim('alive', 10_000);
        await r.chunkTasks.renew(key(2), 'alive', 60_000);
        await r.chunkTasks.renew(key(0), 'own', 60_000);
        expect(await r.chunkTasks.requeueExpired(2, Date.now())).toEqual([]);
        const back = await r.chunkTasks.requeueExpired(2, Date.now() + 20_000);
        expect(back.map((t) => [t.index, t.status])).toEqual([[1, 'queued']]);
        expect(await r.chunkTasks.claim('w3', 10_000)).toMatchObject({ index: 1, tries: 2 });
        const failed = await r.chunkTasks.requeueExpired(2, Date.now() + 20_000);
        expect(failed.map((t) => [t.index, t.status])).toEqual([[1, 'failed']]);
        expect(failed[0]!.error).toMatch(/stopped answering 2 times/);
        expect(await r.chunkTasks.claim('w3', 10_000)).toBeUndefined();
      });

      it('hands a chunk back: a shutdown returns its try, a failure counts until it fails', async () => {
        await planned();
        await r.chunkTasks.claim('w1', 10_000);
        await r.chunkTasks.giveBack(key(1), 'w1', null, 2);
        expect(await r.chunkTasks.claim('w1', 10_000)).toMatchObject({ index: 1, tries: 1 });
        await r.chunkTasks.giveBack(key(1), 'w1', 'boom', 2);
        expect(await r.chunkTasks.claim('w1', 10_000)).toMatchObject({ index: 1, tries: 2, error: 'boom' });
        await r.chunkTasks.giveBack(key(1), 'w1', 'boom again', 2);
        expect((await r.chunkTasks.list('job1', 1))[1]).toMatchObject({
          status: 'failed',
          error: 'boom again',
        });
      });

      it('stops every chunk of a cancelled job: no claim, no renewal; they go with the job', async () => {
        await planned();
        await r.chunkTasks.claim('w1', 10_000);
        expect(await r.jobs.cancel('job1', 'by request')).toBe(true);
        expect(await r.chunkTasks.renew(key(1), 'w1', 10_000)).toBe(false);
        expect(await r.chunkTasks.renew(key(0), 'own', 10_000)).toBe(false);
        expect(await r.chunkTasks.claim('w2', 10_000)).toBeUndefined();
        await r.jobs.deleteForFile('file1');
        expect(await r.chunkTasks.list('job1', 1)).toEqual([]);
      });
    });

    describe('keys', () => {
      it('inserts, lists, counts and revokes keys; the sandbox is the newest usable one', async () => {
        expect(await r.keys.count()).toBe(0);
        const a = await r.keys.insert('ka', 'secret-a', 'app');
        expect(a).toMatchObject({
          apiKey: 'ka',
          secret: 'secret-a',
          name: 'app',
          revokedAt: null,
          sandbox: false,
        });
        expect(a.createdAt).toMatch(ISO);
        expect(await r.keys.get('ka')).toEqual(a);
        await tick();
        await r.keys.insert('s1', 'secret-s1', null, true);
        await tick();
        await r.keys.insert('s2', 'secret-s2', 'demo', true);
        expect(await r.keys.count()).toBe(3);
        expect((await r.keys.list()).map((k) => k.apiKey)).toEqual(['ka', 's1', 's2']);
        expect((await r.keys.getSandbox())!.apiKey).toBe('s2');
        expect((await r.keys.sandboxApiKeys()).sort()).toEqual(['s1', 's2']);
        expect(await r.keys.revoke('s2')).toBe(true);
        expect(await r.keys.revoke('s2')).toBe(false);
        expect((await r.keys.get('s2'))!.revokedAt).toMatch(ISO);
        expect((await r.keys.getSandbox())!.apiKey).toBe('s1');
        expect(await r.keys.revoke('nope')).toBe(false);
        expect(await r.keys.get('nope')).toBeUndefined();
        await expect(r.keys.insert('ka', 'again', null)).rejects.toThrow();
      });

      it('records which key made a key, and lists them', async () => {
        await r.keys.insert('parent', 'p', null);
        await tick();
        const child = await r.keys.insert('child', 'c', 'app', false, 'parent');
        expect(child.createdBy).toBe('parent');
        expect((await r.keys.get('child'))!.createdBy).toBe('parent');
        expect((await r.keys.get('parent'))!.createdBy).toBeNull();
        expect((await r.keys.listCreatedBy('parent')).map((k) => k.apiKey)).toEqual(['child']);
        expect(await r.keys.listCreatedBy('child')).toEqual([]);
      });

      it('with a secret key, stores API and webhook secrets sealed and opens them on the way out', async () => {
        const key = randomBytes(32);
        await r.close();
        r = await db.open(key);
        await r.keys.insert('ka', 'plain-api-secret', 'app');
        await r.webhooks.insertEndpoint({
          endpointId: 'e1',
          apiKey: 'ka',
          url: 'https://x.test/e',
          events: ['file.ready'],
          secret: 'plain-endpoint-secret',
        });
        await r.webhooks.setSigningSecret('ka', 'plain-signing-secret');
        const stored = await db.storedSecrets();
        expect(stored).toHaveLength(3);
        for (const s of stored) {
          expect(s).toMatch(/^v1:/);
          expect(s).not.toContain('plain');
        }
        expect((await r.keys.get('ka'))!.secret).toBe('plain-api-secret');
        expect((await r.keys.list())[0]!.secret).toBe('plain-api-secret');
        expect((await r.webhooks.getEndpoint('e1'))!.secret).toBe('plain-endpoint-secret');
        expect((await r.webhooks.getSigningSecret('ka'))!.secret).toBe('plain-signing-secret');
        await r.webhooks.enqueue(
          { eventId: 'ev', apiKey: 'ka', type: 'file.ready', payload: payload('file.ready') },
          [
            { deliveryId: 'd1', endpointId: 'e1', url: 'https://x.test/e' },
            { deliveryId: 'd2', endpointId: null, url: 'https://x.test/job' },
          ],
        );
        expect((await r.webhooks.getDelivery('d1'))!.secret).toBe('plain-endpoint-secret');
        expect((await r.webhooks.getDelivery('d2'))!.secret).toBe('plain-signing-secret');

        // Another node, or a restart: without the key, or with another, the database is refused.
        await expect(db.open(null)).rejects.toBeInstanceOf(SecretKeyMissingError);
        await expect(db.open(randomBytes(32))).rejects.toBeInstanceOf(SecretKeyMissingError);
        const again = await node(key);
        expect((await again.keys.get('ka'))!.secret).toBe('plain-api-secret');
      });

      it('seals at start-up the secrets written before the key was set', async () => {
        await r.keys.insert('ka', 'plain-api-secret', 'app');
        await r.webhooks.insertEndpoint({
          endpointId: 'e1',
          apiKey: 'ka',
          url: 'https://x.test/e',
          events: ['file.ready', 'encoding.completed'],
          secret: 'plain-endpoint-secret',
        });
        await r.webhooks.setSigningSecret('ka', 'plain-signing-secret');
        expect((await db.storedSecrets()).sort()).toEqual(
          ['plain-api-secret', 'plain-endpoint-secret', 'plain-signing-secret'].sort(),
        );
        await r.close();
        const key = randomBytes(32);
        r = await db.open(key);
        for (const s of await db.storedSecrets()) {
          expect(s).toMatch(/^v1:/);
          expect(s).not.toContain('plain');
        }
        expect((await r.keys.get('ka'))!.secret).toBe('plain-api-secret');
        expect(await r.webhooks.getEndpoint('e1')).toMatchObject({
          secret: 'plain-endpoint-secret',
          events: ['file.ready', 'encoding.completed'],
        });
        expect((await r.webhooks.getSigningSecret('ka'))!.secret).toBe('plain-signing-secret');
        await expect(db.open(null)).rejects.toBeInstanceOf(SecretKeyMissingError);
      });

      it('does not open a sealed secret copied onto another key’s row', async () => {
        const key = randomBytes(32);
        await r.close();
        r = await db.open(key);
        await r.keys.insert('ka', 'secret-a', null);
        await r.keys.insert('kb', 'secret-b', null);
        await db.copyStoredApiSecret('ka', 'kb');
        await expect(r.keys.get('kb')).rejects.toThrow();
        expect((await r.keys.get('ka'))!.secret).toBe('secret-a');
        await expect(db.open(key)).rejects.toBeInstanceOf(SecretKeyMissingError);
      });

      it('without a secret key, stores secrets as given', async () => {
        await r.keys.insert('ka', 'plain-api-secret', null);
        expect(await db.storedSecrets()).toEqual(['plain-api-secret']);
        expect((await r.keys.get('ka'))!.secret).toBe('plain-api-secret');
      });
    });

    describe('playback', () => {
      it('answers the stream gate from the job row and the key, and records the settings', async () => {
        expect(await r.playback.access('video1')).toBeUndefined();
        await r.keys.insert('key1', 's', null);
        await r.jobs.insert({
          jobId: 'job1',
          videoId: 'video1',
          fileId: 'f',
          apiKey: 'key1',
          request: { fileId: 'f', protected: true },
        });
        await addJob(2, 'keyless');
        expect(await r.playback.access('video1')).toEqual({
          videoId: 'video1',
          apiKey: 'key1',
          protected: true,
          videoOrigins: null,
          keyOrigins: null,
        });
        await r.playback.setProtected('video1', false);
        await r.playback.setVideoOrigins('video1', ['https://b.test', 'https://a.test']);
        await r.playback.setKeyOrigins('key1', []);
        expect(await r.playback.access('video1')).toEqual({
          videoId: 'video1',
          apiKey: 'key1',
          protected: false,
          videoOrigins: ['https://b.test', 'https://a.test'],
          keyOrigins: [],
        });
        expect(await r.playback.keyOrigins('key1')).toEqual([]);
        await r.playback.setKeyOrigins('key1', null);
        await r.playback.setVideoOrigins('video1', null);
        expect(await r.playback.keyOrigins('key1')).toBeNull();
        expect(await r.playback.keyOrigins('nope')).toBeNull();
        expect(await r.playback.access('video1')).toMatchObject({ videoOrigins: null, keyOrigins: null });
        expect(await r.playback.access('video2')).toMatchObject({ apiKey: 'keyless', keyOrigins: null });
        expect((await r.jobs.get('job1'))!.protected).toBe(false);
      });
    });

    describe('chapters', () => {
      it('replaces the whole list, keeps its order, removes it with [] and with the job', async () => {
        expect(await r.chapters.get('video1')).toEqual([]);
        const list = [
          { start: 0, title: 'Intro' },
          { start: 1.5, title: 'Élan & <more>' },
        ];
        await r.chapters.set('video1', list);
        await r.chapters.set('video2', [{ start: 2, title: 'Other' }]);
        expect(await r.chapters.get('video1')).toEqual(list);
        await r.chapters.set('video1', [{ start: 0.25, title: 'Only' }]);
        expect(await r.chapters.get('video1')).toEqual([{ start: 0.25, title: 'Only' }]);
        await r.chapters.set('video1', []);
        expect(await r.chapters.get('video1')).toEqual([]);
        await addJob(1, 'key1', 'fa');
        await r.chapters.set('video1', list);
        await r.jobs.deleteForFile('fa');
        expect(await r.chapters.get('video1')).toEqual([]);
        expect(await r.chapters.get('video2')).toEqual([{ start: 2, title: 'Other' }]);
      });
    });

    describe('tracks', () => {
      const track = (n: number, isDefault = false, videoId = 'video1'): NewTrack => ({
        trackId: `t${n}`,
        videoId,
        apiKey: 'key1',
        language: 'en',
        label: `Track ${n}`,
        kind: n % 2 ? 'subtitles' : 'captions',
        default: isDefault,
        cueCount: n,
        bytes: 100 + n,
      });

      it('inserts up to the limit, keeps one default, lists oldest first and deletes', async () => {
        const t1 = (await r.tracks.insert(track(1, true), 3))!;
        expect(t1).toMatchObject({ ...track(1, true) });
        expect(t1.createdAt).toMatch(ISO);
        expect(await r.tracks.get('t1')).toEqual(t1);
        await tick();
        await r.tracks.insert(track(2), 3);
        await tick();
        await r.tracks.insert(track(3, true), 3);
        expect(await r.tracks.insert(track(4), 3)).toBeNull();
        expect(await r.tracks.insert(track(5, false, 'video2'), 3)).not.toBeNull();
        expect(await r.tracks.count('video1')).toBe(3);
        const list = await r.tracks.listForVideo('video1');
        expect(list.map((t) => [t.trackId, t.default])).toEqual([
          ['t1', false],
          ['t2', false],
          ['t3', true],
        ]);
        expect(list[1]).toMatchObject({ kind: 'captions', cueCount: 2, bytes: 102, label: 'Track 2' });
        // A new default takes over from the old one; unsetting leaves none.
        const defaults = async () =>
          (await r.tracks.listForVideo('video1')).filter((t) => t.default).map((t) => t.trackId);
        expect(await r.tracks.setDefault('video1', 't2', true)).toBe(true);
        expect(await defaults()).toEqual(['t2']);
        expect(await r.tracks.setDefault('video1', 't2', false)).toBe(true);
        expect(await defaults()).toEqual([]);
        expect(await r.tracks.setDefault('video2', 't3', true)).toBe(false);
        expect(await r.tracks.setDefault('video1', 't3', true)).toBe(true);
        expect(await defaults()).toEqual(['t3']);
        expect(await r.tracks.delete('t3')).toBe(true);
        expect(await r.tracks.delete('t3')).toBe(false);
        expect(await r.tracks.get('t3')).toBeUndefined();
        expect(await r.tracks.count('video1')).toBe(2);
      });

      it('goes with the job of its video', async () => {
        await addJob(1, 'key1', 'fa');
        await r.tracks.insert(track(1), 5);
        await r.jobs.deleteForFile('fa');
        expect(await r.tracks.listForVideo('video1')).toEqual([]);
      });

      it('holds the limit and the single default with three nodes inserting at once', async () => {
        const nodes = [r, await node(), await node()];
        await Promise.all(nodes.map((n) => Promise.all([1, 2, 3].map(() => n.tracks.count('warm')))));
        const results = await Promise.all(
          Array.from({ length: 24 }, (_, i) => nodes[i % 3]!.tracks.insert(track(i + 1, true), 4)),
        );
        expect(results.filter((t) => t !== null)).toHaveLength(4);
        const list = await r.tracks.listForVideo('video1');
        expect(list).toHaveLength(4);
        expect(list.filter((t) => t.default)).toHaveLength(1);
      });
    });

    describe('studio sessions', () => {
      it('answers unexpired sessions, takes a sign-in link once, deletes and sweeps', async () => {
        const at = Date.now();
        await r.studioSessions.insert({
          tokenHash: 'h1',
          kind: 'session',
          apiKey: 'k',
          expiresAt: at + 1000,
        });
        await r.studioSessions.insert({ tokenHash: 'h2', kind: 'login', apiKey: 'k', expiresAt: at + 1000 });
        await r.studioSessions.insert({ tokenHash: 'h3', kind: 'session', apiKey: 'k', expiresAt: at - 1 });
        const s1 = await r.studioSessions.get('h1', 'session', at);
        expect(s1).toMatchObject({ tokenHash: 'h1', kind: 'session', apiKey: 'k', expiresAt: at + 1000 });
        expect(s1!.createdAt).toMatch(ISO);
        expect(await r.studioSessions.get('h1', 'session', at + 1000)).toBeUndefined();
        expect(await r.studioSessions.get('h1', 'login', at)).toBeUndefined();
        expect(await r.studioSessions.get('h3', 'session', at)).toBeUndefined();
        // A link is taken once, even by two nodes at the same moment.
        const other = await node();
        const taken = await Promise.all([
          r.studioSessions.take('h2', 'login', at),
          other.studioSessions.take('h2', 'login', at),
        ]);
        expect(taken.filter(Boolean)).toHaveLength(1);
        expect(await r.studioSessions.take('h1', 'login', at)).toBeUndefined();
        expect(await r.studioSessions.delete('h1')).toBe(true);
        expect(await r.studioSessions.delete('h1')).toBe(false);
        expect(await r.studioSessions.sweep(at)).toBe(1);
        expect(await r.studioSessions.sweep(at)).toBe(0);
      });
    });

    describe('open uploads', () => {
      it('reserves within the count and byte limits, and frees on release', async () => {
        expect(await r.openUploads.reserve('u1', 'key1', 600, 2, 1000)).toBe(true);
        expect(await r.openUploads.reserve('u2', 'key1', 500, 2, 1000)).toBe(false);
        expect(await r.openUploads.reserve('u2', 'key1', 400, 2, 1000)).toBe(true);
        expect(await r.openUploads.reserve('u3', 'key1', 0, 2, 1000)).toBe(false);
        expect(await r.openUploads.reserve('u4', 'key2', 1000, 2, 1000)).toBe(true);
        expect(await r.openUploads.usage('key1')).toEqual({ count: 2, bytes: 1000 });
        expect(await r.openUploads.usage('none')).toEqual({ count: 0, bytes: 0 });
        expect((await r.openUploads.ids()).sort()).toEqual(['u1', 'u2', 'u4']);
        await r.openUploads.release('u1');
        await r.openUploads.release('u1');
        expect(await r.openUploads.usage('key1')).toEqual({ count: 1, bytes: 400 });
        expect(await r.openUploads.reserve('u5', 'key1', 6_000_000_000, 5, 10_000_000_000)).toBe(true);
        expect((await r.openUploads.usage('key1')).bytes).toBe(6_000_000_400);
      });

      it('holds the limits with three nodes reserving at once', async () => {
        const nodes = [r, await node(), await node()];
        // Connections opened beforehand, so the reservations really overlap.
        await Promise.all(nodes.map((n) => Promise.all([1, 2, 3].map(() => n.openUploads.usage('warm')))));
        const results = await Promise.all(
          Array.from({ length: 24 }, (_, i) =>
            nodes[i % 3]!.openUploads.reserve(`u${i}`, 'key1', 10, 5, 1000),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(5);
        expect(await r.openUploads.usage('key1')).toEqual({ count: 5, bytes: 50 });
      });
    });

    describe('webhooks', () => {
      const endpoint = (n: number, apiKey = 'key1') => ({
        endpointId: `e${n}`,
        apiKey,
        url: `https://x.test/e${n}`,
        events: ['encoding.completed', 'file.ready'] as ('encoding.completed' | 'file.ready')[],
        secret: `whsec_${n}`,
      });
      const enqueue = (id: string, deliveries: { id: string; endpointId: string | null }[], atMs?: number) =>
        r.webhooks.enqueue(
          { eventId: id, apiKey: 'key1', type: 'file.ready', payload: payload('file.ready') },
          deliveries.map((d) => ({
            deliveryId: d.id,
            endpointId: d.endpointId,
            url: `https://x.test/${d.id}`,
          })),
          atMs,
        );

      it('keeps endpoints oldest first, paged, counted, and deletes one with its deliveries', async () => {
        for (let i = 1; i <= 3; i++) {
          const e = await r.webhooks.insertEndpoint(endpoint(i));
          expect(e).toMatchObject(endpoint(i));
          expect(e.createdAt).toMatch(ISO);
        }
        await r.webhooks.insertEndpoint(endpoint(9, 'key2'));
        expect(await r.webhooks.getEndpoint('e1')).toMatchObject(endpoint(1));
        expect(await r.webhooks.countEndpoints('key1')).toBe(3);
        const page = await r.webhooks.listEndpoints('key1', 2, 2);
        expect(page.total).toBe(3);
        expect(page.rows.map((e) => e.endpointId)).toEqual(['e3']);
        expect((await r.webhooks.listEndpoints('key1')).rows.map((e) => e.endpointId)).toEqual([
          'e1',
          'e2',
          'e3',
        ]);

        await enqueue('ev1', [
          { id: 'd1', endpointId: 'e1' },
          { id: 'd2', endpointId: 'e2' },
        ]);
        expect(await r.webhooks.deleteEndpoint('e1')).toBe(true);
        expect(await r.webhooks.deleteEndpoint('e1')).toBe(false);
        expect(await r.webhooks.getEndpoint('e1')).toBeUndefined();
        expect(await r.webhooks.getDelivery('d1')).toBeUndefined();
        expect(await r.webhooks.getDelivery('d2')).toBeDefined();
      });

      it('creates and replaces the signing secret', async () => {
        expect(await r.webhooks.getSigningSecret('key1')).toBeUndefined();
        const first = await r.webhooks.setSigningSecret('key1', 'one');
        expect(first.createdAt).toMatch(ISO);
        expect(await r.webhooks.getSigningSecret('key1')).toEqual(first);
        await tick();
        const second = await r.webhooks.setSigningSecret('key1', 'two');
        expect(await r.webhooks.getSigningSecret('key1')).toEqual(second);
        expect(second.createdAt > first.createdAt).toBe(true);
      });

      it('writes an event with its deliveries, pending and due at once', async () => {
        await r.webhooks.insertEndpoint(endpoint(1));
        await r.webhooks.setSigningSecret('key1', 'signing');
        await enqueue('empty', []);
        expect(await r.webhooks.nextDueAt()).toBeNull();
        const at = Date.now();
        await enqueue(
          'ev1',
          [
            { id: 'd1', endpointId: 'e1' },
            { id: 'd2', endpointId: null },
          ],
          at,
        );
        expect(await r.webhooks.nextDueAt()).toBe(at);
        const d1 = (await r.webhooks.getDelivery('d1'))!;
        expect(d1).toMatchObject({
          deliveryId: 'd1',
          eventId: 'ev1',
          apiKey: 'key1',
          endpointId: 'e1',
          url: 'https://x.test/d1',
          eventType: 'file.ready',
          payload: JSON.stringify(payload('file.ready')),
          status: 'pending',
          attempts: 0,
          step: 0,
          nextAt: at,
          lastAttemptAt: null,
          responseStatus: null,
          lastError: null,
          deliveredAt: null,
          secret: 'whsec_1',
        });
        expect(d1.createdAt).toMatch(ISO);
        expect(await r.webhooks.getDelivery('d2')).toMatchObject({ endpointId: null, secret: 'signing' });
        // The event was written once: a second enqueue of it fails whole.
        await expect(enqueue('ev1', [{ id: 'd3', endpointId: null }])).rejects.toThrow();
        expect(await r.webhooks.getDelivery('d3')).toBeUndefined();
      });

      it('has no secret for a job delivery of a key without a signing secret', async () => {
        await enqueue('ev1', [{ id: 'd1', endpointId: null }]);
        expect((await r.webhooks.getDelivery('d1'))!.secret).toBeNull();
      });

      it('claims due deliveries with a lease, and again once a dead sender’s lease ran out', async () => {
        const t = Date.now();
        await enqueue('ev1', [{ id: 'd1', endpointId: null }], t - 2000);
        await enqueue('ev2', [{ id: 'd2', endpointId: null }], t - 1000);
        await enqueue('ev3', [{ id: 'd3', endpointId: null }], t + 60_000);
        expect(await r.webhooks.claimDue(t - 5000, t + 30_000, 10)).toEqual([]);
        const first = await r.webhooks.claimDue(t, t + 30_000, 1);
        expect(first.map((d) => [d.deliveryId, d.status])).toEqual([['d1', 'delivering']]);
        expect((await r.webhooks.claimDue(t, t + 30_000, 10)).map((d) => d.deliveryId)).toEqual(['d2']);
        expect(await r.webhooks.claimDue(t + 1000, t + 30_000, 10)).toEqual([]);
        // The sender died: its lease runs out and the delivery is claimed again, not lost.
        const reclaimed = await r.webhooks.claimDue(t + 31_000, t + 90_000, 10);
        expect(reclaimed.map((d) => d.deliveryId).sort()).toEqual(['d1', 'd2']);
        expect(await r.webhooks.nextDueAt()).toBe(t + 60_000);
      });

      it('records success, retries a failure, and fails for good with no next time', async () => {
        await enqueue('ev1', [
          { id: 'd1', endpointId: null },
          { id: 'd2', endpointId: null },
        ]);
        await r.webhooks.claimDue(Date.now(), Date.now() + 30_000, 10);
        await r.webhooks.recordSuccess('d1', 204);
        const ok = (await r.webhooks.getDelivery('d1'))!;
        expect(ok).toMatchObject({
          status: 'succeeded',
          attempts: 1,
          responseStatus: 204,
          nextAt: null,
          lastError: null,
        });
        expect(ok.deliveredAt).toMatch(ISO);
        expect(ok.lastAttemptAt).toBe(ok.deliveredAt);

        const next = Date.now() + 5000;
        await r.webhooks.recordFailure('d2', { responseStatus: 500, error: 'x'.repeat(800), nextAtMs: next });
        const retry = (await r.webhooks.getDelivery('d2'))!;
        expect(retry).toMatchObject({
          status: 'pending',
          attempts: 1,
          step: 1,
          nextAt: next,
          responseStatus: 500,
        });
        expect(retry.lastError).toHaveLength(500);
        expect(retry.lastAttemptAt).toMatch(ISO);
        expect(await r.webhooks.claimDue(Date.now(), Date.now() + 30_000, 10)).toEqual([]);
        await r.webhooks.claimDue(next, next + 30_000, 10);
        await r.webhooks.recordFailure('d2', { responseStatus: null, error: 'refused', nextAtMs: null });
        expect(await r.webhooks.getDelivery('d2')).toMatchObject({
          status: 'failed',
          attempts: 2,
          step: 2,
          nextAt: null,
          responseStatus: null,
          lastError: 'refused',
        });
        expect(await r.webhooks.nextDueAt()).toBeNull();
      });

      it('releases an abandoned attempt, and replays only what is not in flight', async () => {
        await enqueue('ev1', [{ id: 'd1', endpointId: null }], Date.now() - 1000);
        await r.webhooks.claimDue(Date.now(), Date.now() + 30_000, 10);
        expect(await r.webhooks.requeue('d1')).toBe(false);
        await r.webhooks.release('d1');
        expect(await r.webhooks.getDelivery('d1')).toMatchObject({ status: 'pending', attempts: 0 });
        await r.webhooks.release('d1'); // not delivering: nothing changes
        await r.webhooks.claimDue(Date.now(), Date.now() + 30_000, 10);
        await r.webhooks.recordFailure('d1', { responseStatus: 500, error: 'e', nextAtMs: null });
        const before = Date.now();
        expect(await r.webhooks.requeue('d1')).toBe(true);
        const replayed = (await r.webhooks.getDelivery('d1'))!;
        expect(replayed).toMatchObject({ status: 'pending', step: 0, attempts: 1 });
        expect(replayed.nextAt).toBeGreaterThanOrEqual(before - 1000);
        expect(replayed.nextAt).toBeLessThanOrEqual(Date.now() + 1000);
        expect(await r.webhooks.requeue('nope')).toBe(false);
      });

      it('lists an endpoint’s deliveries and a key’s job deliveries newest first, with totals', async () => {
        await r.webhooks.insertEndpoint(endpoint(1));
        for (let i = 1; i <= 3; i++) {
          await enqueue(`ev${i}`, [
            { id: `e${i}`, endpointId: 'e1' },
            { id: `j${i}`, endpointId: null },
          ]);
          await tick();
        }
        await r.webhooks.enqueue(
          { eventId: 'other', apiKey: 'key2', type: 'file.ready', payload: payload('file.ready') },
          [{ deliveryId: 'o1', endpointId: null, url: 'https://x.test/o' }],
        );
        const ends = await r.webhooks.listDeliveries('e1', 1, 2);
        expect(ends.total).toBe(3);
        expect(ends.rows.map((d) => d.deliveryId)).toEqual(['e3', 'e2']);
        const jobs = await r.webhooks.listJobDeliveries('key1', 2, 2);
        expect(jobs.total).toBe(3);
        expect(jobs.rows.map((d) => d.deliveryId)).toEqual(['j1']);
        expect((await r.webhooks.listJobDeliveries('key2', 1, 10)).rows.map((d) => d.deliveryId)).toEqual([
          'o1',
        ]);
      });

      it('sweeps old events whose every delivery has ended', async () => {
        await enqueue('done', [
          { id: 'd1', endpointId: null },
          { id: 'd2', endpointId: null },
        ]);
        await enqueue('open', [{ id: 'd3', endpointId: null }], Date.now() + 60_000);
        await r.webhooks.claimDue(Date.now(), Date.now() + 30_000, 10);
        await r.webhooks.recordSuccess('d1', 200);
        expect(await r.webhooks.sweep(new Date(Date.now() + 1000).toISOString())).toBe(0);
        await r.webhooks.recordFailure('d2', { responseStatus: 410, error: 'gone', nextAtMs: null });
        expect(await r.webhooks.sweep('2000-01-01T00:00:00.000Z')).toBe(0);
        expect(await r.webhooks.sweep(new Date(Date.now() + 1000).toISOString())).toBe(1);
        expect(await r.webhooks.getDelivery('d1')).toBeUndefined();
        expect(await r.webhooks.getDelivery('d3')).toBeDefined();
      });

      it('never hands one delivery to two dispatchers claiming at once', async () => {
        const nodes = [r, await node(), await node()];
        const ids = Array.from({ length: 60 }, (_, i) => ({ id: `d${i}`, endpointId: null }));
        await enqueue('ev', ids, Date.now() - 1000);
        const claimed = await Promise.all(
          nodes.map(async (n) => {
            const mine: string[] = [];
            for (;;) {
              const got = await n.webhooks.claimDue(Date.now(), Date.now() + 60_000, 4);
              if (got.length === 0) return mine;
              mine.push(...got.map((d) => d.deliveryId));
            }
          }),
        );
        const all = claimed.flat();
        expect(all).toHaveLength(60);
        expect(new Set(all).size).toBe(60);
      });
    });
  });
}

const payload = (type: 'file.ready') => ({
  type,
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { fileId: 'f1', b: 1, a: 2 },
});
