import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../server/test/chromium.ts';

export default defineConfig({
  testDir: './tests',
  // Encoding uses every core: one test file at a time keeps the 2-core CI honest.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  globalSetup: './global-setup.ts',
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions(['--disable-quic']),
  },
});
