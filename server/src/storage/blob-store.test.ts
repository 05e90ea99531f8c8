import fs from 'node:fs';
import { afterAll } from 'vitest';
import { blobStoreContract } from '../../test/blob-store-contract.ts';
import { tempDir } from '../../test/fixtures.ts';
import { LocalBlobStore } from './blob-store.ts';

const root = tempDir('vodkit-blobs-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// The S3 half of this contract runs against a real radosgw in server/scale/blob-store.test.ts.
blobStoreContract('local disk', async () => new LocalBlobStore(root));
