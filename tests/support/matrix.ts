// Table-driven role matrices: every actor runs every case through the PostgREST-faithful
// helpers and the outcome is classified as PostgREST clients would see it.
import type postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { asAnon, asServiceRole, asUser, type Tx } from './postgrest.ts';
import type { BusinessFixture } from './fixtures.ts';
import type { TestUser } from './users.ts';

export const ACTORS = [
  'anon', 'customer', 'otherCustomer', 'viewer', 'editor', 'approver', 'admin', 'otherAdmin', 'serviceRole',
] as const;
export type Actor = (typeof ACTORS)[number];

/** allowed: ran and saw or changed rows; filtered: ran, but RLS left it no rows; denied: 42501. */
export type Outcome = 'allowed' | 'filtered' | 'denied';
export type Operation = 'select' | 'insert' | 'update' | 'delete';

export interface MatrixCase {
  table: string;
  operation: Operation;
  /** Returns the rows the statement saw or changed (use RETURNING for writes). */
  run: (tx: Tx) => Promise<postgres.Row[]>;
  expected: Record<Actor, Outcome>;
}

export interface World {
  business: BusinessFixture;
  otherBusiness: BusinessFixture;
  customer: TestUser;
  otherCustomer: TestUser;
}

/** `allowed` for the listed actors; the rest as `others` says (anon may differ from users). */
export function outcomes(allowed: Actor[], others: { users: Outcome; anon: Outcome }): Record<Actor, Outcome> {
  return Object.fromEntries(
    ACTORS.map((actor) => [actor, allowed.includes(actor) ? 'allowed' : actor === 'anon' ? others.anon : others.users]),
  ) as Record<Actor, Outcome>;
}

export async function runAs(actor: Actor, world: World, matrixCase: MatrixCase): Promise<Outcome> {
  const options = matrixCase.operation === 'select' ? { method: 'GET' as const } : { method: 'POST' as const, rollback: true };
  const users: Record<Exclude<Actor, 'anon' | 'serviceRole'>, TestUser> = {
    customer: world.customer,
    otherCustomer: world.otherCustomer,
    viewer: world.business.viewer,
    editor: world.business.editor,
    approver: world.business.approver,
    admin: world.business.admin,
    otherAdmin: world.otherBusiness.admin,
  };
  const result = actor === 'anon'
    ? await asAnon(matrixCase.run, options)
    : actor === 'serviceRole'
    ? await asServiceRole(matrixCase.run, options)
    : await asUser(users[actor], matrixCase.run, options);
  if (result.error) {
    if (result.error.code === '42501') return 'denied';
    throw new Error(`${actor} ${matrixCase.operation} ${matrixCase.table}: unexpected ${result.error.code} ${result.error.message}`);
  }
  return result.data.length > 0 ? 'allowed' : 'filtered';
}

/** One test per case and actor: each actor's outcome must be the one the case expects. */
export function describeMatrix(cases: MatrixCase[], world: () => World): void {
  describe.each(cases)('$table $operation', (matrixCase) => {
    it.each(ACTORS)('%s', async (actor) => {
      expect(await runAs(actor, world(), matrixCase)).toBe(matrixCase.expected[actor]);
    });
  });
}
