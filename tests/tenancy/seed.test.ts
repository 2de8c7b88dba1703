// The demo data the README promises: two businesses with a member in every role, two customers.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { asUser } from '../support/postgrest.ts';
import { signIn } from '../support/users.ts';

describe('seed', () => {
  it('has two businesses with one member in every role', async () => {
    const rows = await superuser()`
      select b.slug, array_agg(m.role::text order by m.role) as roles
      from public.businesses b join public.business_members m on m.business_id = b.id
      where b.slug in ('shamba-fresh', 'mama-mboga') group by b.slug order by b.slug`;
    expect(rows).toEqual([
      { slug: 'mama-mboga', roles: ['admin', 'approver', 'editor', 'viewer'] },
      { slug: 'shamba-fresh', roles: ['admin', 'approver', 'editor', 'viewer'] },
    ]);
  });

  it('demo accounts have confirmed e-mails, the documented password, identities and profiles', async () => {
    const rows = await superuser()`
      select u.email, u.encrypted_password = extensions.crypt('sokoni-demo-2026', u.encrypted_password) as password_ok,
             u.email_confirmed_at is not null as confirmed, i.id is not null as has_identity, p.full_name
      from auth.users u
      left join auth.identities i on i.user_id = u.id
      left join public.profiles p on p.id = u.id
      where u.email in ('amina.admin@shamba.example', 'imani.customer@example.com', 'juma.buyer@example.com')
      order by u.email`;
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ password_ok: true, confirmed: true, has_identity: true });
    expect(rows.map((r) => r.full_name)).toEqual(['Amina Wanjiru', 'Imani Chebet', 'Juma Said']);
  });

  it('a demo admin holds members.manage in their business only', async () => {
    const amina = await signIn('11111111-0000-4000-8000-000000000001');
    const { data } = await asUser(amina, (tx) => tx`
      select public.has_permission('aaaaaaaa-0000-4000-8000-000000000001', 'members.manage') as own,
             public.has_permission('aaaaaaaa-0000-4000-8000-000000000002', 'members.manage') as other`);
    expect(data![0]).toEqual({ own: true, other: false });
  });
});
