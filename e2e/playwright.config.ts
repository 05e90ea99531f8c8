import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from '../server/test/chromium.ts';

export default defineConfig({
  testDir: './tests',
  // Two test files at a time (each test in a file in order, they share fixtures): many tests spend
  // seconds waiting on a real clock (a token's expiry, a retry's back-off), which the other file uses.
  // The whole suite then takes ~4.6 min instead of ~5.3 on 2 cores; more workers would only share the
  // same cores between more Chromiums and ffmpeg jobs.
  workers: 2,
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
