// Every tenancy table × every role × select/insert/update/delete, through PostgREST-faithful
// requests. Writes run with `Prefer: tx=rollback`, so each case sees the same data.
import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { ACTORS, describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';
import { asUser } from '../support/postgrest.ts';
import { createUser, uniqueEmail } from '../support/users.ts';

let world: World;
let orphanUserId: string;
let invitationId: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('matrix'), createBusiness('rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  const invited = await asUser(business.admin, (tx) =>
    tx`select (public.invite_member(business_id := ${business.id}, email := ${uniqueEmail('invitee')}, role := 'editor')).id`);
  invitationId = invited.data![0].id;
  // An auth user without a profile, so that inserting one is possible in principle.
  const orphan = await createUser();
  await superuser()`delete from public.profiles where id = ${orphan.id}`;
  orphanUserId = orphan.id;
});

const refusedToAll = outcomes(['serviceRole'], { users: 'denied', anon: 'denied' });

const cases: MatrixCase[] = [
  // profiles: private to their owner.
  {
    table: 'profiles', operation: 'select',
    run: (tx) => tx`select id, full_name, tax_id from public.profiles where id = ${world.business.admin.id}`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'profiles', operation: 'insert',
    run: (tx) => tx`insert into public.profiles (id, full_name) values (${orphanUserId}, 'x') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'profiles', operation: 'update',
    run: (tx) => tx`update public.profiles set full_name = 'Renamed' where id = ${world.business.admin.id} returning id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'profiles', operation: 'delete',
    run: (tx) => tx`delete from public.profiles where id = ${world.business.admin.id} returning id`,
    expected: refusedToAll,
  },
  // businesses: public storefronts, managed by business.manage holders.
  {
    table: 'businesses', operation: 'select',
    run: (tx) => tx`select id, name from public.businesses where id = ${world.business.id}`,
    expected: outcomes([...ACTORS], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'businesses', operation: 'insert',
    run: (tx) => tx`insert into public.businesses (name, slug) values ('Direct', ${`direct-${randomUUID()}`}) returning id`,
    expected: refusedToAll,
  },
  {
    table: 'businesses', operation: 'update',
    run: (tx) => tx`update public.businesses set description = 'Fresh' where id = ${world.business.id} returning id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'businesses', operation: 'delete',
    run: (tx) => tx`delete from public.businesses where id = ${world.business.id} returning id`,
    expected: refusedToAll,
  },
  // business_members: readable by the business's members, written only by the RPCs.
  {
    table: 'business_members', operation: 'select',
    run: (tx) => tx`select user_id, role from public.business_members where business_id = ${world.business.id}`,
    expected: outcomes(['viewer', 'editor', 'approver', 'admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'business_members', operation: 'insert',
    run: (tx) => tx`insert into public.business_members (business_id, user_id, role)
                    values (${world.business.id}, ${world.customer.id}, 'admin') returning user_id`,
    expected: refusedToAll,
  },
  {
    table: 'business_members', operation: 'update',
    run: (tx) => tx`update public.business_members set role = 'admin'
                    where business_id = ${world.business.id} and user_id = ${world.business.viewer.id} returning user_id`,
    expected: refusedToAll,
  },
  {
    table: 'business_members', operation: 'delete',
    run: (tx) => tx`delete from public.business_members
                    where business_id = ${world.business.id} and user_id = ${world.business.viewer.id} returning user_id`,
    expected: refusedToAll,
  },
  // role_permissions: data that signed-in users may read and only administrators change.
  {
    table: 'role_permissions', operation: 'select',
    run: (tx) => tx`select role, permission from public.role_permissions`,
    expected: outcomes(ACTORS.filter((a) => a !== 'anon'), { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'role_permissions', operation: 'insert',
    run: (tx) => tx`insert into public.role_permissions (role, permission) values ('viewer', 'orders.export') returning role`,
    expected: refusedToAll,
  },
  {
    table: 'role_permissions', operation: 'update',
    run: (tx) => tx`update public.role_permissions set permission = 'members.manage'
                    where role = 'viewer' and permission = 'products.read' returning role`,
    expected: refusedToAll,
  },
  {
    table: 'role_permissions', operation: 'delete',
    run: (tx) => tx`delete from public.role_permissions where role = 'admin' and permission = 'members.manage' returning role`,
    expected: refusedToAll,
  },
  // invitations: visible to the business's member managers, written only by the RPCs.
  {
    table: 'invitations', operation: 'select',
    run: (tx) => tx`select id, token from public.invitations where id = ${invitationId}`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'invitations', operation: 'insert',
    run: (tx) => tx`insert into public.invitations (business_id, email, role)
                    values (${world.business.id}, 'direct@example.test', 'admin') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'invitations', operation: 'update',
    run: (tx) => tx`update public.invitations set role = 'admin' where id = ${invitationId} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'invitations', operation: 'delete',
    run: (tx) => tx`delete from public.invitations where id = ${invitationId} returning id`,
    expected: refusedToAll,
  },
];

describeMatrix(cases, () => world);
