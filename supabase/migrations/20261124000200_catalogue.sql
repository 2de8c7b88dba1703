-- Catalogue: categories, products with an approval workflow and audit trail, product images.
--
-- Nothing reaches customers until a `products.approve` holder approves it: anon and customers
-- see approved products only; members with `products.read` see all of their business's.
-- Workflow columns (status, submitted_by, reviewed_by, reviewed_at, rejection_reason) are not
-- granted to any API role: they change only through the workflow RPCs.

-- ============================================================================
-- Types
-- ============================================================================
create type public.product_status as enum ('draft', 'pending_approval', 'approved', 'rejected', 'archived');
comment on type public.product_status is 'Where a product is in the approval workflow; only approved products are visible to customers.';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.categories (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  parent_id uuid,
  name text not null check (char_length(btrim(name)) between 1 and 120),
  slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 80),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (business_id, slug),
  -- Lets children reference (parent_id, business_id): a parent is always in the same business.
  unique (id, business_id),
  foreign key (parent_id, business_id) references public.categories (id, business_id) on delete restrict,
  check (parent_id is distinct from id)
);
comment on table public.categories is 'A business''s product categories, nested through parent_id. Public, like the storefront.';

create table public.products (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  category_id uuid,
  name text not null check (char_length(btrim(name)) between 1 and 200),
  description text check (char_length(description) <= 10000),
  price numeric(12, 2) not null check (price >= 0),
  currency text not null default 'KES' check (currency ~ '^[A-Z]{3}$'),
  unit text not null default 'piece' check (char_length(btrim(unit)) between 1 and 40),
  stock_quantity int not null default 0 check (stock_quantity >= 0),
  status public.product_status not null default 'draft',
  -- Name (A), category (B) and description (C) under the language-neutral `simple`
  -- configuration, so Swahili and English words both match; kept by private.set_product_search_vector.
  search_vector tsvector not null default ''::tsvector,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  submitted_by uuid references auth.users (id) on delete set null,
  reviewed_by uuid references auth.users (id) on delete set null,
  reviewed_at timestamptz,
  rejection_reason text check (char_length(rejection_reason) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, business_id),
  -- The category belongs to the same business as the product.
  foreign key (category_id, business_id) references public.categories (id, business_id) on delete restrict
);
comment on table public.products is 'What businesses sell. Created as drafts; visible to customers only once approved (see the workflow RPCs).';

create table public.product_images (
  id uuid primary key default gen_random_uuid(),
  product_id uuid not null,
  -- Denormalised from the product so that policies need no join; kept right by the foreign key.
  business_id uuid not null,
  storage_path text not null unique check (char_length(storage_path) <= 500),
  position int not null default 0 check (position >= 0),
  alt_text text check (char_length(alt_text) <= 300),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (product_id, business_id) references public.products (id, business_id) on delete cascade
);
comment on table public.product_images is 'Images of a product, stored in the product-images bucket at <business_id>/<product_id>/<file>.';

create table public.product_status_history (
  id uuid primary key default gen_random_uuid(),
  product_id uuid not null,
  business_id uuid not null,
  from_status public.product_status,
  to_status public.product_status not null,
  actor_id uuid references auth.users (id) on delete set null,
  note text check (char_length(note) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (product_id, business_id) references public.products (id, business_id) on delete cascade
);
comment on table public.product_status_history is 'Append-only audit of every product status change: who moved it, from what, to what, and why.';

-- ============================================================================
-- Indexes
-- ============================================================================
create index categories_parent_idx on public.categories (parent_id, business_id);
create index products_business_status_idx on public.products (business_id, status);
create index products_category_idx on public.products (category_id, business_id);
create index products_search_vector_idx on public.products using gin (search_vector);
create index products_created_by_idx on public.products (created_by);
create index products_submitted_by_idx on public.products (submitted_by);
create index products_reviewed_by_idx on public.products (reviewed_by);
create index product_images_product_idx on public.product_images (product_id, business_id, position);
create index product_status_history_product_idx on public.product_status_history (product_id, business_id, created_at);
create index product_status_history_actor_idx on public.product_status_history (actor_id);

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

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger set_search_vector before insert or update of name, description, category_id on public.products
  for each row execute function private.set_product_search_vector();
create trigger refresh_search_vectors after update of name on public.categories
  for each row when (old.name is distinct from new.name) execute function private.refresh_category_search_vectors();
create trigger set_updated_at before update on public.categories
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.products
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.product_images
  for each row execute function private.set_updated_at();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.categories enable row level security;
alter table public.products enable row level security;
alter table public.product_images enable row level security;
alter table public.product_status_history enable row level security;

create policy "Anyone can read categories" on public.categories
  for select to anon, authenticated using (true);
create policy "Product writers can add categories to their business" on public.categories
  for insert to authenticated
  with check (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));
create policy "Product writers can edit their business's categories" on public.categories
  for update to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]))
  with check (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));
create policy "Product writers can delete their business's categories" on public.categories
  for delete to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));

-- One SELECT policy per role (the advisors flag several permissive ones: each runs per row).
create policy "Visitors can read approved products" on public.products
  for select to anon using (status = 'approved');
create policy "Users can read approved products and members their business's" on public.products
  for select to authenticated
  using (
    status = 'approved'
    or business_id = any ((select private.business_ids_with_permission('products.read'))::uuid[])
  );
create policy "Product writers can create drafts in their business" on public.products
  for insert to authenticated
  with check (
    business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[])
    and status = 'draft'
    and created_by = (select auth.uid())
  );
create policy "Product writers can edit their business's products" on public.products
  for update to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]))
  with check (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));
create policy "Product writers can delete their business's drafts" on public.products
  for delete to authenticated
  using (
    business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[])
    and status = 'draft'
  );

create policy "Visitors can read images of approved products" on public.product_images
  for select to anon
  using (exists (select 1 from public.products p where p.id = product_id and p.status = 'approved'));
create policy "Users can read images of approved products and members their business's" on public.product_images
  for select to authenticated
  using (
    business_id = any ((select private.business_ids_with_permission('products.read'))::uuid[])
    or exists (select 1 from public.products p where p.id = product_id and p.status = 'approved')
  );
create policy "Product writers can add images to their business's products" on public.product_images
  for insert to authenticated
  with check (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));
create policy "Product writers can edit their business's product images" on public.product_images
  for update to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]))
  with check (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));
create policy "Product writers can remove their business's product images" on public.product_images
  for delete to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.write'))::uuid[]));

create policy "Members can read their business's product history" on public.product_status_history
  for select to authenticated
  using (business_id = any ((select private.business_ids_with_permission('products.read'))::uuid[]));

-- ============================================================================
-- Grants
-- ============================================================================
grant select on public.categories to anon, authenticated;
grant insert (business_id, parent_id, name, slug) on public.categories to authenticated;
grant update (parent_id, name, slug) on public.categories to authenticated;
grant delete on public.categories to authenticated;

grant select on public.products to anon, authenticated;
grant insert (business_id, category_id, name, description, price, currency, unit, stock_quantity)
  on public.products to authenticated;
grant update (category_id, name, description, price, currency, unit, stock_quantity) on public.products to authenticated;
grant delete on public.products to authenticated;

grant select on public.product_images to anon, authenticated;
grant insert (product_id, business_id, storage_path, position, alt_text) on public.product_images to authenticated;
grant update (position, alt_text) on public.product_images to authenticated;
grant delete on public.product_images to authenticated;

grant select on public.product_status_history to authenticated;

grant all on public.categories, public.products, public.product_images, public.product_status_history to service_role;
