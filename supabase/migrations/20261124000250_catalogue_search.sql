-- Catalogue search: the text columns and indexes of products, search_products() and its
-- private helpers (tsquery, cursors, the page statements).
--
-- search_products runs with its caller's rights; the storefront page is ranked by a
-- SECURITY DEFINER helper over approved products only (see private.search_storefront_page),
-- then re-read under the caller's RLS. Ranking, cursors and the indexes each sort order uses
-- are described in docs/catalogue.md.
--
-- Error codes: 22023 invalid argument (400).

-- ============================================================================
-- Types
-- ============================================================================
create type public.product_search_result as (
  id uuid,
  business_id uuid,
  category_id uuid,
  name text,
  description text,
  price numeric(12, 2),
  currency text,
  unit text,
  stock_quantity int,
  status public.product_status,
  created_at timestamptz,
  updated_at timestamptz,
  -- 1 when every search word is in the name, 0.4 in the category name, 0.2 elsewhere; null without a query.
  rank real,
  -- Opaque: pass it as `after` to get the next page.
  cursor text
);
comment on type public.product_search_result is 'One row of search_products(): the product, its relevance rank and its keyset cursor.';

-- ============================================================================
-- Columns
-- ============================================================================
alter table public.products
  -- Name (A), category (B) and description (C) under the language-neutral `simple`
  -- configuration, so Swahili and English words both match; kept by private.set_product_search_vector.
  add column search_vector tsvector not null default ''::tsvector,
  -- The name alone: search ranks name matches first, and its own statistics let the planner
  -- tell a word common in names from one common only in descriptions.
  add column name_vector tsvector generated always as (to_tsvector('simple'::regconfig, name)) stored;

-- ============================================================================
-- Indexes
-- ============================================================================
-- Search serves the storefront (approved products) from partial indexes: one per sort order,
-- with and without a business filter, and the text indexes.
-- The name's vector rides along so that relevance's first tier filters in the index alone.
create index products_approved_newest_idx on public.products (created_at, id) include (name_vector)
  where status = 'approved';
create index products_approved_price_idx on public.products (price, id) where status = 'approved';
create index products_approved_business_newest_idx on public.products (business_id, created_at, id) where status = 'approved';
create index products_approved_business_price_idx on public.products (business_id, price, id) where status = 'approved';
create index products_approved_search_idx on public.products using gin (search_vector) where status = 'approved';
create index products_approved_name_search_idx on public.products using gin (name_vector) where status = 'approved';
create index categories_name_search_idx on public.categories using gin (to_tsvector('simple'::regconfig, name));

-- ============================================================================
-- Helpers
-- ============================================================================
create function private.product_search_vector(name text, description text, category_name text)
returns tsvector
language sql
immutable
set search_path = ''
as $$
  select setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A')
      || setweight(to_tsvector('simple'::regconfig, coalesce(category_name, '')), 'B')
      || setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C')
$$;
revoke all on function private.product_search_vector(text, text, text) from public;

-- SECURITY DEFINER: reads the category name whatever the writer's RLS lets them see.
create function private.set_product_search_vector() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.search_vector := private.product_search_vector(
    new.name, new.description, (select c.name from public.categories c where c.id = new.category_id)
  );
  return new;
end;
$$;
revoke all on function private.set_product_search_vector() from public;

-- SECURITY DEFINER: a category rename re-indexes that category's products, whoever renames it.
create function private.refresh_category_search_vectors() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.products p
  set search_vector = private.product_search_vector(p.name, p.description, new.name)
  where p.category_id = new.id;
  return null;
end;
$$;
revoke all on function private.refresh_category_search_vectors() from public;

-- Search words to a tsquery: every word must match; the last one as a prefix, as people type
-- ("fresh mah" finds "Fresh mahindi"). Whole words elsewhere: a prefix makes GIN collect every
-- matching entry before intersecting, too slow for common prefixes at 1M products.
-- The words go through the same `simple` parser as the indexed text; null when there are none.
create function private.search_tsquery(query text) returns tsquery
language plpgsql
immutable
set search_path = ''
as $$
begin
  -- PL/pgSQL keeps this plan per connection; a SQL function with SET is planned on every call.
  return (
    select string_agg(
             '''' || replace(replace(w.lexeme, '\', '\\'), '''', '''''') || ''''
               || case when w.last_position = w.final_position then ':*' else '' end,
             ' & ' order by w.last_position
           )::tsquery
    from (
      select t.lexeme, t.last_position, max(t.last_position) over () as final_position
      from (
        select v.lexeme, (select max(position) from unnest(v.positions) as position) as last_position
        from unnest(to_tsvector('simple'::regconfig, coalesce(query, ''))) as v
      ) as t
    ) as w
  );
