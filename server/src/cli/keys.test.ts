import fs from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempDir } from '../../test/fixtures.ts';
import { openDatabase } from '../db/database.ts';
import { KeysRepo } from '../db/keys.ts';
import { runKeys } from './keys.ts';

let dir: string;
let out: string[];
let err: string[];
const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
beforeEach(() => {
  dir = tempDir('vodkit-keys-');
  out = [];
  err = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('creates, lists (without secrets) and revokes keys', async () => {
  expect(await runKeys(['create', 'my', 'app'], dir, io)).toBe(0);
  const created = JSON.parse(out[0]!) as { apiKey: string; secret: string; name: string };
  expect(created.name).toBe('my app');
  expect(created.secret.length).toBeGreaterThan(30);

  out = [];
  expect(await runKeys(['list', '--json'], dir, io)).toBe(0);
  expect(out.join('\n')).not.toContain(created.secret);
  expect(JSON.parse(out[0]!)).toEqual([expect.objectContaining({ apiKey: created.apiKey, revokedAt: null })]);

  out = [];
  expect(await runKeys(['revoke', created.apiKey], dir, io)).toBe(0);
  const db = openDatabase(dir);
  expect((await new KeysRepo(db).get(created.apiKey))?.revokedAt).toBeTruthy();
  db.close();

  out = [];
  expect(await runKeys(['list'], dir, io)).toBe(0);
  expect(out[0]).toMatch(/API KEY\s+NAME\s+CREATED\s+STATUS/);
  expect(out[0]).toContain('revoked');
});

it('fails clearly on unknown keys and commands', async () => {
  expect(await runKeys(['revoke', 'nosuchkey'], dir, io)).toBe(1);
  expect(err.join()).toContain('no key nosuchkey');
  expect(await runKeys(['frobnicate'], dir, io)).toBe(1);
  expect(await runKeys([], dir, io)).toBe(1);
});
