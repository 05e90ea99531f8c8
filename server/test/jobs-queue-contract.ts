import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FinalStatus, JobRow, NewJob } from '../src/db/jobs.ts';

type Awaitable<T> = T | Promise<T>;

/** The queue operations workers use, sync (SQLite `JobsRepo`) or async (`PgJobsQueue`). */
export interface JobsQueue {
  insert(job: NewJob): Awaitable<JobRow>;
  claimNext(owner: string, leaseMs: number): Awaitable<JobRow | undefined>;
  renewLease(jobId: string, owner: string, leaseMs: number): Awaitable<boolean>;
  requeueExpired(atMs?: number): Awaitable<JobRow[]>;
  finish(jobId: string, owner: string, status: FinalStatus): Awaitable<boolean>;
}

export interface QueueUnderTest {
  /** One handle per worker: each claims through its own connection where the engine has several. */
  workers: JobsQueue[];
  close(): Promise<void>;
}

/**
 * One behaviour for the encoding queue on every engine: run against SQLite by
 * src/db/jobs-queue.test.ts and against PostgreSQL by scale/pg-jobs.test.ts.
 */
export function jobsQueueContract(name: string, open: () => Promise<QueueUnderTest>, jobs = 400): void {
  describe(`jobs queue contract: ${name}`, () => {
    let q: QueueUnderTest;
    beforeEach(async () => {
      q = await open();
    });
    afterEach(async () => {
      await q.close();
    });
    const add = (q: JobsQueue, n: number) =>
      q.insert({
        jobId: `job${n}`,
        videoId: `video${n}`,
        fileId: 'file1',
        apiKey: 'key1',
        request: { fileId: 'file1' },
      });

    it(`lets ${4} concurrent claimers take ${jobs} jobs, each exactly once`, async () => {
      const [first] = q.workers;
      for (let i = 0; i < jobs; i++) await add(first!, i);
      const started = performance.now();
      const claims = await Promise.all(
        q.workers.slice(0, 4).map(async (w, k) => {
          const mine: JobRow[] = [];
          for (;;) {
            const job = await w.claimNext(`worker${k}`, 60_000);
            if (!job) return mine;
            expect(job).toMatchObject({ status: 'processing', leaseOwner: `worker${k}`, attempts: 1 });
            mine.push(job);
          }
        }),
      );
      const ms = performance.now() - started;
      const all = claims.flat().map((j) => j.jobId);
      expect(all.length).toBe(jobs);
      expect(new Set(all).size).toBe(jobs);
      console.log(
        `jobs queue (${name}): 4 claimers took ${all.length} jobs, ${new Set(all).size} unique, ` +
          `per claimer [${claims.map((c) => c.length).join(', ')}], in ${ms.toFixed(0)} ms`,
      );
    });

    it('requeues a job whose lease ran out; its old worker can neither renew nor finish it', async () => {
      const [a, b] = [q.workers[0]!, q.workers[1] ?? q.workers[0]!];
      await add(a, 1);
      await add(a, 2);
      const lost = await a.claimNext('w1', 1);
      const kept = await a.claimNext('w3', 60_000);
      expect([lost?.jobId, kept?.jobId]).toEqual(['job1', 'job2']);
      const requeued = await b.requeueExpired(Date.now() + 10);
      expect(requeued.map((j) => j.jobId)).toEqual(['job1']);
      expect(requeued[0]).toMatchObject({ status: 'queued', leaseOwner: null });

      const again = await b.claimNext('w2', 60_000);
      expect(again).toMatchObject({ jobId: 'job1', leaseOwner: 'w2', attempts: 2 });
      expect(await a.renewLease('job1', 'w1', 60_000)).toBe(false);
      expect(await a.finish('job1', 'w1', 'completed')).toBe(false);
      expect(await b.renewLease('job1', 'w2', 60_000)).toBe(true);
      expect(await b.finish('job1', 'w2', 'completed')).toBe(true);
      expect(await b.claimNext('w2', 60_000)).toBeUndefined();
      expect(await b.requeueExpired()).toEqual([]);
    });
  });
}
