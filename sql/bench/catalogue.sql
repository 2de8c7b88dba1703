-- Benchmark data for the catalogue, generated in batches so the caller can show progress:
--   call bench.generate_catalogue(first_business, last_business, products_per_business);
-- Business b (id 20000000-…-<b in hex>) has an admin user (30000000-…-<b>), 10 categories
-- (3 top-level, 7 below them) and products_per_business products named from English and
-- Swahili word lists; about 80% approved, the rest spread over the other statuses, about 5%
-- out of stock. Deterministic: the same arguments give the same rows.
-- Run as supabase_admin on a throwaway database (scripts/lib/scratch-database.ts).
create schema if not exists bench;

create or replace function bench.pick(words text[], seed bigint) returns text
language sql immutable
as $$ select words[1 + (abs(hashint8(seed)) % array_length(words, 1))] $$;

create or replace function bench.business_id(b int) returns uuid
language sql immutable
as $$ select ('20000000-0000-4000-8000-' || lpad(to_hex(b), 12, '0'))::uuid $$;

create or replace function bench.user_id(b int) returns uuid
language sql immutable
as $$ select ('30000000-0000-4000-8000-' || lpad(to_hex(b), 12, '0'))::uuid $$;

create or replace function bench.category_id(b int, c int) returns uuid
language sql immutable
as $$ select ('40000000-0000-4000-' || lpad(to_hex(c), 4, '0') || '-' || lpad(to_hex(b), 12, '0'))::uuid $$;

create or replace procedure bench.generate_catalogue(first_business int, last_business int, products_per_business int)
language plpgsql
as $$
declare
  nouns text[] := array['maize', 'beans', 'rice', 'tomatoes', 'onions', 'potatoes', 'cabbage', 'kale', 'sukuma wiki',
    'mahindi', 'maharage', 'mchele', 'nyanya', 'vitunguu', 'viazi', 'mbegu', 'mbolea', 'maziwa', 'mayai', 'asali',
    'fertiliser', 'seeds', 'milk', 'eggs', 'honey', 'avocado', 'mango', 'banana', 'ndizi', 'parachichi', 'embe',
    'sorghum', 'millet', 'wimbi', 'cassava', 'muhogo', 'chicken feed', 'dairy meal', 'pesticide', 'sprayer'];
  adjectives text[] := array['fresh', 'organic', 'hybrid', 'dried', 'premium', 'local', 'safi', 'bora', 'mpya',
    'certified', 'drought-tolerant', 'grade one', 'kienyeji', 'imported', 'bulk'];
  units text[] := array['kg', 'bag', 'litre', 'tray', 'bunch', 'piece', 'crate', 'packet'];
  category_names text[] := array['Produce', 'Farm inputs', 'Dairy and eggs', 'Vegetables', 'Fruits', 'Grains',
    'Seeds', 'Fertiliser', 'Animal feed', 'Milk'];
begin
  -- Triggers would re-derive what this computes directly (search vectors, updated_at).
  set local session_replication_role = replica;

  insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at,
                          created_at, updated_at)
  select bench.user_id(b), '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated',
         'owner' || b || '@bench.example', '{}', jsonb_build_object('full_name', 'Owner ' || b), now(), now(), now()
  from generate_series(first_business, last_business) b;
  insert into public.profiles (id, full_name)
  select bench.user_id(b), 'Owner ' || b from generate_series(first_business, last_business) b;

  insert into public.businesses (id, name, slug, created_by)
  select bench.business_id(b), 'Bench business ' || b, 'bench-business-' || b, bench.user_id(b)
  from generate_series(first_business, last_business) b;
  insert into public.business_members (business_id, user_id, role)
  select bench.business_id(b), bench.user_id(b), 'admin' from generate_series(first_business, last_business) b;

  -- Categories 1..3 are top-level; 4..10 hang under 1..3.
  insert into public.categories (id, business_id, parent_id, name, slug)
  select bench.category_id(b, c), bench.business_id(b),
         case when c > 3 then bench.category_id(b, 1 + (c % 3)) end,
         category_names[c], 'category-' || c
  from generate_series(first_business, last_business) b, generate_series(1, 10) c
  order by c;

  insert into public.products (business_id, category_id, name, description, price, currency, unit, stock_quantity,
                               status, search_vector, created_by, created_at, updated_at)
  select bench.business_id(b), bench.category_id(b, category), name, description, price, 'KES', unit, stock, status,
         private.product_search_vector(name, description, category_names[category]),
         bench.user_id(b), created_at, created_at
  from (
    select b, p,
           1 + (abs(hashint8(seed + 1)) % 10) as category,
           initcap(bench.pick(adjectives, seed + 2)) || ' ' || bench.pick(nouns, seed + 3) || ' ' || p as name,
           'Quality ' || bench.pick(nouns, seed + 4) || ' from ' || bench.pick(adjectives, seed + 5) ||
             ' farms. Nzuri kwa ' || bench.pick(nouns, seed + 6) || '.' as description,
           round((50 + abs(hashint8(seed + 7)) % 500000 / 100.0)::numeric, 2) as price,
           bench.pick(units, seed + 8) as unit,
           case when abs(hashint8(seed + 9)) % 20 = 0 then 0 else abs(hashint8(seed + 10)) % 1000 end as stock,
           (case abs(hashint8(seed + 11)) % 100 / 5
              when 0 then 'draft' when 1 then 'pending_approval' when 2 then 'rejected' when 3 then 'archived'
              else 'approved' end)::public.product_status as status,
           now() - make_interval(secs => abs(hashint8(seed + 12)) % 31536000) as created_at
    from generate_series(first_business, last_business) b,
         generate_series(1, products_per_business) p,
         lateral (select (b::bigint * 1000003 + p) * 16 as seed) s
  ) generated;
end;
$$;
