// The roles and grants of the platform stand-in hold what SUPABASE-PLATFORM.md says.
import { describe, expect, it } from 'vitest';
import { asAnon, asServiceRole, asUser } from '../support/postgrest.ts';
import { connectAs, newConnection, superuser } from '../support/db.ts';
import { createUser } from '../support/users.ts';

describe('platform roles', () => {
  it('postgres is not a superuser yet bypasses RLS, like on a hosted project', async () => {
    const [role] = await superuser()`select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = 'postgres'`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: true, rolcreaterole: true, rolcreatedb: true });
    const [me] = await connectAs('postgres')`select current_setting('is_superuser') as is_superuser`;
    expect(me.is_superuser).toBe('off');
  });

  it('postgres reads rows that RLS hides from the API roles', async () => {
    const admin = superuser();
    await admin`create table if not exists public.platform_rls_probe (id int primary key)`;
    await admin`alter table public.platform_rls_probe enable row level security`;
    await admin`grant select on public.platform_rls_probe to postgres, anon, service_role`;
    await admin`insert into public.platform_rls_probe values (1) on conflict do nothing`;
    const asPostgres = await connectAs('postgres')`select id from public.platform_rls_probe`;
    expect(asPostgres).toHaveLength(1);
    const anon = await asAnon((tx) => tx`select id from public.platform_rls_probe`, { method: 'GET' });
    expect(anon.data).toHaveLength(0);
  });

  it('authenticator reads nothing before it switches role', async () => {
    const authenticator = newConnection('authenticator');
    try {
      const [attrs] = await authenticator`select rolinherit from pg_roles where rolname = current_user`;
      expect(attrs.rolinherit).toBe(false);
      await expect(authenticator`select count(*) from auth.users`).rejects.toMatchObject({ code: '42501' });
    } finally {
      await authenticator.end();
    }
  });

  it('anon statements time out after 3 s, as the role setting says', async () => {
    const result = await asAnon((tx) => tx`select pg_sleep(3.5)`);
    expect(result.error).toMatchObject({ code: '57014' });
    const [setting] = await asAnon((tx) => tx`select current_setting('statement_timeout') as value`).then((r) => r.data!);
    expect(setting.value).toBe('3s');
  });

  it('authenticated statements get 8 s', async () => {
    const user = await createUser();
    const result = await asUser(user, (tx) => tx`select current_setting('statement_timeout') as value`);
    expect(result.data?.[0].value).toBe('8s');
  });

  it('service_role bypasses RLS', async () => {
    const result = await asServiceRole((tx) => tx`select count(*)::int as n from public.platform_rls_probe`);
    expect(result.data?.[0].n).toBe(1);
  });

  it('a write in a GET request fails as read-only (405)', async () => {
    const user = await createUser();
    const result = await asUser(user, (tx) => tx`create temp table t (id int)`, { method: 'GET' });
    expect(result.error).toMatchObject({ code: '25006', status: 405 });
  });
});

describe('auth helpers', () => {
  it('auth.uid(), auth.role(), auth.email() and auth.jwt() read the request claims', async () => {
    const user = await createUser({ userMetadata: { full_name: 'Amina' } });
    const { data } = await asUser(user, (tx) => tx`
      select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt`);
    expect(data?.[0]).toMatchObject({ uid: user.id, role: 'authenticated', email: user.email });
    expect(data?.[0].jwt).toMatchObject({ sub: user.id, session_id: user.sessionId, user_metadata: { full_name: 'Amina' } });
  });

  it('auth.uid() is null for anon', async () => {
    const { data } = await asAnon((tx) => tx`select auth.uid() as uid, auth.role() as role`);
    expect(data?.[0]).toEqual({ uid: null, role: 'anon' });
  });

  it('anonymous sign-ins carry is_anonymous in the JWT', async () => {
    const visitor = await createUser({ anonymous: true });
    const { data } = await asUser(visitor, (tx) => tx`select (auth.jwt()->>'is_anonymous')::boolean as anonymous, auth.uid() as uid`);
    expect(data?.[0]).toEqual({ anonymous: true, uid: visitor.id });
  });

  it('signed-in users cannot read auth.users (42501, 403)', async () => {
    const user = await createUser();
    const result = await asUser(user, (tx) => tx`select email from auth.users`);
    expect(result.error).toMatchObject({ code: '42501', status: 403 });
  });
});

describe('grants on new public tables', () => {
  it('a new public table is not reachable by anon until granted', async () => {
    const admin = connectAs('postgres');
    await admin`create table if not exists public.platform_expose_probe (id int primary key)`;
    const before = await asAnon((tx) => tx`select * from public.platform_expose_probe`, { method: 'GET' });
    expect(before.error).toMatchObject({ code: '42501', status: 401 });
    await admin`grant select on public.platform_expose_probe to anon`;
    const after = await asAnon((tx) => tx`select * from public.platform_expose_probe`, { method: 'GET' });
    expect(after.error).toBeNull();
  });

  it('a new public function is not executable by anon until granted', async () => {
    const admin = connectAs('postgres');
    await admin`create or replace function public.platform_fn_probe() returns int language sql set search_path = '' as 'select 1'`;
    const before = await asAnon((tx) => tx`select public.platform_fn_probe()`);
    expect(before.error).toMatchObject({ code: '42501', status: 401 });
  });

  it('a failed WITH CHECK maps to 403 for users and 401 for anon', async () => {
    const admin = connectAs('postgres');
    await admin`create table if not exists public.platform_check_probe (id int primary key, owner uuid)`;
    await admin`alter table public.platform_check_probe enable row level security`;
    await admin`grant insert on public.platform_check_probe to anon, authenticated`;
    await admin`drop policy if exists "Users insert their own rows" on public.platform_check_probe`;
    await admin`create policy "Users insert their own rows" on public.platform_check_probe
                for insert to anon, authenticated with check (owner = (select auth.uid()))`;
    const user = await createUser();
    const someoneElse = await createUser();
    const forged = await asUser(user, (tx) => tx`insert into public.platform_check_probe values (1, ${someoneElse.id})`);
    expect(forged.error).toMatchObject({ code: '42501', status: 403 });
    const anon = await asAnon((tx) => tx`insert into public.platform_check_probe values (2, ${someoneElse.id})`);
    expect(anon.error).toMatchObject({ code: '42501', status: 401 });
    const own = await asUser(user, (tx) => tx`insert into public.platform_check_probe values (3, ${user.id})`);
    expect(own.error).toBeNull();
  });
});
