import fs from 'node:fs';
import path from 'node:path';
import type { Permission } from '@vodkit/api';
import { signToken } from '@vodkit/api/sign';

/** The server global-setup started. */
export const baseUrl = (): string => {
  const url = process.env.VOD_E2E_BASE_URL;
  if (!url) throw new Error('VOD_E2E_BASE_URL is not set: run the specs through playwright.config.ts');
  return url;
};

export function devKey(): { apiKey: string; secret: string } {
  const dir = process.env.VOD_E2E_DATA_DIR!;
  return JSON.parse(fs.readFileSync(path.join(dir, 'dev-key.json'), 'utf8'));
}

/** An API JWT of the dev key, as a customer's app server would sign it. */
export function apiToken(
  permissions: Permission[] = ['allow_upload', 'allow_encode', 'allow_read', 'allow_delete'],
): Promise<string> {
  const { apiKey, secret } = devKey();
  return signToken({ apiKey, secret, permissions });
}

/**
 * A token of the demo's sandbox key, from the demo's own token route (as the demo pages get
 * theirs): what those pages upload belongs to the sandbox key, not to the dev key.
 */
export async function demoToken(): Promise<string> {
  const res = await fetch(`${baseUrl()}/demo-app/token`, { method: 'POST' });
  if (!res.ok) throw new Error(`POST /demo-app/token: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}
