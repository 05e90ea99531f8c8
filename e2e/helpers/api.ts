import fs from 'node:fs';
import type { CreateJobRequest, EncoderJob } from '@vodkit/api';
import { fileIdOf, type TusUploadOptions, tusUpload } from '../../server/test/upload.ts';
import { apiToken, baseUrl } from './env.ts';

/**
 * The API as the dev key's app server calls it, for the specs' setup: JSON in and out, any non-2xx
 * thrown with its body (a spec's setup failing says why).
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${await apiToken()}`, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A local file uploaded with tus-js-client under the dev key; resolves with its file id. */
export async function uploadFile(
  file: string,
  options: Omit<TusUploadOptions, 'baseUrl' | 'bearer'> = {},
): Promise<string> {
  const url = await tusUpload(fs.readFileSync(file), {
    baseUrl: baseUrl(),
    bearer: await apiToken(),
    ...options,
  });
  return fileIdOf(url);
}

export const completed = (job: EncoderJob): boolean => job.status === 'completed';

/**
 * Polls a job until `until(job)` (default: completed), at most `timeoutMs` (beyond any spec's own
 * timeout: that one decides, this only ends a runaway loop); failed or cancelled throws.
 */
export async function waitForJob(
  jobId: string,
  until: (job: EncoderJob) => boolean = completed,
  timeoutMs = 600_000,
): Promise<EncoderJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await api<EncoderJob>('GET', `/v1/encoder/jobs/${jobId}`);
    if (until(job)) return job;
    if (job.status === 'failed' || job.status === 'cancelled') {
      throw new Error(`job ${jobId} ${job.status}: ${job.error?.message ?? ''}`);
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Creates a job and waits as `waitForJob` does. */
export async function encode(
  body: CreateJobRequest,
  until: (job: EncoderJob) => boolean = completed,
): Promise<EncoderJob> {
  const job = await api<EncoderJob>('POST', '/v1/encoder/jobs', body);
  return until(job) ? job : waitForJob(job.jobId, until);
}
