// Reads what the database really grants, for the schema-wide privilege test: table and column
// privileges of the API roles, the functions they may execute, SECURITY DEFINER functions,
// public buckets, and tables without RLS or comment. Every query reads the catalogs as they
// are, with inheritance and PUBLIC grants included (has_*_privilege), so nothing hides behind
// a role membership or a default grant.
import type postgres from 'postgres';

export const API_ROLES = ['anon', 'authenticated', 'service_role'] as const;
export type ApiRole = (typeof API_ROLES)[number];
/** The project's own schemas: `public` (exposed by the Data API) and `private` (internals). */
export const PROJECT_SCHEMAS = ['public', 'private'];

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

/** { "public.table": { role: ["SELECT", "UPDATE(col, col)"] } }, roles without privileges left out. */
export async function tableGrants(sql: postgres.Sql): Promise<Record<string, Partial<Record<ApiRole, string[]>>>> {
  const rows = await sql<{ object: string; role: ApiRole; privilege: string }[]>`
    with relations as (
      select c.oid, n.nspname || '.' || c.relname as object
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any (${PROJECT_SCHEMAS}) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
    )
    select r.object, role.name as role, p.privilege
    from relations r
    cross join unnest(${API_ROLES as unknown as string[]}::text[]) as role (name)
    cross join unnest(${TABLE_PRIVILEGES}::text[]) as p (privilege)
    where has_table_privilege(role.name, r.oid, p.privilege)
    union all
    select r.object, role.name, p.privilege || '(' || string_agg(a.attname, ', ' order by a.attnum) || ')'
    from relations r
    cross join unnest(${API_ROLES as unknown as string[]}::text[]) as role (name)
    cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) as p (privilege)
    join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
    where not has_table_privilege(role.name, r.oid, p.privilege)
      and has_column_privilege(role.name, r.oid, a.attnum, p.privilege)
    group by r.object, role.name, p.privilege
    order by 1, 2, 3`;
  const grants: Record<string, Partial<Record<ApiRole, string[]>>> = {};
  for (const row of rows) ((grants[row.object] ??= {})[row.role] ??= []).push(row.privilege);
  // Sorted here, not by the database's collation, so the lists compare alike on every machine.
  for (const roles of Object.values(grants)) for (const list of Object.values(roles)) list!.sort();
  return grants;
}

/** The functions of the project's schemas that each API role may execute. */
export async function executableFunctions(sql: postgres.Sql): Promise<Record<ApiRole, string[]>> {
  const result = {} as Record<ApiRole, string[]>;
  for (const role of API_ROLES) {
    const rows = await sql<{ fn: string }[]>`
      select ${sql.unsafe(qualifiedSignature)} as fn
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any (${PROJECT_SCHEMAS}) and has_function_privilege(${role}, p.oid, 'EXECUTE')
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
      order by 1`;
    result[role] = rows.map((row) => row.fn).sort();
  }
  return result;
}

/** Every SECURITY DEFINER function of the project's schemas. */
export async function securityDefinerFunctions(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ fn: string }[]>`
    select ${sql.unsafe(qualifiedSignature)} as fn
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = any (${PROJECT_SCHEMAS}) and p.prosecdef
    order by 1`;
  return rows.map((row) => row.fn).sort();
}

/** schema.name(argument types), whatever the search_path. */
const qualifiedSignature =
  `n.nspname || '.' || p.proname || '(' || coalesce(pg_catalog.pg_get_function_identity_arguments(p.oid), '') || ')'`;
