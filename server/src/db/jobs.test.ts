import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { type Db, openDatabase } from './database.ts';
import { JobsRepo } from './jobs.ts';

let dir: string;
let db: Db;
let jobs: JobsRepo;

beforeEach(async () => {
  dir = tempDir('vodkit-jobsrepo-');
  db = openDatabase(dir);
  jobs = new JobsRepo(db);
});
afterEach(async () => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const add = (n: number, apiKey = 'key1', fileId = 'file1') =>
  jobs.insert({ jobId: `job${n}`, videoId: `video${n}`, fileId, apiKey, request: { fileId } });

describe('JobsRepo', () => {
  it('claims queued jobs oldest first, each exactly once', async () => {
    await add(1);
    await add(2);
    const a = await jobs.claimNext('w1', 10_000);
    const b = await jobs.claimNext('w2', 10_000);
    expect([a?.jobId, b?.jobId]).toEqual(['job1', 'job2']);
    expect(a).toMatchObject({ status: 'processing', leaseOwner: 'w1', attempts: 1 });
    expect(a!.startedAt).not.toBeNull();
    expect(await jobs.claimNext('w3', 10_000)).toBeUndefined();
  });

  it('records the encoder pid, the real duration and the downloads for the lease owner only', async () => {
    await add(1);
    await jobs.claimNext('w1', 10_000);
    await jobs.setEncoderPid('job1', 'w2', 4242);
    expect((await jobs.get('job1'))!.encoderPid).toBeNull();
    await jobs.setEncoderPid('job1', 'w1', 4242);
    await jobs.setOutputDuration('job1', 'w1', 12.5);
    const download = {
      name: '240' as const,
      format: 'mp4' as const,
      width: 426,
      height: 240,
      bytes: 10,
      url: 'downloads/240.mp4',
    };
    await jobs.setDownloads('job1', 'w1', [download]);
    // Still listed with its pid once its owner is gone: the next boot kills that ffmpeg before requeueing.
    expect((await jobs.listProcessing())[0]).toMatchObject({
      encoderPid: 4242,
      outputDuration: 12.5,
      downloads: [download],
    });
    await jobs.setEncoderPid('job1', 'w1', null);
    expect((await jobs.get('job1'))!.encoderPid).toBeNull();
  });

  it('lets only the lease owner renew, progress and finish a job', async () => {
    await add(1);
    await jobs.claimNext('w1', 10_000);
    expect(await jobs.renewLease('job1', 'w2', 10_000)).toBe(false);
    expect(await jobs.renewLease('job1', 'w1', 10_000)).toBe(true);
    await jobs.updateProgress('job1', 'w2', 50);
    expect((await jobs.get('job1'))!.progress).toBe(0);
    await jobs.updateProgress('job1', 'w1', 50);
    expect((await jobs.get('job1'))!.progress).toBe(50);
    expect(await jobs.finish('job1', 'w2', 'completed')).toBe(false);
    expect(await jobs.finish('job1', 'w1', 'completed')).toBe(true);
    expect(await jobs.get('job1')).toMatchObject({ status: 'completed', progress: 100, leaseOwner: null });
    expect((await jobs.get('job1'))!.finishedAt).not.toBeNull();
  });

  it('a cancelled job cannot be renewed, finished or cancelled again', async () => {
    await add(1);
    await jobs.claimNext('w1', 10_000);
    expect(await jobs.cancel('job1', 'by request')).toBe(true);
    expect(await jobs.renewLease('job1', 'w1', 10_000)).toBe(false);
    expect(await jobs.finish('job1', 'w1', 'completed')).toBe(false);
    expect(await jobs.cancel('job1', 'again')).toBe(false);
    expect(await jobs.get('job1')).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'by request' },
    });
  });

  it('requeues expired leases and restarts the job from scratch on the next claim', async () => {
    await add(1);
    await jobs.claimNext('dead', 10_000);
    await jobs.updateProgress('job1', 'dead', 40);
    await jobs.markPlayable('job1', 'dead', [
      { name: '240', width: 426, height: 240, maxBitrate: 1, playlist: 'x' },
    ]);
    expect(await jobs.requeueExpired(Date.now())).toEqual([]);
    const requeued = await jobs.requeueExpired(Date.now() + 20_000);
    expect(requeued.map((j) => j.jobId)).toEqual(['job1']);
    const again = (await jobs.claimNext('w2', 10_000))!;
    expect(again).toMatchObject({
      leaseOwner: 'w2',
      attempts: 2,
      progress: 0,
      playable: false,
      renditions: [],
    });
  });

  it('releases a job back to the queue for its owner only', async () => {
    await add(1);
    await jobs.claimNext('w1', 10_000);
    expect(await jobs.release('job1', 'w2')).toBe(false);
    expect(await jobs.release('job1', 'w1')).toBe(true);
    expect(await jobs.get('job1')).toMatchObject({ status: 'queued', leaseOwner: null });
  });

  it('lists a key’s jobs newest first with a total', async () => {
    for (let i = 1; i <= 5; i++) await add(i);
    await add(6, 'key2');
    const { rows, total } = await jobs.list('key1', 1, 2);
    expect(total).toBe(5);
    expect(rows.map((r) => r.jobId)).toEqual(['job5', 'job4']);
    expect((await jobs.list('key1', 3, 2)).rows.map((r) => r.jobId)).toEqual(['job1']);
  });

  it('answers and deletes per file', async () => {
    await add(1, 'key1', 'fa');
    await add(2, 'key1', 'fa');
    await add(3, 'key1', 'fb');
    await jobs.claimNext('w1', 10_000);
    await jobs.finish('job1', 'w1', 'failed', { code: 'encode_failed', message: 'x' });
    expect((await jobs.videoIdsForFile('fa')).sort()).toEqual(['video1', 'video2']);
    expect(await jobs.activeCountForFile('fa')).toBe(1);
    await jobs.deleteForFile('fa');
    expect(await jobs.videoIdsForFile('fa')).toEqual([]);
    expect(await jobs.get('job3')).toBeDefined();
  });

  it('keeps the request, user data and webhook', async () => {
    const row = await jobs.insert({
      jobId: 'j',
      videoId: 'v',
      fileId: 'f',
      apiKey: 'k',
      request: { fileId: 'f', userData: { a: 1 }, webhookUrl: 'https://x.test/h', protected: true },
    });
    expect(row).toMatchObject({
      status: 'queued',
      userData: { a: 1 },
      webhookUrl: 'https://x.test/h',
      protected: true,
      request: { fileId: 'f', userData: { a: 1 } },
    });
  });

  it("claims fairly across keys: one key's long queue does not hold back another key's job", async () => {
    for (let i = 1; i <= 5; i++) await add(i, 'keyA');
    await add(6, 'keyB');
    // keyA's oldest goes first (nobody ran yet, it is the oldest)…
    const first = (await jobs.claimNext('w1', 10_000))!;
    expect(first.jobId).toBe('job1');
    await jobs.finish('job1', 'w1', 'completed');
    // …and keyB's only job next, ahead of keyA's four older ones.
    expect((await jobs.claimNext('w1', 10_000))!.jobId).toBe('job6');
    await jobs.finish('job6', 'w1', 'completed');
    expect((await jobs.claimNext('w1', 10_000))!.jobId).toBe('job2');
  });

  it('takes turns while jobs run: the key with fewer jobs processing goes first', async () => {
    for (let i = 1; i <= 3; i++) await add(i, 'keyA');
    await add(4, 'keyB');
    await add(5, 'keyB');
    await add(6, 'keyC');
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push((await jobs.claimNext('w', 10_000))!.jobId);
    expect(order).toEqual(['job1', 'job4', 'job6', 'job2', 'job5', 'job3']);
  });
});
