// Gates run by the real Supabase CLI against a database built from the migrations alone (the
// shared test database holds whatever other suites create): the advisors are clean, the
// committed database types are current, and config.toml is valid for the CLI.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supabaseCli } from '../../scripts/lib/database-setup.ts';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';
import { type ScratchDatabase, startScratchDatabase } from '../../scripts/lib/scratch-database.ts';
import { generateTypes, TYPES_FILE } from '../../scripts/lib/types.ts';

interface Lint {
  name: string;
  level: 'ERROR' | 'WARN' | 'INFO';
  detail: string;
}

describe('supabase CLI gates', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await startScratchDatabase();
  }, 120_000);
  afterAll(() => db?.stop());

  it('db advisors report nothing at WARN or above', async () => {
    const output = await supabaseCli([
      'db', 'advisors', `--remote=${databaseUrl('postgres', db.port)}`,
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
    const generated = await generateTypes(db.port);
    expect(generated, 'run `npm run gen:types` and commit the result').toBe(readFileSync(TYPES_FILE, 'utf8'));
  }, 60_000);

  it('config.toml is accepted by the CLI', async () => {
    await expect(
      supabaseCli(['db', 'push', '--dry-run', `--remote=${databaseUrl('postgres', db.port)}`, '--yes']),
    ).resolves.toBeTypeOf('string');
  }, 60_000);
});
