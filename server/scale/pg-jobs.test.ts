import crypto from 'node:crypto';
import pg from 'pg';
import { expect, inject, it } from 'vitest';
import { JOBS_CHANNEL, JobWaker, PgJobsRepository } from '../src/db/pg/jobs.ts';
import { migratePg } from '../src/db/pg/migrations.ts';

const { databaseUrl } = inject('scaleEnv');

/** A fresh schema per test, so runs never see each other's rows; `pools` are the workers' connections. */
async function openSchema(workers: number) {
  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools = Array.from(
    { length: workers },
    () => new pg.Pool({ connectionString: databaseUrl, max: 1, options: `-c search_path=${schema}` }),
  );
  await migratePg(pools[0]!);
  await migratePg(pools[1] ?? pools[0]!); // a second node starting finds the schema current
  return {
    pools,
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * Everything announced on the jobs channel, in order, heard by a LISTEN connection of the test's own.
 * `quietUntilMarker` sends a NOTIFY of its own and waits for it: NOTIFYs arrive in commit order, so
 * what was announced before the marker has arrived by then, and "nothing was announced" is a fact
 * rather than a wait that happened to be quiet.
 */
async function channelLog(pool: pg.Pool) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const heard: string[] = [];
  const waiters: (() => void)[] = [];
  client.on('notification', (n) => {
    heard.push(n.payload ?? '');
    for (const w of waiters.splice(0)) w();
  });
  await client.query(`LISTEN ${JOBS_CHANNEL}`);
  const until = async (payload: string) => {
    const deadline = Date.now() + 10_000;
    while (!heard.includes(payload)) {
      if (Date.now() > deadline) throw new Error(`never heard ${payload} (heard ${heard.join(', ')})`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  };
  let marks = 0;
  return {
    heard,
    until,
    /** Payloads heard since `from` (an index of `heard`), up to a marker sent now. */
    async since(from: number): Promise<string[]> {
      const marker = `marker-${++marks}`;
      await pool.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, marker]);
      await until(marker);
      return heard.slice(from, heard.indexOf(marker));
    },
    close: () => client.end(),
  };
}

// The queue's contract (claim order, leases, concurrent claimers) is in test/repositories-contract.ts,
// run on PostgreSQL by pg-repositories.test.ts; here is what only PostgreSQL has: waking workers.

it('wakes a listening worker with NOTIFY when a job is queued (pick-up latency printed)', async () => {
  const { pools, close } = await openSchema(2);
  const [api, worker] = [new PgJobsRepository(pools[0]!), new PgJobsRepository(pools[1]!)];
  const waker = new JobWaker(databaseUrl);
  await waker.ready();
  const channel = await channelLog(pools[0]!);
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const woken = waker.next(10_000);
    const inserted = api.insert({
      jobId: `j${i}`,
      videoId: `v${i}`,
      fileId: 'f',
      apiKey: 'k',
      request: { fileId: 'f' },
    });
    await inserted;
    const t = performance.now();
    expect(await woken).toBe('notified');
    const job = await worker.claimNext('w', 60_000);
    samples.push(performance.now() - t);
    expect(job?.jobId).toBe(`j${i}`);
  }
  // Each insert announced itself once, and nothing else was announced.
  expect(await channel.since(0)).toEqual(Array.from({ length: 50 }, (_, i) => `j${i}`));
  await channel.close();
  samples.sort((a, b) => a - b);
  console.log(
    `scale: worker woken by NOTIFY and holding the job: median ${samples[25]!.toFixed(2)} ms after the insert committed (50 jobs)`,
  );
  await waker.close();
  await close();
});

it('wakes waiting workers when its LISTEN connection comes back, then hears NOTIFY again', async () => {
  const { pools, close } = await openSchema(1);
  const api = new PgJobsRepository(pools[0]!);
  const waker = new JobWaker(databaseUrl);
  await waker.ready();
  const woken = waker.next(30_000);
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'vodkit-worker-wake'",
  );
  await admin.end();
  // Jobs queued while it was deaf were announced to nobody: the reconnect itself wakes the worker.
  expect(await woken).toBe('notified');
  const next = waker.next(30_000);
  await api.insert({ jobId: 'after', videoId: 'after', fileId: 'f', apiKey: 'k', request: { fileId: 'f' } });
  expect(await next).toBe('notified');
  await waker.close();
  await close();
});

it('wakes a worker when a job goes back to the queue (released, or its lease ran out)', async () => {
  const { pools, close } = await openSchema(1);
  const jobs = new PgJobsRepository(pools[0]!);
  await jobs.insert({ jobId: 'a', videoId: 'a', fileId: 'f', apiKey: 'k', request: { fileId: 'f' } });
  await jobs.insert({ jobId: 'b', videoId: 'b', fileId: 'f', apiKey: 'k', request: { fileId: 'f' } });
  const claimedAt = Date.now();
  await jobs.claimNext('w1', 60_000);
  await jobs.claimNext('w2', 1);
  // Listening starts after the inserts committed: their NOTIFYs went to nobody, so what is heard
  // below is the release and the requeue alone.
  const waker = new JobWaker(databaseUrl);
  await waker.ready();
  const channel = await channelLog(pools[0]!);
  const released = waker.next(10_000);
  expect(await jobs.release('a', 'w1')).toBe(true);
  expect(await released).toBe('notified');
  const requeued = waker.next(10_000);
  // b's lease (1 ms) has run out at a clock a minute on; a's was released already.
  expect((await jobs.requeueExpired(claimedAt + 60_000)).map((j) => j.jobId)).toEqual(['b']);
  expect(await requeued).toBe('notified');
  expect(await channel.since(0)).toEqual(['a', 'b']);
  // A release that changes nothing announces nothing.
  const before = channel.heard.length;
  expect(await jobs.release('a', 'w1')).toBe(false);
  expect(await channel.since(before)).toEqual([]);
  await channel.close();
  await waker.close();
  await close();
});
