import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { probeKeyframes } from './keyframes.ts';
import { mp4Keyframes } from './mp4-index.ts';
import { ProbeError, probeFile } from './probe.ts';
import { SignedSourceUrl, sourceInputOptions, sourceTarget } from './source.ts';
import { probeAudioTracks } from './tracks.ts';

const paths = {
  ffmpegPath: process.env.FFMPEG_PATH || 'ffmpeg',
  ffprobePath: process.env.FFPROBE_PATH || 'ffprobe',
};

let dir: string;
let clip: string;
let server: http.Server;
let base: string;
/** Every request the HTTP server saw: a string URL must never reach it. */
const requests: string[] = [];

beforeAll(async () => {
  dir = tempDir('vodkit-source-');
  // ffmpeg's mp4 muxer writes the moov after the media unless told to move it: moov at the end.
  clip = await clips.h264Aac(dir, { duration: 4 });
  // A tiny static server with byte ranges, standing in for a presigned S3 GET.
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.range ?? ''}`);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('sig') !== 'ok') {
      res.writeHead(403).end();
      return;
    }
    const file = path.join(dir, path.basename(url.pathname));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const size = fs.statSync(file).size;
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
    res.writeHead(206, {
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
      'accept-ranges': 'bytes',
    });
    fs.createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sources that are strings are local paths, whatever they look like', () => {
  it('keeps -protocol_whitelist file and reads them as file:<string>', () => {
    for (const s of [
      'http://127.0.0.1:1/x.mp4',
      'https://bucket.example/x?X-Amz-Signature=a',
      'file:///etc/passwd',
    ]) {
      expect(sourceInputOptions(s)).toEqual(expect.arrayContaining(['-protocol_whitelist', 'file']));
      expect(sourceInputOptions(s)).not.toContain('-reconnect');
      expect(sourceTarget(s)).toBe(`file:${s}`);
    }
  });

  it('never opens a URL given as a string: ffprobe fails and the server sees no request', async () => {
    requests.length = 0;
    const url = `${base}/${path.basename(clip)}?sig=ok`;
    await expect(probeFile(paths, url, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(ProbeError);
    await expect(probeAudioTracks(paths, url, 10_000)).rejects.toThrow();
    expect(requests).toEqual([]);
  });

  it('signs only http(s): a file: or other URL cannot be made a signed source', () => {
    expect(() => SignedSourceUrl.presigned('file:///etc/passwd')).toThrow(/http/);
    expect(() => SignedSourceUrl.presigned('ftp://host/x')).toThrow(/http/);
    expect(() => SignedSourceUrl.presigned('not a url')).toThrow();
    // Something shaped like one is not one.
    const lookalike = { href: 'http://127.0.0.1/x', protocolWhitelist: 'http,tcp' };
    expect(SignedSourceUrl.is(lookalike)).toBe(false);
    expect(sourceInputOptions(lookalike as unknown as string)).toContain('file');
  });

  it('widens the whitelist to https,tls,tcp for https and http,tcp for http, with reconnection', () => {
    const https = sourceInputOptions(SignedSourceUrl.presigned('https://s3.example/b/k?X-Amz-Signature=x'));
    expect(https.slice(0, 2)).toEqual(['-protocol_whitelist', 'https,tls,tcp']);
    expect(https).toEqual(expect.arrayContaining(['-format_whitelist', '-reconnect', '-reconnect_streamed']));
    const plain = sourceInputOptions(SignedSourceUrl.presigned('http://127.0.0.1:9/b/k'));
    expect(plain.slice(0, 2)).toEqual(['-protocol_whitelist', 'http,tcp']);
  });

  it('never prints the signature', () => {
    const signed = SignedSourceUrl.presigned('https://s3.example/b/k?X-Amz-Signature=secret');
    expect(`${signed}`).not.toContain('secret');
    expect(JSON.stringify({ signed })).not.toContain('secret');
  });
});

describe('a signed URL source', () => {
  it('probes to the same metadata as the local file', async () => {
    const local = await probeFile(paths, clip, { timeoutMs: 10_000 });
    const remote = await probeFile(
      paths,
      SignedSourceUrl.presigned(`${base}/${path.basename(clip)}?sig=ok`),
      {
        timeoutMs: 10_000,
      },
    );
    expect(remote.metadata).toEqual(local.metadata);
    expect(remote.streamCount).toBe(local.streamCount);
  });

  it('reads the keyframes of a moov-at-end MP4 with a few ranged GETs, as from the file', async () => {
    const stats = { gets: 0 };
    const url = SignedSourceUrl.presigned(`${base}/${path.basename(clip)}?sig=ok`);
    const fromUrl = await mp4Keyframes(url, stats);
    expect(fromUrl).toEqual(await mp4Keyframes(clip));
    expect(fromUrl?.times.length).toBeGreaterThan(0);
    // ftyp, (free), mdat headers, then the moov, and the first bytes of the first two keyframes (copy
    // only at IDR frames): not the file.
    expect(stats.gets).toBeLessThanOrEqual(7);
    expect(await probeKeyframes(paths, url, 10_000)).toEqual(await probeKeyframes(paths, clip, 10_000));
  });

  it('fails with a message that names neither the URL nor its signature', async () => {
    const url = SignedSourceUrl.presigned(`${base}/missing.mp4?sig=ok`);
    const err = await probeFile(paths, url, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect((err as ProbeError).message).not.toContain('127.0.0.1');
    expect((err as ProbeError).message).not.toContain('sig=');
    // A refused signature fails the same way, and the keyframe index falls back (null), never throws.
    expect(await mp4Keyframes(SignedSourceUrl.presigned(`${base}/${path.basename(clip)}?sig=no`))).toBeNull();
  });
});
