// Gates run by the real Supabase CLI against the test database: the advisors are clean, the
// committed database types are current, and config.toml is valid for the CLI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supabaseCli } from '../../scripts/lib/database-setup.ts';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';
import { generateTypes, TYPES_FILE } from '../../scripts/lib/types.ts';
import { dbPort } from '../support/db.ts';

interface Lint {
  name: string;
  level: 'ERROR' | 'WARN' | 'INFO';
  detail: string;
}

describe('supabase CLI gates', () => {
  it('db advisors report nothing at WARN or above', async () => {
    const output = await supabaseCli([
      'db', 'advisors', `--remote=${databaseUrl('postgres', dbPort())}`,
      '--type', 'all', '--level', 'info', '--output-format', 'json',
    ]);
    const report = JSON.parse(output);
    expect(report._tag).not.toBe('Error');
    const lints: Lint[] = report.results;
    expect(Array.isArray(lints)).toBe(true);
    const serious = lints.filter((lint) => lint.level !== 'INFO').map((lint) => `${lint.level} ${lint.name}: ${lint.detail}`);
    expect(serious).toEqual([]);
  }, 60_000);

  it('the committed database types are what `supabase gen types` produces now', async () => {
    const generated = await generateTypes(dbPort());
    expect(generated, 'run `npm run gen:types` and commit the result').toBe(readFileSync(TYPES_FILE, 'utf8'));
  }, 60_000);

  it('config.toml is accepted by the CLI', async () => {
    await expect(
      supabaseCli(['db', 'push', '--dry-run', `--remote=${databaseUrl('postgres', dbPort())}`, '--yes']),
    ).resolves.toBeTypeOf('string');
  }, 60_000);
});
