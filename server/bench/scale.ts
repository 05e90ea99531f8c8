/*
 * `BENCH_ONLY=scale`: the embedded default (one process, SQLite, local disk) against the scaled-out
 * mode (an API node and a worker process on PostgreSQL + radosgw) on the same source in the same
 * run: time to playable, whole encode, and segment throughput from local disk, through 302s to
 * presigned GETs, and through the API (`VOD_S3_PROXY=1`). PostgreSQL and radosgw come from
 * scripts/services.sh (or from VOD_TEST_* already in the environment).
 */
import type { EncoderJob, Page } from '@vodkit/api';
import { clusterEnv, dropClusterDatabase, type Node, startApi, startWorker } from '../scale/cluster.ts';
import { type ScaleEnv, startServices, toScaleEnv } from '../scale/global-setup.ts';
import { devKeyToken, type TestServer } from '../test/server.ts';
import { type VodkitEncodeRun, vodkitEncode } from './encode.ts';
import { uploadToReady } from './probe.ts';
import { log, median, ratio, round } from './stats.ts';

/** PostgreSQL and radosgw: from VOD_TEST_* when set, else started by scripts/services.sh. */
export async function services(): Promise<{ env: ScaleEnv; stop(): Promise<void> }> {
  if (process.env.VOD_TEST_DATABASE_URL && process.env.VOD_TEST_S3_ENDPOINT) {
    return { env: toScaleEnv(process.env), stop: async () => {} };
  }
  return startServices();
}

/** Every init and media segment URL of a video's variants, resolved against its master. */
async function segmentUrls(baseUrl: string, videoId: string): Promise<string[]> {
  const master = `${baseUrl}/stream/${videoId}/master.m3u8`;
  const text = await (await fetch(master)).text();
  const urls: string[] = [];
  for (const line of text.split('\n')) {
    const uri = line.startsWith('#') ? /URI="([^"]+)"/.exec(line)?.[1] : line.trim();
    if (!uri || !uri.split('?')[0]!.endsWith('.m3u8') || uri.includes('iframes')) continue;
    const variant = new URL(uri, master).toString();
    const body = await (await fetch(variant)).text();
    for (const l of body.split('\n')) {
      const u = l.startsWith('#EXT-X-MAP')
        ? /URI="([^"]+)"/.exec(l)?.[1]
        : l.startsWith('#')
          ? null
          : l.trim();
      if (u) urls.push(new URL(u, variant).toString());
    }
  }
  return urls;
}

/** Fetches every URL `rounds` times, 8 at once, following redirects as a player does. */
async function throughput(urls: string[], rounds: number) {
  let bytes = 0;
  let requests = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const queue = [...urls];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let url = queue.shift(); url; url = queue.shift()) {
          const res = await fetch(url);
          if (!res.ok) throw new Error(`${url}: ${res.status}`);
          bytes += (await res.arrayBuffer()).byteLength;
          requests++;
        }
      }),
    );
  }
  const s = (performance.now() - t0) / 1000;
  return {
    requests,
    mib: round(bytes / 1048576, 1),
    reqPerS: round(requests / s, 1),
    mibPerS: round(bytes / 1048576 / s, 1),
  };
}

async function lastVideoId(baseUrl: string, token: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/encoder/jobs?perPage=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const page = (await res.json()) as Page<EncoderJob>;
  return page.data[0]!.videoId;
}

export async function benchScale(
  embedded: TestServer,
  source: Buffer,
  sourceName: string,
  runs: number,
): Promise<unknown> {
  const svc = await services();
  const nodes: Node[] = [];
  const env = await clusterEnv(svc.env);
  try {
    const api = await startApi('bench-api', env);
    nodes.push(api);
    nodes.push(await startWorker('bench-worker', env));
    const scaledToken = await devKeyToken(api.dataDir, ['allow_upload', 'allow_encode', 'allow_read']);
    const scaled = { baseUrl: api.baseUrl! } as TestServer;
    const embeddedToken = await embedded.token();

    const up = { embedded: await uploadToReady(embedded, embeddedToken, source, sourceName) };
    const scaledUpload = await uploadToReady(scaled, scaledToken, source, sourceName);
    const runsOf: { embedded: VodkitEncodeRun[]; scaled: VodkitEncodeRun[] } = { embedded: [], scaled: [] };
    // Interleaved, so both modes see the same machine.
    for (let i = 0; i < runs; i++) {
      log(`scale: run ${i + 1}/${runs} embedded`);
      runsOf.embedded.push(await vodkitEncode(embedded, embeddedToken, up.embedded.fileId));
      log(`scale: run ${i + 1}/${runs} scaled (API node + worker, PostgreSQL + S3)`);
      runsOf.scaled.push(await vodkitEncode(scaled, scaledToken, scaledUpload.fileId));
    }
    const med = (xs: number[]) => round(median(xs), 2);
    const playable = {
      embeddedS: med(runsOf.embedded.map((r) => r.playbackS)),
      scaledS: med(runsOf.scaled.map((r) => r.playbackS)),
    };
    const completed = {
      embeddedS: med(runsOf.embedded.map((r) => r.completedS)),
      scaledS: med(runsOf.scaled.map((r) => r.completedS)),
    };

    // Segment throughput of the last encode of each mode; a proxy node joins the same cluster.
    const proxy = await startApi('bench-proxy', { ...env, VOD_S3_PROXY: '1' });
    nodes.push(proxy);
    const lastEmbedded = await lastVideoId(embedded.baseUrl, embeddedToken);
    const lastScaled = await lastVideoId(api.baseUrl!, scaledToken);
    const rounds = 3;
    const local = await segmentUrls(embedded.baseUrl, lastEmbedded);
    const viaApi = await segmentUrls(api.baseUrl!, lastScaled);
    const viaProxy = await segmentUrls(proxy.baseUrl!, lastScaled);
    const segments = {
      localDisk: await throughput(local, rounds),
      redirect302: await throughput(viaApi, rounds),
      proxy: await throughput(viaProxy, rounds),
    };
    return {
      method:
        'same source, interleaved runs; embedded = in-process server (SQLite, local disk); scaled = API node + one worker process on PostgreSQL 15 + Ceph radosgw (loopback); playable = POST job → GET job shows playback URLs (100 ms polling); segments: every init/media segment of every variant, 8 at once, fetch following redirects',
      source: sourceName,
      runs: runsOf,
      playable: { ...playable, ratio: ratio(playable.scaledS, playable.embeddedS) },
      completed: { ...completed, ratio: ratio(completed.scaledS, completed.embeddedS) },
      goal: 'scaled ≤ 1.15 × embedded',
      segments: {
        ...segments,
        redirectVsLocal: ratio(segments.redirect302.reqPerS, segments.localDisk.reqPerS),
        proxyVsLocal: ratio(segments.proxy.reqPerS, segments.localDisk.reqPerS),
      },
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await dropClusterDatabase(svc.env, env).catch(() => {});
    await svc.stop();
  }
}
