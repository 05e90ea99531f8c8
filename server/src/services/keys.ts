import type { ApiKey, CreatedApiKey } from '@vodkit/api';
import type { ApiKeyRow, KeysRepository } from '../db/repositories.ts';
import { ApiError } from '../errors.ts';
import type { AuthService, Principal } from './auth.ts';

/** Keys one key may have made through the API and not revoked: a bound on what a leaked admin token can mint. */
export const MAX_KEYS_PER_KEY = 100;

const publicKey = (row: ApiKeyRow, current: string): ApiKey => ({
  apiKey: row.apiKey,
  name: row.name,
  createdAt: row.createdAt,
  revokedAt: row.revokedAt,
  current: row.apiKey === current,
});

/**
 * `/v1/keys` (`allow_admin`): a key lists itself and the keys it made, makes new ones (the secret is
 * in that one answer only) and revokes those it made. A key never sees, nor revokes, another
 * tenant's keys — every key can mint `allow_admin` tokens for itself, so "admin" is admin of one's
 * own key. The keys CLI (`npm run keys`) manages them all.
 */
export class KeysService {
  constructor(
    private readonly keys: KeysRepository,
    private readonly auth: AuthService,
  ) {}

  async list(principal: Principal): Promise<{ data: ApiKey[] }> {
    const self = await this.keys.get(principal.apiKey);
    const made = await this.keys.listCreatedBy(principal.apiKey);
    return { data: [...(self ? [self] : []), ...made].map((r) => publicKey(r, principal.apiKey)) };
  }

  async create(principal: Principal, name: string | null): Promise<CreatedApiKey> {
    const made = await this.keys.listCreatedBy(principal.apiKey);
    if (made.filter((k) => !k.revokedAt).length >= MAX_KEYS_PER_KEY) {
      throw new ApiError('conflict', `this key has made ${MAX_KEYS_PER_KEY} active keys: revoke one first`);
    }
    const { apiKey, secret } = await this.auth.createKey(name, { createdBy: principal.apiKey });
    const row = (await this.keys.get(apiKey))!;
    return { ...publicKey(row, principal.apiKey), secret };
  }

  async revoke(principal: Principal, apiKey: string): Promise<ApiKey> {
    if (apiKey === principal.apiKey) {
      throw new ApiError(
        'conflict',
        'a key does not revoke itself here: use `npm run keys -- revoke` on the server',
      );
    }
    const row = await this.keys.get(apiKey);
    // Another tenant's key is as absent as a missing one.
    if (!row || row.createdBy !== principal.apiKey) throw new ApiError('not_found', `no key ${apiKey}`);
    await this.keys.revoke(apiKey);
    return publicKey((await this.keys.get(apiKey))!, principal.apiKey);
  }
}
