import fs from 'node:fs';
import path from 'node:path';
import { type CaptionTrack, type EncoderJob, type Permission, VodkitClient, VodkitError } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clips, tempDir } from '../../test/fixtures.ts';
import { apiFetcher, sqliteDb, startServer, type TestServer } from '../../test/server.ts';
import { fileIdOf, tusUpload } from '../../test/upload.ts';

let server: TestServer;
let token: string;
let clipDir: string;
let videoId: string;
let fileId: string;
/** A track added while the job was still queued or encoding. */
let early: CaptionTrack;

const VTT = [
  'WEBVTT',
  '',
  '00:00:00.500 --> 00:00:02.000',
  'Hello <b>there</b><script>alert(1)</script>',
  '',
  '00:00:02.000 --> 00:00:03.500',
  '<img src=x onerror=alert(1)>General Kenobi',
  '',
].join('\n');

const SRT = ['1', '00:00:01,000 --> 00:00:02,000', '<font color="red">Bonjour</font>', ''].join('\r\n');

const api = apiFetcher(
  () => server.baseUrl,
  () => token,
);

async function expectError(res: Response, status: number, code: string): Promise<{ message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  return body.error;
}

const addTrack = (body: unknown, bearer?: string) =>
  api(`/v1/videos/${videoId}/tracks`, { method: 'POST', json: body, ...(bearer ? { bearer } : {}) });

