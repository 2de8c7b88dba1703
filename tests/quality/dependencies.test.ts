// The functions' import map (deno.json) pins the same versions npm installed, so Deno resolves
// them offline from node_modules and a hosted deploy bundles exactly what the tests ran.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';

describe('dependency pins', () => {
  const deno = JSON.parse(readFileSync(path.join(ROOT, 'deno.json'), 'utf8')) as { imports: Record<string, string> };
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

  it.each(Object.entries(deno.imports))('deno.json %s matches package.json', (name, specifier) => {
    const match = /^npm:(@?[^@]+)@(.+)$/.exec(specifier);
    expect(match, `${specifier} is an npm: specifier`).not.toBeNull();
    expect(match![1]).toBe(name);
    expect(pkg.devDependencies[name]).toBe(match![2]);
  });

  it('package.json pins exact versions', () => {
    const ranges = Object.entries(pkg.devDependencies).filter(([, version]) => !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version));
    expect(ranges).toEqual([]);
  });
});
