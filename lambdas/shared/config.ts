// Environment variables, each read once: the table name at load, the rest (`lazy`) on first need, since
// many serve only some routes of a function. A missing or malformed variable fails with its name.
import type { EnvName } from '../../lib/definitions.ts';

export class ConfigError extends Error {}

export function requireEnv(name: EnvName): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigError(`Environment variable ${name} is required`);
  return value;
}

export function optionalEnv(name: EnvName): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function intEnv(name: EnvName, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = optionalEnv(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`Environment variable ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Reads a value lazily, once: for config only some routes of a function need. */
export function lazy<T>(read: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    if (!value) value = { v: read() };
    return value.v;
  };
}
