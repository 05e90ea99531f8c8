import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { type ApiKeyRow, KeysRepo, SecretKeyMissingError } from '../db/keys.ts';
import { AuthService } from '../services/auth.ts';

const USAGE = `Manage Vodkit API keys (in the database of VOD_DATA_DIR, default ./data).

  npm run keys -- create [name]      create a key; prints {apiKey, secret} once, as JSON
  npm run keys -- list [--json]      list keys (never their secrets)
  npm run keys -- revoke <apiKey>    revoke a key: its tokens stop working at once
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs one command against `<dataDir>/vodkit.sqlite`; returns the exit code. */
export function runKeys(args: string[], dataDir: string, io: CliIo, secretKey: Buffer | null = null): number {
  const [command, ...rest] = args;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command ? 0 : 1;
  }
  const db = openDatabase(dataDir);
  try {
    let keys: KeysRepo;
    try {
      keys = new KeysRepo(db, secretKey);
    } catch (err) {
      if (!(err instanceof SecretKeyMissingError)) throw err;
      io.err(err.message);
      return 1;
    }
    switch (command) {
      case 'create': {
        const name = rest.filter((a) => !a.startsWith('--')).join(' ') || null;
        const key = new AuthService(keys).createKey(name);
        io.out(JSON.stringify({ ...key, name }, null, 2));
        io.err('Keep the secret on your app server: it is not shown again.');
        return 0;
      }
      case 'list': {
        const rows = keys.list();
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
        const existing = keys.get(apiKey);
        if (!existing) {
          io.err(`no key ${apiKey}`);
          return 1;
        }
        if (existing.revokedAt) {
          io.err(`key ${apiKey} was already revoked at ${existing.revokedAt}`);
          return 0;
        }
        keys.revoke(apiKey);
        io.out(`revoked ${apiKey}`);
        return 0;
      }
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } finally {
    db.close();
  }
}

function publicView(row: ApiKeyRow): Omit<ApiKeyRow, 'secret'> {
  return {
    apiKey: row.apiKey,
    name: row.name,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    sandbox: row.sandbox,
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
  let dataDir: string;
  let secretKey: Buffer | null;
  try {
    ({ dataDir, secretKey } = loadConfig());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vodkit keys: configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  process.exitCode = runKeys(
    process.argv.slice(2),
    dataDir,
    { out: (line) => console.log(line), err: (line) => console.error(line) },
    secretKey,
  );
}