end;
$$;
revoke all on function private.search_tsquery(text) from public;
grant execute on function private.search_tsquery(text) to anon, authenticated, service_role;

-- Cursors are base64url JSON [sort, tier, key, id]: opaque to clients, checked on the way in.
create function private.encode_search_cursor(sort text, tier int, sort_key anyelement, id uuid) returns text
language sql
immutable
set search_path = ''
as $$
  select translate(encode(convert_to(jsonb_build_array(sort, tier, sort_key, id)::text, 'UTF8'), 'base64'), E'+/=\n', '-_')
$$;
revoke all on function private.encode_search_cursor(text, int, anyelement, uuid) from public;
grant execute on function private.encode_search_cursor(text, int, anyelement, uuid) to anon, authenticated, service_role;

create function private.decode_search_cursor(cursor text, expected_sort text) returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  payload jsonb;
  padded text := translate(cursor, '-_', '+/');
begin
  begin
    padded := padded || repeat('=', (4 - char_length(padded) % 4) % 4);
    payload := convert_from(decode(padded, 'base64'), 'UTF8')::jsonb;
    if jsonb_typeof(payload) <> 'array' or jsonb_array_length(payload) <> 4
       or (payload ->> 1) is not null and (payload ->> 1)::int not between 1 and 3 then
      raise exception 'bad cursor';
    end if;
    perform (payload ->> 3)::uuid;
    if payload ->> 0 in ('newest', 'relevance') then
      perform (payload ->> 2)::timestamptz;
    else
      perform (payload ->> 2)::numeric;
    end if;
  exception when others then
    raise exception 'after is not a cursor returned by search_products.' using errcode = '22023';
  end;
  if payload ->> 0 is distinct from expected_sort then
    raise exception 'This cursor belongs to a search sorted by %, not by %.', payload ->> 0, expected_sort
      using errcode = '22023';
  end if;
  return payload;
end;
$$;
revoke all on function private.decode_search_cursor(text, text) from public;
grant execute on function private.decode_search_cursor(text, text) to anon, authenticated, service_role;

-- One page query of search_products. Parameters: $1 words, $2 business, $3 categories whose
-- name matches, $4 category subtree, $5/$6 price range, $7 limit, $8/$9/$10 cursor time,
-- price and id. Only fixed SQL fragments are concatenated; values always travel as parameters.
create function private.search_statement(
  sort text, tier int, filters text[], after_cursor boolean, with_words boolean
) returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  sort_key text := case when sort in ('newest', 'relevance') then 'p.created_at' else 'p.price' end;
  order_by text := case sort when 'price_asc' then 'p.price, p.id' when 'price_desc' then 'p.price desc, p.id desc'
                             else 'p.created_at desc, p.id desc' end;
  conditions text[] := filters;
begin
  if after_cursor then
    conditions := conditions || case sort
      when 'price_asc' then '(p.price, p.id) > ($9, $10)'
      when 'price_desc' then '(p.price, p.id) < ($9, $10)'
      else '(p.created_at, p.id) < ($8, $10)' end;
  end if;
  -- Only the id, rank and cursor: a name match can then be checked in the index alone
  -- (index-only scan), and the caller reads the page's rows by id.
  return format(
    'select p.id, %s, private.encode_search_cursor(%L, %s, %s, p.id)'
    ' from public.products p where %s order by %s limit $7',
    case
      when tier is not null then (case tier when 1 then '1' when 2 then '0.4' else '0.2' end) || '::real'
      when with_words then 'case when p.name_vector @@ $1 then 1 when coalesce(p.category_id = any ($3), false)'
                           ' then 0.4 else 0.2 end::real'
      else 'null::real'
    end,
    sort, coalesce(tier::text, 'null::int'), sort_key,
    coalesce(nullif(array_to_string(conditions, ' and '), ''), 'true'),
    order_by
  );
end;
$$;
revoke all on function private.search_statement(text, int, text[], boolean, boolean) from public;
grant execute on function private.search_statement(text, int, text[], boolean, boolean) to anon, authenticated, service_role;

