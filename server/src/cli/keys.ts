import { pathToFileURL } from 'node:url';
import { type Config, ConfigError, loadConfig } from '../config.ts';
import { type ApiKeyRow, SecretKeyMissingError } from '../db/keys.ts';
import { openRepositories } from '../db/open.ts';
import type { Repositories } from '../db/repositories.ts';
import { AuthService } from '../services/auth.ts';
import { StudioService } from '../services/studio.ts';

const USAGE = `Manage Vodkit API keys (in VOD_DATABASE_URL, else the database of VOD_DATA_DIR, default ./data).

  npm run keys -- create [name]      create a key; prints {apiKey, secret} once, as JSON
  npm run keys -- list [--json]      list keys (never their secrets)
  npm run keys -- revoke <apiKey>    revoke a key: its tokens stop working at once
  npm run keys -- login [apiKey]     print a one-time Studio sign-in link (10 min) for the key
                                     (default: the only usable key that is not the demo sandbox)
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs one command against `<dataDir>/vodkit.sqlite` (or the configured PostgreSQL); returns the exit code. */
export async function runKeys(
  args: string[],
  dataDir: string,
  io: CliIo,
  secretKey: Buffer | null = null,
  scale: Config['scale'] = { role: 'all', databaseUrl: null, s3: null },
  publicUrl = 'http://localhost:8080',
): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 1;
  }
  let repos: Repositories;
  try {
    repos = await openRepositories({ dataDir, secretKey, scale });
  } catch (err) {
    if (!(err instanceof SecretKeyMissingError || err instanceof ConfigError)) throw err;
    io.err(err.message);
    return 1;
  }
  const keys = repos.keys;
  try {
    switch (command) {
      case 'create': {
        const name = rest.filter((a) => !a.startsWith('--')).join(' ') || null;
        const key = await new AuthService(keys).createKey(name);
        io.out(JSON.stringify({ ...key, name }, null, 2));
        io.err('Keep the secret on your app server: it is not shown again.');
        return 0;
      }
      case 'list': {
        const rows = await keys.list();
        if (rest.includes('--json')) io.out(JSON.stringify(rows.map(publicView), null, 2));
        else io.out(table(rows));
        return 0;
      }
      case 'revoke': {
        const apiKey = rest[0];
        if (!apiKey) {
          io.err('usage: npm run keys -- revoke <apiKey>');
          return 1;
        }
        const existing = await keys.get(apiKey);
        if (!existing) {
          io.err(`no key ${apiKey}`);
          return 1;
        }
        if (existing.revokedAt) {
          io.err(`key ${apiKey} was already revoked at ${existing.revokedAt}`);
          return 0;
        }
        await keys.revoke(apiKey);
        io.out(`revoked ${apiKey}`);
        return 0;
      }
      case 'login': {
        let apiKey = rest.find((a) => !a.startsWith('--'));
        if (!apiKey) {
          const usable = (await keys.list()).filter((k) => !k.revokedAt && !k.sandbox);
          if (usable.length !== 1) {
            io.err(`name the key: npm run keys -- login <apiKey> (${usable.length} usable keys)`);
            return 1;
          }
          apiKey = usable[0]!.apiKey;
        }
        const studio = new StudioService({ sessions: repos.studioSessions, keys, sessionTtlS: 0 });
        let link: { token: string; expiresAt: string };
        try {
          link = await studio.createLoginLink(apiKey);
        } catch {
          io.err(`no usable key ${apiKey}`);
          return 1;
        }
        // In the fragment: it never reaches a server log or a Referer; the page posts it once.
        io.out(`${publicUrl.replace(/\/+$/, '')}/studio#link=${link.token}`);
        io.err(`Signs in to the Studio once, as ${apiKey}, until ${link.expiresAt}.`);
        return 0;
      }
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } finally {
    await repos.close();
  }
}

function publicView(row: ApiKeyRow): Omit<ApiKeyRow, 'secret'> {
  return {
    apiKey: row.apiKey,
    name: row.name,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    sandbox: row.sandbox,
    createdBy: row.createdBy,
  };
}

function table(rows: ApiKeyRow[]): string {
  if (rows.length === 0) return 'no keys yet: npm run keys -- create [name]';
  const lines = [
    ['API KEY', 'NAME', 'CREATED', 'STATUS'],
    ...rows.map((r) => [
      r.apiKey,
      r.name ?? '',
      r.createdAt,
      r.revokedAt ? `revoked ${r.revokedAt}` : 'active',
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vodkit keys: configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  process.exitCode = await runKeys(
    process.argv.slice(2),
    config.dataDir,
    { out: (line) => console.log(line), err: (line) => console.error(line) },
    config.secretKey,
    config.scale,
    config.publicUrl,
  );
}
