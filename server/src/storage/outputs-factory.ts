import type { Config } from '../config.ts';
import type { LocalStorage } from './local.ts';
import { LocalOutputs, ObjectStoreOutputs, type VideoOutputs } from './outputs.ts';
import type { S3BlobStore } from './s3-blob-store.ts';

/**
 * Where video outputs live, from the configuration: the video folders under VOD_DATA_DIR (the
 * default), or the S3 bucket of `config.scale.s3`. `attemptOf` gives the current attempt of a video's
 * job (the job row's `attempts`): serving reads that attempt's prefix.
 */
export async function createVideoOutputs(
  config: Config,
  storage: LocalStorage,
  attemptOf: (videoId: string) => number | null | Promise<number | null>,
): Promise<VideoOutputs> {
  const s3 = config.scale?.s3;
  if (!s3) return new LocalOutputs(storage);
  // The AWS SDK loads only here: the embedded default never loads it (nor pays its start-up time).
  const { S3BlobStore } = await import('./s3-blob-store.ts');
  const { proxy, scratchDir, ...options } = s3;
  return new ObjectStoreOutputs({
    store: new S3BlobStore(options),
    scratchDir,
    proxy,
    attemptOf,
    local: storage,
  });
}

/**
 * Start-up work of the outputs: the bucket and its CORS rule, so players on any origin can fetch
 * presigned segments (the URL is the credential; protected videos are checked before it is given).
 */
export async function prepareVideoOutputs(outputs: VideoOutputs): Promise<void> {
  if (outputs.store?.kind === 's3') await (outputs.store as S3BlobStore).ensureBucket(['*']);
}
