import fs from 'node:fs';
import type { LaunchOptions } from '@playwright/test';

/**
 * How every browser of the suite, the scale test and the benches starts: Debian's Chromium
 * (CHROMIUM_PATH overrides; Playwright's own browser only when neither exists), with the flags it
 * needs as root and autoplay allowed. `extraArgs` for what one caller adds.
 */
export function chromiumLaunchOptions(extraArgs: string[] = []): LaunchOptions {
  const executablePath =
    process.env.CHROMIUM_PATH || (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  return {
    ...(executablePath ? { executablePath } : {}),
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
      '--autoplay-policy=no-user-gesture-required',
    ],
  };
}
