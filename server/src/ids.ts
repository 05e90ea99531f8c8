import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random lowercase id (about 103 bits): safe in paths and URLs, and hard to guess. */
export function newId(length = 20): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

/** Ids we mint are lowercase alphanumerics; anything else never reaches the filesystem. */
export function isValidId(id: string): boolean {
  return /^[a-z0-9]{8,64}$/.test(id);
}