-- One page of search results (ids, ranks, cursors in order) for arguments search_products()
-- has checked and prepared.
-- Each sort order is one statement built for the filters given, so the planner sees plain
-- conditions it can serve from the partial indexes on approved products; keyset pagination
-- continues strictly after the cursor's row, so rows added meanwhile are neither skipped nor
-- repeated. Runs with its caller's rights.
create function private.search_page(
  words tsquery,
  business uuid,
  subtree uuid[],
  categories_matching uuid[],
  min_price numeric,
  max_price numeric,
  in_stock boolean,
  sort text,
  page_size int,
  cursor_tier int,
  cursor_time timestamptz,
  cursor_price numeric,
  cursor_id uuid,
  include_unapproved boolean
) returns table (id uuid, rank real, cursor text)
language plpgsql
stable
rows 24
set search_path = ''
as $$
declare
  filters text[] := '{}';
  after_cursor boolean := cursor_id is not null;
  first_tier int := coalesce(cursor_tier, 1);
  remaining int := page_size;
  returned int;
begin
  if not include_unapproved then
    filters := filters || $f$p.status = 'approved'$f$::text;
  end if;
  if business is not null then
    filters := filters || 'p.business_id = $2'::text;
  end if;
  if subtree is not null then
    filters := filters || 'p.category_id = any ($4)'::text;
  end if;
  if min_price is not null then
    filters := filters || 'p.price >= $5'::text;
  end if;
  if max_price is not null then
    filters := filters || 'p.price <= $6'::text;
  end if;
  if in_stock then
    filters := filters || 'p.stock_quantity > 0'::text;
  elsif not in_stock then
    filters := filters || 'p.stock_quantity = 0'::text;
  end if;

  if sort <> 'relevance' then
    if words is not null then
      filters := filters || 'p.search_vector @@ $1'::text;
    end if;
    return query execute private.search_statement(sort, null, filters, after_cursor, words is not null)
      using words, business, categories_matching, subtree, min_price, max_price,
            page_size, cursor_time, cursor_price, cursor_id;
    return;
  end if;

  -- Relevance: names matching every word first, then categories matching them, then the rest;
  -- newest first within each tier. One statement per tier, each served in index order, and
  -- later tiers only run while the page is not full.
  for tier in first_tier .. 3 loop
    continue when tier = 2 and cardinality(categories_matching) = 0;
    return query execute private.search_statement(
        sort, tier,
        filters || case tier
          when 1 then 'p.name_vector @@ $1'
          when 2 then 'p.category_id = any ($3) and not p.name_vector @@ $1'
          else 'p.search_vector @@ $1 and not p.name_vector @@ $1 and not coalesce(p.category_id = any ($3), false)'
        end,
        after_cursor and tier = first_tier, true
      )
      using words, business, categories_matching, subtree, min_price, max_price,
            remaining, cursor_time, cursor_price, cursor_id;
    get diagnostics returned = row_count;
    remaining := remaining - returned;
    exit when remaining <= 0;
  end loop;
end;
$$;
revoke all on function private.search_page(
  tsquery, uuid, uuid[], uuid[], numeric, numeric, boolean, text, int, int, timestamptz, numeric, uuid, boolean
) from public;
grant execute on function private.search_page(
  tsquery, uuid, uuid[], uuid[], numeric, numeric, boolean, text, int, int, timestamptz, numeric, uuid, boolean
) to anon, authenticated, service_role;

-- SECURITY DEFINER: ranks approved products, which every role may read, without RLS. Under RLS
-- Postgres uses neither column statistics nor index conditions for operators that are not
-- leakproof (@@, numeric and enum comparisons), so the storefront search could use neither its
-- GIN nor its price indexes; search_products then reads the page's rows under the caller's RLS.
create function private.search_storefront_page(
  words tsquery,
  business uuid,
  subtree uuid[],
  categories_matching uuid[],
  min_price numeric,
  max_price numeric,
  in_stock boolean,
  sort text,
  page_size int,
  cursor_tier int,
  cursor_time timestamptz,
  cursor_price numeric,
  cursor_id uuid
) returns table (id uuid, rank real, cursor text)
language sql
stable
security definer
-- A page, not the planner's default 1000 rows: the caller's re-read is then an index lookup per row.
rows 24
set search_path = ''
as $$
  select * from private.search_page(
    words, business, subtree, categories_matching, min_price, max_price, in_stock, sort, page_size,
    cursor_tier, cursor_time, cursor_price, cursor_id, false
  )
$$;
revoke all on function private.search_storefront_page(
  tsquery, uuid, uuid[], uuid[], numeric, numeric, boolean, text, int, int, timestamptz, numeric, uuid
) from public;
grant execute on function private.search_storefront_page(
  tsquery, uuid, uuid[], uuid[], numeric, numeric, boolean, text, int, int, timestamptz, numeric, uuid
) to anon, authenticated, service_role;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_search_vector before insert or update of name, description, category_id on public.products
  for each row execute function private.set_product_search_vector();
create trigger refresh_search_vectors after update of name on public.categories
  for each row when (old.name is distinct from new.name) execute function private.refresh_category_search_vectors();

