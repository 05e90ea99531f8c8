/**
 * What config.ts and config-scale.ts share: the error they throw and the parsers of one variable.
 * Its own module so that neither configuration module imports the other (config.ts reads the scale
 * part through config-scale.ts).
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A whole number from `min` to `max`; `fallback` when unset or empty. */
export function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** `1`/`true` or `0`/`false`; anything else is pushed to `mistakes` (reported with the others). */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean, mistakes: string[]): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  mistakes.push(`${name} must be 1 or 0, got "${raw}"`);
  return fallback;
}