async function waitCompleted(jobId: string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const job = (await (await api(`/v1/encoder/jobs/${jobId}`)).json()) as EncoderJob;
    if (job.status === 'completed') return;
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${job.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for the encode');
}

beforeAll(async () => {
  clipDir = tempDir('vodkit-tracks-clips-');
  const [s, clip] = await Promise.all([
    startServer(),
    clips.h264Aac(clipDir, { duration: 4, width: 320, height: 240 }).then((f) => fs.readFileSync(f)),
  ]);
  server = s;
  token = await server.token();
  fileId = fileIdOf(
    await tusUpload(clip, {
      baseUrl: server.baseUrl,
      bearer: token,
      metadata: { filename: 'clip.mp4', filetype: 'video/mp4', title: 'Tracks' },
    }),
  );
  const res = await api('/v1/encoder/jobs', { method: 'POST', json: { fileId } });
  const job = (await res.json()) as EncoderJob;
  videoId = job.videoId;
  // Tracks may be added as soon as the video exists: every encode attempt clears the output folder,
  // and this one must survive that.
  const added = await addTrack({ language: 'de', content: VTT });
  expect(added.status).toBe(201);
  early = (await added.json()) as CaptionTrack;
  await waitCompleted(job.jobId);
}, 180_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

describe('POST /v1/videos/:videoId/tracks', () => {
  it('kept the track added while encoding, with a default label from the language', async () => {
    expect(early).toMatchObject({
      videoId,
      language: 'de',
      label: 'Deutsch',
      kind: 'subtitles',
      default: false,
    });
    const vtt = await fetch(early.url);
    expect(vtt.status).toBe(200);
    expect(await vtt.text()).toContain('General Kenobi');
  });

  it('takes JSON WebVTT, sanitizes it and serves it as text/vtt', async () => {
    const res = await addTrack({
      language: 'en-us',
      label: 'English',
      kind: 'captions',
      default: true,
      content: VTT,
    });
    expect(res.status).toBe(201);
    const track = (await res.json()) as CaptionTrack;
    expect(track).toMatchObject({
      videoId,
      language: 'en-US',
      label: 'English',
      kind: 'captions',
      default: true,
    });
    expect(track.cueCount).toBe(2);
    expect(track.url).toBe(`${server.baseUrl}/stream/${videoId}/subtitles/${track.trackId}.vtt`);
    const vtt = await fetch(track.url);
    expect(vtt.headers.get('content-type')).toMatch(/^text\/vtt/);
    expect(vtt.headers.get('access-control-allow-origin')).toBe('*');
    const text = await vtt.text();
    expect(text).toBe(
      [
        'WEBVTT',
        'X-TIMESTAMP-MAP=MPEGTS:9000,LOCAL:00:00:00.000',
        '',
        '00:00:00.500 --> 00:00:02.000',
        'Hello <b>there</b>alert(1)',
        '',
        '00:00:02.000 --> 00:00:03.500',
        'General Kenobi',
        '',
      ].join('\n'),
    );
    // `bytes` is the stored file; the map line is added as it is served.
    expect(Buffer.byteLength(text)).toBe(
      track.bytes + 'X-TIMESTAMP-MAP=MPEGTS:9000,LOCAL:00:00:00.000\n'.length,
    );
    // On disk where storage says, outside the encoder's folder.
    expect(fs.existsSync(path.join(server.dataDir, 'tracks', videoId, `${track.trackId}.vtt`))).toBe(true);
  });

  it('takes a raw SRT body with its fields in the query, converted to WebVTT', async () => {
    const res = await api(`/v1/videos/${videoId}/tracks?language=fr&label=Fran%C3%A7ais&default=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-subrip' },
      body: SRT,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const track = (await res.json()) as CaptionTrack;
    expect(track).toMatchObject({ language: 'fr', label: 'Français', default: true, cueCount: 1 });
    // The cues as uploaded, mapped onto the renditions' timeline (they start TIMELINE_LEAD_S late).
    expect(await (await fetch(track.url)).text()).toBe(
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:9000,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:02.000\nBonjour\n',
    );

    // text/vtt and text/plain bodies too.
    const plain = await api(`/v1/videos/${videoId}/tracks?language=es`, {
      method: 'POST',
      headers: { 'content-type': 'text/vtt; charset=utf-8' },
      body: VTT,
    });
    expect(plain.status).toBe(201);
    const list = (await (await api(`/v1/videos/${videoId}/tracks`)).json()) as { data: CaptionTrack[] };
    // The newest default wins: a video never has two.
    expect(list.data.map((t) => [t.language, t.default])).toEqual([
      ['de', false],
      ['en-US', false],
      ['fr', true],
      ['es', false],
    ]);
    await api(`/v1/videos/${videoId}/tracks/${((await plain.json()) as CaptionTrack).trackId}`, {
      method: 'DELETE',
    });
  });

  it('sets and unsets the default with PATCH; the master playlist follows', async () => {
    const tracks = async () =>
      ((await (await api(`/v1/videos/${videoId}/tracks`)).json()) as { data: CaptionTrack[] }).data;
    const en = (await tracks()).find((t) => t.language === 'en-US')!;
    const res = await api(`/v1/videos/${videoId}/tracks/${en.trackId}`, {
      method: 'PATCH',
      json: { default: true },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as CaptionTrack).default).toBe(true);
    expect((await tracks()).filter((t) => t.default).map((t) => t.language)).toEqual(['en-US']);
    const master = await (await fetch(`${server.baseUrl}/stream/${videoId}/master.m3u8`)).text();
    expect(master).toMatch(/TYPE=SUBTITLES,[^\n]*LANGUAGE="en-US",[^\n]*DEFAULT=YES/);
    expect(master).not.toMatch(/LANGUAGE="fr",[^\n]*DEFAULT=YES/);
    await api(`/v1/videos/${videoId}/tracks/${en.trackId}`, { method: 'PATCH', json: { default: false } });
    expect((await tracks()).filter((t) => t.default)).toEqual([]);
    // Refusals: no such track, a bad body, a token without allow_encode.
    const missing = await api(`/v1/videos/${videoId}/tracks/nosuchtrack`, {
      method: 'PATCH',
      json: { default: true },
    });
    await expectError(missing, 404, 'not_found');
    const bad = await api(`/v1/videos/${videoId}/tracks/${en.trackId}`, {
      method: 'PATCH',
      json: { default: 'yes' },
    });
    await expectError(bad, 400, 'validation_failed');
    const reader = await server.token(['allow_read']);
    const denied = await api(`/v1/videos/${videoId}/tracks/${en.trackId}`, {
      method: 'PATCH',
      json: { default: true },
      bearer: reader,
    });
    await expectError(denied, 403, 'permission_denied');
    const fr = (await tracks()).find((t) => t.language === 'fr')!;
    await api(`/v1/videos/${videoId}/tracks/${fr.trackId}`, { method: 'PATCH', json: { default: true } });
  });

  it('refuses bad fields with validation_failed', async () => {
    for (const body of [
      { content: VTT },
      { language: 'english!', content: VTT },
      { language: 'x', content: VTT },
      { language: 'en', content: VTT, kind: 'chapters' },
      { language: 'en', content: VTT, default: 'yes' },
      { language: 'en', content: VTT, label: '' },
      { language: 'en', content: VTT, label: 'a\u0007b' },
      { language: 'en', content: VTT, forced: true },
      { language: 'en', content: '' },
      [{ language: 'en', content: VTT }],
    ]) {
      await expectError(await addTrack(body), 400, 'validation_failed');
    }
    const mixed = await api(`/v1/videos/${videoId}/tracks?language=en`, {
      method: 'POST',
      json: { language: 'en', content: VTT },
    });
    await expectError(mixed, 400, 'validation_failed');
    const unknownQuery = await api(`/v1/videos/${videoId}/tracks?language=en&forced=true`, {
      method: 'POST',
      headers: { 'content-type': 'text/vtt' },
      body: VTT,
    });
    await expectError(unknownQuery, 400, 'validation_failed');
    const html = await api(`/v1/videos/${videoId}/tracks?language=en`, {
      method: 'POST',
      headers: { 'content-type': 'text/html' },
      body: VTT,
    });
    await expectError(html, 415, 'unsupported_media');
  });

  it('refuses malformed captions with captions_malformed and the line', async () => {
    const err = await expectError(
      await addTrack({ language: 'en', content: 'WEBVTT\n\n00:00:01.000 --> later\nhi\n' }),
      422,
      'captions_malformed',
    );
    expect(err.message).toMatch(/line 3/);
    await expectError(
      await addTrack({ language: 'en', content: '<html>nope</html>' }),
      422,
      'captions_malformed',
    );
    await expectError(
      await addTrack({ language: 'en', content: VTT, format: 'srt' }),
      422,
      'captions_malformed',
    );
  });

  it('refuses files over 1 MiB with captions_too_large, as JSON or raw', async () => {
    const big = `WEBVTT\n\n00:00.000 --> 00:01.000\nx\n\nNOTE ${'a'.repeat(1024 * 1024)}\n`;
    await expectError(await addTrack({ language: 'en', content: big }), 413, 'captions_too_large');
    const raw = await api(`/v1/videos/${videoId}/tracks?language=en`, {
      method: 'POST',
      headers: { 'content-type': 'text/vtt' },
      body: big.repeat(5),
    });
    await expectError(raw, 413, 'captions_too_large');
  });

  it('needs allow_encode, and answers 404 for another key’s video', async () => {
    const readOnly = await server.token(['allow_read'] as Permission[]);
    await expectError(await addTrack({ language: 'en', content: VTT }, readOnly), 403, 'permission_denied');
    const other = await server.app.vodkit.auth.createKey('other');
    const otherToken = await signToken({
      ...other,
      permissions: ['allow_encode', 'allow_read', 'allow_delete'],
    });
    await expectError(await addTrack({ language: 'en', content: VTT }, otherToken), 404, 'not_found');
    await expectError(await api(`/v1/videos/${videoId}/tracks`, { bearer: otherToken }), 404, 'not_found');
    await expectError(
      await api(`/v1/videos/${videoId}/tracks/${early.trackId}`, { method: 'DELETE', bearer: otherToken }),
      404,
      'not_found',
    );
    await expectError(await api('/v1/videos/nosuchvideo123/tracks'), 404, 'not_found');
    await expectError(await addTrack({ language: 'en', content: VTT }, 'garbage'), 401, 'auth_malformed');
  });
});

describe('GET and DELETE /v1/videos/:videoId/tracks', () => {
  it('lists with allow_read and deletes with allow_delete only', async () => {
    const res = await addTrack({ language: 'it', content: VTT });
    const track = (await res.json()) as CaptionTrack;
    const encodeOnly = await server.token(['allow_encode'] as Permission[]);
    await expectError(
      await api(`/v1/videos/${videoId}/tracks`, { bearer: encodeOnly }),
      403,
      'permission_denied',
    );
    const readOnly = await server.token(['allow_read'] as Permission[]);
    const listed = await api(`/v1/videos/${videoId}/tracks`, { bearer: readOnly });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { data: CaptionTrack[] }).data.map((t) => t.trackId)).toContain(
      track.trackId,
    );
    const trackUrl = `/v1/videos/${videoId}/tracks/${track.trackId}`;
    await expectError(await api(trackUrl, { method: 'DELETE', bearer: readOnly }), 403, 'permission_denied');

    const deleted = await api(trackUrl, { method: 'DELETE', bearer: await server.token(['allow_delete']) });
    expect(deleted.status).toBe(204);
    expect((await fetch(track.url)).status).toBe(404);
    expect((await fetch(track.playlist)).status).toBe(404);
    await expectError(await api(trackUrl, { method: 'DELETE' }), 404, 'not_found');
  });
});

describe('VodkitClient', () => {
  it('adds, lists and deletes tracks, and throws the server codes', async () => {
    const client = new VodkitClient({ baseUrl: server.baseUrl, token });
    const track = await client.addTrack(videoId, { language: 'pt-br', content: SRT });
    expect(track).toMatchObject({ language: 'pt-BR', cueCount: 1 });
    expect((await client.listTracks(videoId)).data.map((t) => t.trackId)).toContain(track.trackId);
    await client.deleteTrack(videoId, track.trackId);
    expect((await client.listTracks(videoId)).data.map((t) => t.trackId)).not.toContain(track.trackId);
    const err = await client.addTrack(videoId, { language: 'en', content: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VodkitError);
    expect(err).toMatchObject({ status: 422, code: 'captions_malformed' });
  });
});

describe('packaging: /stream/:videoId/…', () => {
  it('serves the master with a SUBTITLES group and one playlist per track', async () => {
    const { data } = (await (await api(`/v1/videos/${videoId}/tracks`)).json()) as { data: CaptionTrack[] };
    const res = await fetch(`${server.baseUrl}/stream/${videoId}/master.m3u8`);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const master = await res.text();
    const media = master.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=SUBTITLES'));
    expect(media).toHaveLength(data.length);
    expect(media[0]).toBe(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="de",NAME="Deutsch",DEFAULT=NO,AUTOSELECT=YES,URI="subtitles/${early.trackId}.m3u8"`,
    );
    expect(master).toMatch(/LANGUAGE="fr",NAME="Français",DEFAULT=YES/);
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) expect(v).toMatch(/,SUBTITLES="subs"$/);

    const playlist = await fetch(`${server.baseUrl}/stream/${videoId}/subtitles/${early.trackId}.m3u8`);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await playlist.text();
    const duration = Number(/#EXTINF:([\d.]+),/.exec(text)?.[1]);
    expect(duration).toBeGreaterThan(3.9);
    expect(duration).toBeLessThan(4.2);
    expect(text).toContain(`#EXT-X-TARGETDURATION:${Math.ceil(duration)}\n`);
    expect(text).toContain(`\n${early.trackId}.vtt\n#EXT-X-ENDLIST`);
    // The segment URI resolves against the playlist to the track's file.
    expect(new URL(`${early.trackId}.vtt`, playlist.url).href).toBe(early.url);
    // A track id under another video's path is not found.
    expect(
      (await fetch(`${server.baseUrl}/stream/othervideo1234/subtitles/${early.trackId}.vtt`)).status,
    ).toBe(404);
  });

  it('serves the master untouched once the last track is gone, and a file delete removes every track', async () => {
    const { data } = (await (await api(`/v1/videos/${videoId}/tracks`)).json()) as { data: CaptionTrack[] };
    const masterPath = path.join(server.dataDir, 'videos', videoId, 'master.m3u8');
    for (const t of data.slice(1)) {
      expect((await api(`/v1/videos/${videoId}/tracks/${t.trackId}`, { method: 'DELETE' })).status).toBe(204);
    }
    const res = await fetch(`${server.baseUrl}/stream/${videoId}/master.m3u8`);
    expect(await res.text()).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES');
    expect((await api(`/v1/videos/${videoId}/tracks/${data[0]!.trackId}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    const plain = await (await fetch(`${server.baseUrl}/stream/${videoId}/master.m3u8`)).text();
    expect(plain).toBe(fs.readFileSync(masterPath, 'utf8'));
    expect(plain).not.toContain('SUBTITLES');

    const kept = (await (await addTrack({ language: 'en', content: VTT })).json()) as CaptionTrack;
    expect((await api(`/v1/files/${fileId}`, { method: 'DELETE' })).status).toBe(204);
    expect(fs.existsSync(path.join(server.dataDir, 'tracks', videoId))).toBe(false);
    expect(sqliteDb(server.app).prepare('SELECT count(*) AS n FROM tracks').get()).toEqual({ n: 0 });
    expect((await fetch(kept.url)).status).toBe(404);
  });
});
