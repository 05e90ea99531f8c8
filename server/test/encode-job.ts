import type { EncoderJob, FileRecord } from '@vodkit/api';
import type { TestServer } from './server.ts';
import { fileIdOf, tusUpload } from './upload.ts';

/** Polls `fn` every 100 ms until it returns a value, or throws after `ms`. */
export async function pollFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Uploads `data` with tus-js-client and waits for the probe's verdict on it. */
export async function uploadAndProbe(
  server: TestServer,
  bearer: string,
  data: Buffer,
  filename: string,
): Promise<FileRecord> {
  const fileId = fileIdOf(
    await tusUpload(data, {
      baseUrl: server.baseUrl,
      bearer,
      metadata: { filename, filetype: '', title: filename },
    }),
  );
  return pollFor(`file ${fileId} probed`, async () => {
    const res = await fetch(`${server.baseUrl}/v1/files/${fileId}`, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    const file = (await res.json()) as FileRecord;
    return file.status === 'ready' || file.status === 'rejected' ? file : undefined;
  });
}

/** Starts a job on a ready file and waits for it to end (completed, failed or cancelled). */
export async function encodeToEnd(
  server: TestServer,
  bearer: string,
  fileId: string,
  presets: unknown = [{ format: 'hls', resolutions: ['240'] }],
): Promise<EncoderJob> {
  const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
  const res = await fetch(`${server.baseUrl}/v1/encoder/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ fileId, presets }),
  });
  if (res.status !== 201) throw new Error(`job refused: ${res.status} ${await res.text()}`);
  const { jobId } = (await res.json()) as EncoderJob;
  return pollFor(`job ${jobId} ended`, async () => {
    const job = (await (
      await fetch(`${server.baseUrl}/v1/encoder/jobs/${jobId}`, { headers })
    ).json()) as EncoderJob;
    return ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  });
}
