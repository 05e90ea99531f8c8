import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Stored secrets that start with this are AES-256-GCM sealed: `v1:` + base64url(iv ‖ tag ‖ ciphertext). */
const PREFIX = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** The database holds sealed secrets but the server was started without `VOD_SECRET_KEY`. */
export class SecretKeyMissingError extends Error {
  override readonly name = 'SecretKeyMissingError';
}

/** The associated data of sealed webhook secrets: which row a value belongs to, in a namespace of its own. */
export const endpointAad = (endpointId: string): string => `webhook-endpoint:${endpointId}`;
export const signingAad = (apiKey: string): string => `webhook-signing:${apiKey}`;

/**
 * At boot, for both engines: refuses a database whose sealed secrets (`what`: "API secrets",
 * "webhook secrets") this key does not open, or that holds sealed secrets while no key is set.
 * The caller then seals the plain ones when there is a key.
 */
export function checkSealed(
  secretKey: Buffer | null,
  rows: readonly { aad: string; secret: string }[],
  what: string,
): void {
  if (!secretKey) {
    if (rows.some((r) => isSealed(r.secret))) {
      throw new SecretKeyMissingError(
        `the database holds encrypted ${what}: start the server with the same VOD_SECRET_KEY`,
      );
    }
    return;
  }
  for (const r of rows) {
    if (!isSealed(r.secret)) continue;
    try {
      unseal(secretKey, r.aad, r.secret);
    } catch {
      throw new SecretKeyMissingError(
        `VOD_SECRET_KEY does not open the ${what} in this database: start with the key they were sealed with`,
      );
    }
  }
}

/** A secret as stored: sealed when the server has a key, as it is when it runs without one. */
export function sealIfKeyed(key: Buffer | null, aad: string, secret: string): string {
  return key ? seal(key, aad, secret) : secret;
}

/**
 * A stored secret in the clear: opened when sealed. Without a key a sealed value cannot be read, and
 * `unkeyed` says what stands in for it (the boot check, `checkSealed`, refuses that case anyway).
 */
export function openIfSealed(key: Buffer | null, aad: string, stored: string, unkeyed = stored): string {
  if (!isSealed(stored)) return stored;
  return key ? unseal(key, aad, stored) : unkeyed;
}

/**
 * Seals a secret with the server's `VOD_SECRET_KEY`. `apiKey` is the associated data: the API key id
 * for API secrets, a namespaced row id for webhook secrets (db/webhooks.ts), so a sealed secret copied
 * onto another row does not open.
 */
export function seal(key: Buffer, apiKey: string, secret: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(apiKey));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** Opens a sealed secret; throws when the key is wrong or the value was tampered with. */
export function unseal(key: Buffer, apiKey: string, stored: string): string {
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(apiKey));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
    'utf8',
  );
}
