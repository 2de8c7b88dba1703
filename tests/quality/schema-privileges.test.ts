// The schema's privileges, proven as a whole on a database built from the migrations alone:
// every public table has RLS and a comment; public holds only what clients use and private
// nothing any API role is granted; the functions each API role may execute, the
// SECURITY DEFINER functions (each with its reason), every API role's table and column
// privileges and the public buckets equal the checked-in lists in tests/quality/privileges/.
// A new table, grant, function or bucket cannot land without someone updating those lists
// (and so reviewing what it opens). See tests/quality/privileges/README.md.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';
import { type ScratchDatabase, startScratchDatabase } from '../../scripts/lib/scratch-database.ts';
import { executableFunctions, PROJECT_SCHEMAS, securityDefinerFunctions, tableGrants } from './privileges/catalog.ts';

const LISTS = path.join(ROOT, 'tests', 'quality', 'privileges');
const list = <T>(file: string): T => JSON.parse(readFileSync(path.join(LISTS, file), 'utf8'));
const MIGRATIONS = path.join(ROOT, 'supabase', 'migrations');

describe('schema-wide privileges', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await startScratchDatabase();
  }, 120_000);
  afterAll(() => db?.stop());

  it('every table in public has row-level security enabled and a comment', async () => {
    const rows = await db.admin`
      select c.relname as table, c.relrowsecurity as rls, obj_description(c.oid, 'pg_class') as comment
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p')
      order by 1`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((row) => !row.rls).map((row) => row.table), 'tables without RLS').toEqual([]);
    expect(rows.filter((row) => !row.comment?.trim()).map((row) => row.table), 'tables without a comment').toEqual([]);
  });

  it('public holds no views or materialized views that would read past RLS', async () => {
    const rows = await db.admin`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and (c.relkind = 'm' or (c.relkind = 'v' and not coalesce('security_invoker=true' = any (c.reloptions), false)))`;
    expect(rows.map((row) => row.relname)).toEqual([]);
  });

  // The rule of README "Decisions": `public` holds what clients reach through the Data API,
  // `private` what only the database and the service connection use.
  it('every table in public is granted to a client role (anon or authenticated), else it belongs in private', async () => {
    const rows = await db.admin`
      select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
        and not exists (
          select 1 from unnest(array['anon', 'authenticated']) as r (role)
          where has_table_privilege(r.role, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
             or has_any_column_privilege(r.role, c.oid, 'SELECT, INSERT, UPDATE')
        )
      order by 1`;
    expect(rows.map((row) => row.table), 'public tables no client may use: move them to private').toEqual([]);
  });

  it('no API role, service_role included, holds any privilege on a table or sequence in private', async () => {
    const grants = await tableGrants(db.admin);
    expect(Object.keys(grants).filter((object) => object.startsWith('private.')), 'revoke, or move the table to public')
      .toEqual([]);
  });

  it('every function in public is an RPC a client role may call (or an Auth hook), else it belongs in private', async () => {
    const rows = await db.admin`
      select p.oid::regprocedure::text as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'public'
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
        and not has_function_privilege('anon', p.oid, 'EXECUTE')
        and not has_function_privilege('authenticated', p.oid, 'EXECUTE')
        -- Auth calls its hooks as supabase_auth_admin; hosted projects expect them in public.
        and not has_function_privilege('supabase_auth_admin', p.oid, 'EXECUTE')
      order by 1`;
    expect(rows.map((row) => row.fn)).toEqual([]);
  });

  it('every type in public is used by a public table or function, else it belongs in private', async () => {
    const rows = await db.admin`
      select t.typname as type
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      where n.nspname = 'public' and t.typtype in ('e', 'c', 'd')
        and (t.typtype <> 'c' or (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c')
        and not exists (select 1 from pg_depend d where d.objid = t.oid and d.deptype = 'e')
        and not exists (
          select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace cn on cn.oid = c.relnamespace
          where cn.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'c') and a.attnum > 0 and not a.attisdropped
            and a.atttypid in (t.oid, t.typarray) and c.oid <> t.typrelid
        )
        and not exists (
          select 1 from pg_proc p join pg_namespace pn on pn.oid = p.pronamespace
          where pn.nspname = 'public'
            and (p.prorettype in (t.oid, t.typarray) or t.oid = any (p.proallargtypes) or t.typarray = any (p.proallargtypes)
                 or t.oid = any (p.proargtypes::oid[]) or t.typarray = any (p.proargtypes::oid[]))
        )
      order by 1`;
    expect(rows.map((row) => row.type)).toEqual([]);
  });

  it('the API roles hold exactly the table and column privileges of table-grants.json', async () => {
    const allowed = list<Record<string, Record<string, string[]>>>('table-grants.json');
    for (const roles of Object.values(allowed)) for (const privileges of Object.values(roles)) privileges.sort();
    expect(await tableGrants(db.admin), 'update tests/quality/privileges/table-grants.json on purpose, or revoke')
      .toEqual(allowed);
  });

  it('the functions anon, authenticated and service_role may execute are exactly those of function-execute.json', async () => {
    const allowed = list<Record<string, string[]>>('function-execute.json');
    for (const functions of Object.values(allowed)) functions.sort();
    expect(await executableFunctions(db.admin), 'update tests/quality/privileges/function-execute.json on purpose, or revoke')
      .toEqual(allowed);
  });

  it('the SECURITY DEFINER functions are exactly the inventory of security-definer.json, each with its reason', async () => {
    const inventory = list<Record<string, string>>('security-definer.json');
    expect(await securityDefinerFunctions(db.admin), 'add the function and its one-line reason to security-definer.json')
      .toEqual(Object.keys(inventory).sort());
    for (const [fn, reason] of Object.entries(inventory)) expect(reason.trim(), fn).not.toBe('');
  });

  it('every SECURITY DEFINER function says why in the migration, right above its definition', () => {
    const sources = readdirSync(MIGRATIONS).filter((file) => file.endsWith('.sql')).sort()
      .map((file) => readFileSync(path.join(MIGRATIONS, file), 'utf8')).join('\n').split('\n');
    const unexplained = Object.keys(list<Record<string, string>>('security-definer.json')).filter((fn) => {
      const at = sources.findIndex((line) => line.startsWith(`create function ${fn.slice(0, fn.indexOf('('))}(`));
      let comment = '';
      for (let i = at - 1; i >= 0 && sources[i].startsWith('--'); i--) comment = sources[i] + comment;
      return at < 0 || !comment.includes('SECURITY DEFINER:');
    });
    expect(unexplained).toEqual([]);
  });

  it('every function of the project\'s schemas pins an empty search_path', async () => {
    const rows = await db.admin`
      select n.nspname || '.' || p.proname as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any (${PROJECT_SCHEMAS})
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
        and not coalesce(p.proconfig @> array['search_path=""'], false)
      order by 1`;
    expect(rows.map((row) => row.fn)).toEqual([]);
  });

  it('no policy in public applies to every role (each names anon, authenticated or another role)', async () => {
    const rows = await db.admin`
      select tablename || ': ' || policyname as policy from pg_policies
      where schemaname in ('public', 'storage') and roles = '{public}'`;
    expect(rows.map((row) => row.policy)).toEqual([]);
  });

  it('the API roles cannot create objects in the project\'s schemas', async () => {
    const rows = await db.admin`
      select r.role || ' on ' || s.schema as grant
      from unnest(${PROJECT_SCHEMAS}::text[]) as s (schema)
      cross join unnest(array['anon', 'authenticated', 'service_role']) as r (role)
      where has_schema_privilege(r.role, s.schema, 'CREATE')`;
    expect(rows.map((row) => row.grant)).toEqual([]);
  });

  it('every storage bucket is private unless public-buckets.json allows it', async () => {
    const rows = await db.admin`select id from storage.buckets where public order by id`;
    expect(rows.map((row) => row.id)).toEqual(list<string[]>('public-buckets.json'));
  });
});
