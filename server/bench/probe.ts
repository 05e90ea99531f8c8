import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FileRecord } from '@vodkit/api';
import { probeFile } from '../src/media/probe.ts';
import { freePort, type TestServer } from '../test/server.ts';
import { fileIdOf, tusUpload } from '../test/upload.ts';
import { log, ratio, type Summary, summarize, timed } from './stats.ts';

const run = promisify(execFile);

export interface Paths {
  ffmpegPath: string;
  ffprobePath: string;
}

/** The baseline: ffprobe as anyone would call it, no allowlist, no normalisation. */
const rawArgs = (file: string) => ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file];

export interface ProbeFigures {
  file: string;
  n: number;
  vodkit: Summary;
  baseline: Summary & { command: string };
  /** vodkit median / baseline median. */
  ratio: number;
  p95Ratio: number;
}

/** probeFile() vs raw ffprobe on one file, interleaved, after one discarded run of each. */
export async function benchProbe(
  paths: Paths,
  label: string,
  file: string,
  n: number,
): Promise<ProbeFigures> {
  const vodkit = () => probeFile(paths, file, { timeoutMs: 15_000 });
  const baseline = async () => JSON.parse((await run(paths.ffprobePath, rawArgs(file))).stdout) as unknown;
  await vodkit();
  await baseline();
  const v: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    // Alternate which goes first so neither always runs right after the other.
    if (i % 2 === 0) {
      v.push((await timed(vodkit)).ms);
      b.push((await timed(baseline)).ms);
    } else {
      b.push((await timed(baseline)).ms);
      v.push((await timed(vodkit)).ms);
    }
  }
  const vs = summarize(v);
  const bs = summarize(b);
  log(`probe ${label}: vodkit ${vs.medianMs} ms, ffprobe ${bs.medianMs} ms (median of ${n})`);
  return {
    file: label,
    n,
    vodkit: vs,
    baseline: { ...bs, command: `${paths.ffprobePath} ${rawArgs('<file>').join(' ')}` },
    ratio: ratio(vs.medianMs, bs.medianMs),
    p95Ratio: ratio(vs.p95Ms, bs.p95Ms),
  };
}

/** tus upload as an app would do it; resolves with the file id. */
export const uploadFile = (
  server: TestServer,
  token: string,
  data: Buffer,
  filename: string,
): Promise<string> =>
  tusUpload(data, {
    baseUrl: server.baseUrl,
    bearer: token,
    metadata: { filename, filetype: 'video/mp4', title: `bench ${filename}` },
  }).then(fileIdOf);

export async function getFile(server: TestServer, token: string, fileId: string): Promise<FileRecord> {
  const res = await fetch(`${server.baseUrl}/v1/files/${fileId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`GET /v1/files/${fileId}: ${res.status} ${await res.text()}`);
  return (await res.json()) as FileRecord;
}

/** Upload, then one GET that must already say `ready`: the promise of "metadata in ms". */
export async function uploadToReady(
  server: TestServer,
  token: string,
  data: Buffer,
  filename: string,
): Promise<{ fileId: string; record: FileRecord }> {
  const fileId = await uploadFile(server, token, data, filename);
  const record = await getFile(server, token, fileId);
  if (record.status !== 'ready') {
    throw new Error(
      `upload ${fileId} resolved with status ${record.status}: ${JSON.stringify(record.reason)}`,
    );
  }
  return { fileId, record };
}

/**
 * The floor for upload→ready: a bare node:http server (in this same process, like the Vodkit server)
 * that streams one POST body to disk, runs raw ffprobe on it and answers with the JSON —
 * one request carrying the bytes, one disk write, one ffprobe.
 */
async function startFloorServer(paths: Paths, dir: string): Promise<{ url: string; close(): Promise<void> }> {
  let seq = 0;
  const server = http.createServer((req, res) => {
    const file = path.join(dir, `floor-${++seq}.mp4`);
    const out = fs.createWriteStream(file);
    req.pipe(out);
    out.on('finish', () => {
      run(paths.ffprobePath, rawArgs(file)).then(
        ({ stdout }) => {
          res.setHeader('content-type', 'application/json');
          res.end(stdout);
          fs.rm(file, () => {});
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        },
      );
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface UploadFigures {
  file: string;
  bytes: number;
  n: number;
  method: string;
  vodkit: Summary;
  /** What the server recorded as probe time (FileRecord.probeMs), for the same uploads. */
  serverProbeMs: Summary;
  baseline: Summary & { description: string };
  ratio: number;
}

export async function benchUpload(
  server: TestServer,
  token: string,
  paths: Paths,
  label: string,
  data: Buffer,
  n: number,
  scratchDir: string,
): Promise<UploadFigures> {
  const floor = await startFloorServer(paths, scratchDir);
  try {
    const viaFloor = async () => {
      const res = await fetch(floor.url, { method: 'POST', body: data });
      if (res.status !== 200) throw new Error(`floor server: ${res.status}`);
      await res.json();
    };
    const viaVodkit = () => uploadToReady(server, token, data, label);
    // Discarded: first requests compile the routes' hot paths and open the connection pools.
    await viaVodkit();
    await viaFloor();
    const v: number[] = [];
    const probeMs: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      const up = await timed(viaVodkit);
      v.push(up.ms);
      probeMs.push(up.value.record.probeMs ?? Number.NaN);
      b.push((await timed(viaFloor)).ms);
    }
    const vs = summarize(v);
    const bs = summarize(b);
    log(`upload→ready ${label}: vodkit ${vs.medianMs} ms, floor ${bs.medianMs} ms (median of ${n})`);
    return {
      file: label,
      bytes: data.length,
      n,
      method:
        'tus-js-client upload (POST create + PATCH, one chunk) until onSuccess, then GET /v1/files/:id which must say ready; in-process server on loopback; median',
      vodkit: vs,
      serverProbeMs: summarize(probeMs),
      baseline: {
        ...bs,
        description:
          'bare node:http server in the same process: one POST of the same bytes streamed to disk, raw ffprobe, JSON answer',
      },
      ratio: ratio(vs.medianMs, bs.medianMs),
    };
  } finally {
    await floor.close();
  }
}
