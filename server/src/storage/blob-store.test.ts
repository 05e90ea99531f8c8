import { blobStoreContract } from '../../test/blob-store-contract.ts';
import { tempDir } from '../../test/fixtures.ts';
import { LocalBlobStore } from './blob-store.ts';

// The S3 half of this contract runs against a real radosgw in server/scale/blob-store.test.ts.
blobStoreContract('local disk', async () => new LocalBlobStore(tempDir('vodkit-blobs-')));