-- ============================================================================
-- RPCs
-- ============================================================================
-- Runs with the caller's rights: every row it returns is read under the caller's RLS. The
-- storefront ranking itself runs in private.search_storefront_page (see there why).
create function public.search_products(
  query text default null,
  business_id uuid default null,
  category_id uuid default null,
  min_price numeric default null,
  max_price numeric default null,
  in_stock boolean default null,
  sort text default 'relevance',
  page_size int default 24,
  after text default null
) returns setof public.product_search_result
language plpgsql
stable
set search_path = ''
as $$
declare
  words tsquery;
  effective_sort text;
  subtree uuid[];
  categories_matching uuid[];
  cursor_payload jsonb;
  cursor_tier int;
  cursor_time timestamptz;
  cursor_price numeric;
  cursor_id uuid;
begin
  if sort is null or sort not in ('relevance', 'newest', 'price_asc', 'price_desc') then
    raise exception 'sort must be relevance, newest, price_asc or price_desc, not %.', coalesce(sort, 'null')
      using errcode = '22023';
  end if;
  if page_size is null or page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100, not %.', coalesce(page_size::text, 'null') using errcode = '22023';
  end if;
  if char_length(query) > 200 then
    raise exception 'query has at most 200 characters.' using errcode = '22023';
  end if;
  if min_price < 0 or max_price < 0 then
    raise exception 'Prices cannot be negative.' using errcode = '22023';
  end if;
  if min_price > max_price then
    raise exception 'min_price (%) is above max_price (%).', min_price, max_price using errcode = '22023';
  end if;

  words := private.search_tsquery(query);
  -- Without words there is no relevance: newest first.
  effective_sort := case when sort = 'relevance' and words is null then 'newest' else sort end;
  if after is not null then
    cursor_payload := private.decode_search_cursor(after, effective_sort);
    cursor_tier := (cursor_payload ->> 1)::int;
    cursor_id := (cursor_payload ->> 3)::uuid;
    if effective_sort in ('newest', 'relevance') then
      cursor_time := (cursor_payload ->> 2)::timestamptz;
    else
      cursor_price := (cursor_payload ->> 2)::numeric;
    end if;
  end if;
  if search_products.category_id is not null then
    -- The category and everything below it (UNION stops on a cycle).
    subtree := array(
      with recursive tree (id) as (
        select c.id from public.categories c where c.id = search_products.category_id
        union
        select c.id from public.categories c join tree t on c.parent_id = t.id
      )
      select tree.id from tree
    );
  end if;
  if words is not null then
    categories_matching := array(
      select c.id from public.categories c
      where to_tsvector('simple'::regconfig, c.name) @@ words
        and (search_products.business_id is null or c.business_id = search_products.business_id)
    );
  end if;

  -- Members searching their own business (with products.read) see it in every status.
  if search_products.business_id is not null
     and search_products.business_id = any (private.business_ids_with_permission('products.read')) then
    return query
      select p.id, p.business_id, p.category_id, p.name, p.description, p.price, p.currency, p.unit,
             p.stock_quantity, p.status, p.created_at, p.updated_at, hit.rank, hit.cursor
      from private.search_page(
             words, search_products.business_id, subtree, categories_matching, min_price, max_price, in_stock,
             effective_sort, page_size, cursor_tier, cursor_time, cursor_price, cursor_id, true
           ) with ordinality as hit
      join public.products p on p.id = hit.id
      order by hit.ordinality;
    return;
  end if;

  -- The storefront: approved products, re-read under the caller's RLS in the page's order.
  return query
    select p.id, p.business_id, p.category_id, p.name, p.description, p.price, p.currency, p.unit,
           p.stock_quantity, p.status, p.created_at, p.updated_at, hit.rank, hit.cursor
    from private.search_storefront_page(
           words, search_products.business_id, subtree, categories_matching, min_price, max_price, in_stock,
           effective_sort, page_size, cursor_tier, cursor_time, cursor_price, cursor_id
         ) with ordinality as hit
    join public.products p on p.id = hit.id and p.status = 'approved'
    order by hit.ordinality;
end;
$$;
revoke all on function public.search_products(text, uuid, uuid, numeric, numeric, boolean, text, int, text) from public;
grant execute on function public.search_products(text, uuid, uuid, numeric, numeric, boolean, text, int, text)
  to anon, authenticated, service_role;
comment on function public.search_products(text, uuid, uuid, numeric, numeric, boolean, text, int, text) is
  'Full-text product search with filters, sorting and keyset pagination (pass a row''s cursor as after). See docs/catalogue.md.';
