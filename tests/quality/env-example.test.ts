// .env.example lists every variable a function reads, and functions read the environment only
// through functions/_shared/env.ts, with literal names, so that this scan sees them all.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';

const FUNCTIONS = path.join(ROOT, 'functions');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.types.ts') ? [full] : [];
  });
}

const files = sources(FUNCTIONS).map((file) => ({ file: path.relative(ROOT, file), text: readFileSync(file, 'utf8') }));
const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');

describe('the functions\' environment', () => {
  it('is read only through functions/_shared/env.ts', () => {
    const elsewhere = files.filter(({ file, text }) => file !== path.join('functions', '_shared', 'env.ts') && /\b(Deno\.env|process\.env)\b/.test(text));
    expect(elsewhere.map(({ file }) => file)).toEqual([]);
  });

  it('is read by literal names (what the next test can see)', () => {
    const calls = files.flatMap(({ file, text }) =>
      [...text.matchAll(/\benv(?:Text|Int)\(([^,)]*)/g)].map((match) => ({ file, argument: match[1].trim() }))
    ).filter(({ file }) => file !== path.join('functions', '_shared', 'env.ts'));
    expect(calls.length).toBeGreaterThan(20);
    expect(calls.filter(({ argument }) => !/^'[A-Z][A-Z0-9_]*'$/.test(argument))).toEqual([]);
  });

  it('every variable a function reads is listed in .env.example', () => {
    const names = new Set(files.flatMap(({ text }) => [...text.matchAll(/\benv(?:Text|Int)\('([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1])));
    expect(names).toContain('GEMINI_API_KEY');
    const missing = [...names].filter((name) => !new RegExp(`(^|[^A-Z0-9_])${name}([^A-Z0-9_]|$)`, 'm').test(example));
    expect(missing).toEqual([]);
  });

  it('.env.example assigns only variables something reads (no stale entries)', () => {
    const read = new Set(files.flatMap(({ text }) => [...text.matchAll(/\benv(?:Text|Int)\('([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1])));
    const assigned = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    expect(assigned.filter((name) => !read.has(name))).toEqual([]);
  });
});
