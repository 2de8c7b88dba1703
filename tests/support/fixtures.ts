// Shared fixtures: a business with one member in every role, and plain customers.
import { asUser } from './postgrest.ts';
import { superuser } from './db.ts';
import { createUser, signIn, uniqueEmail, type TestUser } from './users.ts';

export type BusinessRole = 'admin' | 'approver' | 'editor' | 'viewer';

export interface BusinessFixture {
  id: string;
  slug: string;
  admin: TestUser;
  approver: TestUser;
  editor: TestUser;
  viewer: TestUser;
}

let count = 0;

/** A business created through create_business by its admin, plus one member per other role. */
export async function createBusiness(label = 'shop'): Promise<BusinessFixture> {
  const admin = await createUser({ email: uniqueEmail(`${label}-admin`), userMetadata: { full_name: `${label} admin` } });
  const slug = `${label}-${process.pid}-${Date.now()}-${++count}`;
  const created = await asUser(admin, (tx) => tx`select public.create_business(name := ${`${label} ${count}`}, slug := ${slug}) as id`);
  if (created.error) throw new Error(`create_business failed: ${created.error.message}`);
  const id = created.data[0].id as string;
  const members: Partial<Record<BusinessRole, TestUser>> = {};
  for (const role of ['approver', 'editor', 'viewer'] as const) {
    const user = await createUser({ email: uniqueEmail(`${label}-${role}`), userMetadata: { full_name: `${label} ${role}` } });
    await superuser()`insert into public.business_members (business_id, user_id, role) values (${id}, ${user.id}, ${role})`;
    // Sign in again so the token carries the membership, as after a refresh.
    members[role] = await signIn(user.id);
  }
  return { id, slug, admin: await signIn(admin.id), ...(members as Record<Exclude<BusinessRole, 'admin'>, TestUser>) };
}

export function createCustomer(label = 'customer'): Promise<TestUser> {
  return createUser({ email: uniqueEmail(label), userMetadata: { full_name: `${label} buyer` } });
}
