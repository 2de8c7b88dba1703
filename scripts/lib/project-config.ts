// Reads supabase/config.toml: the same file the Supabase CLI uses.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { ROOT } from './local-platform.ts';

export interface FunctionConfig {
  name: string;
  verifyJwt: boolean;
  /** Absolute path of the function's entrypoint. */
  entrypoint: string;
}

interface RawFunction {
  enabled?: boolean;
  verify_jwt?: boolean;
  entrypoint?: string;
}

export function readConfig(): Record<string, unknown> {
  return parse(readFileSync(path.join(ROOT, 'supabase', 'config.toml'), 'utf8'));
}

/**
 * Every function folder in functions/ (names starting with `_` are shared code), with the
 * settings of its `[functions.<name>]` table. As with the CLI, verify_jwt defaults to true.
 */
export function functionConfigs(config = readConfig()): FunctionConfig[] {
  const declared = (config.functions ?? {}) as Record<string, RawFunction>;
  const functionsDir = path.join(ROOT, 'functions');
  const folders = readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_'))
    .map((entry) => entry.name);
  const names = [...new Set([...folders, ...Object.keys(declared)])].sort();
  return names
    .filter((name) => declared[name]?.enabled !== false)
    .map((name) => {
      const raw = declared[name] ?? {};
      const entrypoint = raw.entrypoint
        ? path.resolve(ROOT, 'supabase', raw.entrypoint)
        : path.join(functionsDir, name, 'index.ts');
      if (!existsSync(entrypoint)) throw new Error(`functions.${name}: no entrypoint at ${entrypoint}`);
      return { name, verifyJwt: raw.verify_jwt ?? true, entrypoint };
    });
}

/** KEY=value lines of a git-ignored .env file (the project's own secrets), if present. */
export function readDotEnv(file = path.join(ROOT, '.env')): Record<string, string> {
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}
