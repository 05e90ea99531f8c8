import { Upload, type UploadOptions } from 'tus-js-client';

export interface TusUploadOptions extends Partial<UploadOptions> {
  /** The Vodkit server, e.g. `http://127.0.0.1:18000`. */
  baseUrl: string;
  /** An API JWT with `allow_upload`. */
  bearer: string;
}

/**
 * Uploads with the official tus-js-client, as a customer's Node app would (no retries, so a refusal
 * surfaces at once); resolves with the upload URL. Options override the defaults, metadata included.
 */
export function tusUpload(data: Buffer, options: TusUploadOptions): Promise<string> {
  const { baseUrl, bearer, ...rest } = options;
  return new Promise((resolve, reject) => {
    const upload = new Upload(data, {
      endpoint: `${baseUrl}/v1/uploads`,
      headers: { Authorization: `Bearer ${bearer}` },
      metadata: { filename: 'clip.mp4', filetype: 'video/mp4', title: 'A test clip' },
      retryDelays: [],
      ...rest,
      onSuccess: () => resolve(upload.url!),
      onError: reject,
    });
    upload.start();
  });
}

/** The upload id is the file id: the last segment of the upload URL. */
export const fileIdOf = (uploadUrl: string): string => uploadUrl.split('/').pop()!;
