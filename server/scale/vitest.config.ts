import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The scale-out suite (issue 8): real PostgreSQL and a real S3 server (Ceph radosgw), started once by
 * global-setup.ts through scripts/services.sh. `npm run test:scale` runs it when the binaries are here.
 */
export default defineConfig({
  root,
  test: {
    include: ['server/scale/**/*.test.ts'],
    globalSetup: [path.join(import.meta.dirname, 'global-setup.ts')],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
