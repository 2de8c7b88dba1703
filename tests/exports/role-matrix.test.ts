// export_jobs × every actor × select/insert/update/delete: orders.export holders of the
// business read its jobs; only the function (and the service role) writes them. Writes run
// with `Prefer: tx=rollback`.
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';

let world: World;
let jobId: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('jobs'), createBusiness('jobs-rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  [{ id: jobId }] = await superuser()`
    insert into public.export_jobs (business_id, requested_by) values (${business.id}, ${business.admin.id}) returning id`;
});

const serviceRoleOnly = outcomes(['serviceRole'], { users: 'denied', anon: 'denied' });

const cases: MatrixCase[] = [
  {
    table: 'export_jobs', operation: 'select',
    run: (tx) => tx`select id, storage_path from public.export_jobs where id = ${jobId}`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'export_jobs', operation: 'insert',
    run: (tx) => tx`insert into public.export_jobs (business_id) values (${world.business.id}) returning id`,
    expected: serviceRoleOnly,
  },
  {
    table: 'export_jobs', operation: 'update',
    run: (tx) => tx`update public.export_jobs set expires_at = now() + interval '1 year' where id = ${jobId} returning id`,
    expected: serviceRoleOnly,
  },
  {
    table: 'export_jobs', operation: 'delete',
    run: (tx) => tx`delete from public.export_jobs where id = ${jobId} returning id`,
    expected: serviceRoleOnly,
  },
];

describeMatrix(cases, () => world);

describe('exports bucket', () => {
  it('is private and has no storage policy: only the service key reaches its objects', async () => {
    const [bucket] = await superuser()`select public, allowed_mime_types from storage.buckets where id = 'exports'`;
    expect(bucket).toEqual({ public: false, allowed_mime_types: ['application/gzip'] });
    const policies = await superuser()`
      select policyname from pg_policies where schemaname = 'storage' and (qual ilike '%exports%' or with_check ilike '%exports%')`;
    expect(policies).toHaveLength(0);
  });
});
