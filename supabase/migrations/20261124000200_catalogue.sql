-- Catalogue: categories, products with an approval workflow and audit trail, product images.
-- Search (search_products and the text columns and indexes it uses) is the next migration,
-- 20261124000250_catalogue_search.sql.
--
-- Nothing reaches customers until a `products.approve` holder approves it: anon and customers
-- see approved products only; members with `products.read` see all of their business's.
-- Workflow columns (status, submitted_by, reviewed_by, reviewed_at, rejection_reason) are not
-- granted to any API role, service_role included: they change only through the workflow RPCs
-- (submit_product, approve_product, reject_product, archive_product) and the re-approval
-- triggers. Every status change, whoever makes it, writes one product_status_history row.
--
-- Error codes: 22023 invalid argument (400), 42501 not allowed (403, 401 for anon),
-- PT404 not found, PT409 illegal transition for the current state.

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
  foreign key (product_id, business_id) references public.products (id, business_id) on delete cascade,
  -- The object lives in the product's own folder of the product-images bucket.
  check (split_part(storage_path, '/', 1) = business_id::text and split_part(storage_path, '/', 2) = product_id::text
         and split_part(storage_path, '/', 3) <> '' and split_part(storage_path, '/', 4) = '')
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

-- Image paths that a product_images row named once: their bytes were (or may have been)
-- reviewed and served under that name, so nobody may write new bytes there again.
create table private.retired_image_paths (
  storage_path text primary key,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table private.retired_image_paths is 'Paths of product images whose row is gone: never uploaded to again (see private.image_path_in_use).';

-- Separation of duties: by default nobody approves or rejects a product they submitted.
alter table public.businesses
  add column require_separate_reviewer boolean not null default true;
comment on column public.businesses.require_separate_reviewer is
  'When true (the default), a product must be reviewed by someone other than its submitter. A one-person business turns it off; the history still records who approved what.';

-- The product-images bucket (config.toml declares the same for the local CLI stack). Private:
-- public buckets skip RLS, and images of unapproved products must stay hidden.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('product-images', 'product-images', false, 5242880, array['image/jpeg', 'image/png', 'image/webp', 'image/avif'])
on conflict (id) do nothing;

-- ============================================================================
-- Indexes
-- ============================================================================
create index categories_parent_idx on public.categories (parent_id, business_id);
create index products_business_status_idx on public.products (business_id, status);
create index products_category_idx on public.products (category_id, business_id);
create index products_created_by_idx on public.products (created_by);
create index products_submitted_by_idx on public.products (submitted_by);
create index products_reviewed_by_idx on public.products (reviewed_by);
create index product_images_product_idx on public.product_images (product_id, business_id, position);
create index product_status_history_product_idx on public.product_status_history (product_id, business_id, created_at);
create index product_status_history_actor_idx on public.product_status_history (actor_id);

-- ============================================================================
-- Helpers
-- ============================================================================
-- Path segments of storage objects are text; policies compare them as uuids without failing.
create function private.uuid_or_null(value text) returns uuid
language sql
immutable
set search_path = ''
as $$
  select case when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then value::uuid end
$$;
revoke all on function private.uuid_or_null(text) from public;
grant execute on function private.uuid_or_null(text) to anon, authenticated, service_role;

-- SECURITY DEFINER: writes the audit row, which no API role may insert, whoever changed the status.
create function private.record_product_status_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- clock_timestamp(): several transitions in one transaction still sort in their order.
  insert into public.product_status_history (product_id, business_id, from_status, to_status, actor_id, note, created_at)
  values (
    new.id, new.business_id,
    case when tg_op = 'UPDATE' then old.status end,
    new.status,
    -- A creation without a signed-in caller (seed, service tasks) is credited to its creator.
    case when tg_op = 'INSERT' then coalesce((select auth.uid()), new.created_by) else (select auth.uid()) end,
    nullif(current_setting('catalogue.status_note', true), ''),
    clock_timestamp()
  );
  -- The note belongs to this one transition, not to later ones in the same transaction.
  perform set_config('catalogue.status_note', '', true);
  return null;
end;
$$;
revoke all on function private.record_product_status_change() from public;

-- Content that customers saw approved must be approved again once it changes.
create function private.send_edited_product_for_review() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.status := 'pending_approval';
  new.submitted_by := (select auth.uid());
  perform set_config('catalogue.status_note', 'Name, description or category changed after approval.', true);
  return new;
end;
$$;
revoke all on function private.send_edited_product_for_review() from public;

-- What an approver approves is exactly what was submitted: an edit to a product awaiting
-- approval withdraws the submission (back to draft, to be submitted again), so neither an
-- approver's own rewrite nor a change made after the approver looked can be approved unseen.
create function private.withdraw_edited_submission() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.status := 'draft';
  new.submitted_by := null;
  perform set_config('catalogue.status_note', 'Name, description or category changed while awaiting approval: submission withdrawn.', true);
  return new;
end;
$$;
revoke all on function private.withdraw_edited_submission() from public;

-- SECURITY DEFINER: an image change by a products.write holder moves the product's status,
-- a column no API role may update.
create function private.send_product_back_for_review_after_image_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed public.product_images := case when tg_op = 'DELETE' then old else new end;
  current_status public.product_status;
begin
  -- Like a text edit: an approved product goes back for review, credited to whoever changed
  -- it; a pending one is withdrawn to draft (see withdraw_edited_submission).
  select p.status into current_status from public.products p where p.id = changed.product_id for update;
  if current_status = 'approved' then
    perform set_config('catalogue.status_note', 'Images changed after approval.', true);
    update public.products p set status = 'pending_approval', submitted_by = (select auth.uid()) where p.id = changed.product_id;
  elsif current_status = 'pending_approval' then
    perform set_config('catalogue.status_note', 'Images changed while awaiting approval: submission withdrawn.', true);
    update public.products p set status = 'draft', submitted_by = null where p.id = changed.product_id;
  end if;
  return null;
end;
$$;
revoke all on function private.send_product_back_for_review_after_image_change() from public;

-- SECURITY DEFINER: keeps a removed image row's path, which no API role may write.
create function private.retire_image_path() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.retired_image_paths (storage_path) values (old.storage_path) on conflict do nothing;
  return null;
end;
$$;
revoke all on function private.retire_image_path() from public;

-- SECURITY DEFINER: the upload policy must see every image row and retired path, whatever the
-- uploader's RLS shows them (rows of other statuses, or no products.read at all).
create function private.image_path_in_use(object_name text) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.product_images i where i.storage_path = object_name)
      or exists (select 1 from private.retired_image_paths r where r.storage_path = object_name)
$$;
revoke all on function private.image_path_in_use(text) from public;
grant execute on function private.image_path_in_use(text) to authenticated;

-- Categories form a tree within one business: a parent from elsewhere or below the category
-- itself is refused (a loop has no root, and every walk up or down the tree would circle).
create function private.refuse_category_cycle() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.parent_id is null or (tg_op = 'UPDATE' and new.parent_id is not distinct from old.parent_id) then
    return new;
  end if;
  -- Parent changes of one business queue here: two concurrent moves could each pass the check
  -- alone and together close a loop. Each query below then sees the other's committed move.
  perform pg_advisory_xact_lock(hashtextextended('categories:' || new.business_id::text, 0));
  if not exists (select 1 from public.categories c where c.id = new.parent_id and c.business_id = new.business_id) then
    raise exception 'Category % is not a category of this business, so it cannot be the parent.', new.parent_id
      using errcode = '22023';
  end if;
  if exists (
    with recursive ancestors (id) as (
      select new.parent_id
      union
      select c.parent_id from public.categories c join ancestors a on c.id = a.id where c.parent_id is not null
    )
    select 1 from ancestors a where a.id = new.id
  ) then
    raise exception 'Category % cannot move under %: that is the category itself or inside it.', new.id, new.parent_id
      using errcode = 'PT422';
  end if;
  return new;
end;
$$;
revoke all on function private.refuse_category_cycle() from public;

-- SECURITY DEFINER: reads the history whatever the deleting role may see of it.
create function private.refuse_deleting_approved_product() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select 1 from public.product_status_history h
    where h.product_id = old.id and h.business_id = old.business_id and h.to_status = 'approved'
  ) then
    raise exception 'Product % was approved once and can never be deleted; archive it instead.', old.id
      using errcode = 'PT409';
  end if;
  return old;
end;
$$;
revoke all on function private.refuse_deleting_approved_product() from public;

-- Locks the product (so concurrent reviews queue up and the second sees the first's result)
-- and checks that the caller holds `required` in its business. Returns the locked row.
create function private.lock_product(target uuid, required public.app_permission) returns public.products
language plpgsql
set search_path = ''
as $$
declare
  product public.products;
begin
  perform private.require_member_account();
  if target is null then
    raise exception 'product_id is required.' using errcode = '22023';
  end if;
  select * into product from public.products p where p.id = target for update;
  -- Someone who cannot see the product learns nothing about it.
  if not found or not (
    product.status = 'approved' or product.business_id = any (private.business_ids_with_permission('products.read'))
  ) then
    raise exception 'Product % does not exist.', target using errcode = 'PT404';
  end if;
  if not product.business_id = any (private.business_ids_with_permission(required)) then
    raise exception 'You need the % permission in this product''s business.', required using errcode = '42501';
  end if;
  return product;
end;
$$;
revoke all on function private.lock_product(uuid, public.app_permission) from public;

create function private.require_status(
  product public.products, allowed public.product_status[], action text
) returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if not product.status = any (allowed) then
    raise exception 'Product % is %; only % products can be %.',
      product.id, product.status, array_to_string(allowed::text[], ' or '), action
      using errcode = 'PT409';
  end if;
end;
$$;
revoke all on function private.require_status(public.products, public.product_status[], text) from public;

create function private.require_note(note text, label text, required boolean) returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if required and (note is null or btrim(note) = '') then
    raise exception 'A % is required.', label using errcode = '22023';
  end if;
  if char_length(note) > 2000 then
    raise exception 'A % has at most 2000 characters.', label using errcode = '22023';
  end if;
  return nullif(btrim(note), '');
end;
$$;
revoke all on function private.require_note(text, text, boolean) from public;

-- Separation of duties: unless the business opted out, the submitter cannot review.
create function private.require_separate_reviewer(product public.products) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if product.submitted_by = (select auth.uid()) and (
    select b.require_separate_reviewer from public.businesses b where b.id = product.business_id
  ) then
    raise exception 'You submitted this product, so someone else must review it (this business requires a separate reviewer).'
      using errcode = '42501';
  end if;
end;
$$;
revoke all on function private.require_separate_reviewer(public.products) from public;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger send_edited_product_for_review before update of name, description, category_id on public.products
  for each row
  when (old.status = 'approved' and new.status = 'approved' and (
    old.name is distinct from new.name
    or old.description is distinct from new.description
    or old.category_id is distinct from new.category_id
  ))
  execute function private.send_edited_product_for_review();
create trigger withdraw_edited_submission before update of name, description, category_id on public.products
  for each row
  when (old.status = 'pending_approval' and new.status = 'pending_approval' and (
    old.name is distinct from new.name
    or old.description is distinct from new.description
    or old.category_id is distinct from new.category_id
  ))
  execute function private.withdraw_edited_submission();
create trigger record_product_creation after insert on public.products
  for each row execute function private.record_product_status_change();
create trigger record_product_status_change after update on public.products
  for each row when (old.status is distinct from new.status) execute function private.record_product_status_change();
create trigger refuse_deleting_approved_product before delete on public.products
  for each row execute function private.refuse_deleting_approved_product();
create trigger send_product_back_for_review after insert or delete on public.product_images
  for each row execute function private.send_product_back_for_review_after_image_change();
create trigger send_product_back_for_review_on_update after update on public.product_images
  for each row
  when (old.storage_path is distinct from new.storage_path or old."position" is distinct from new."position"
        or old.alt_text is distinct from new.alt_text)
  execute function private.send_product_back_for_review_after_image_change();
create trigger retire_image_path after delete or update of storage_path on public.product_images
  for each row when (old.storage_path is not null)
  execute function private.retire_image_path();
create trigger refuse_category_cycle before insert or update of parent_id on public.categories
  for each row execute function private.refuse_category_cycle();
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
-- No policies: only the SECURITY DEFINER helpers read and write it.
alter table private.retired_image_paths enable row level security;

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


-- Storage: objects of the product-images bucket live at <business_id>/<product_id>/<file>.
-- `objects.name` is spelled out: inside the subqueries a bare `name` would be the product's.

-- Where an upload may go: <business_id>/<product_id>/<file> with the business among
-- `business_ids` (the policy's init plan) and the product one of that business's, as the
-- caller's RLS lets them see it.
create function private.is_product_image_path(object_name text, business_ids uuid[]) returns boolean
language sql
stable
set search_path = ''
as $$
  select array_length(storage.foldername(object_name), 1) = 2
     and private.uuid_or_null((storage.foldername(object_name))[1]) = any (business_ids)
     and exists (
       select 1 from public.products p
       where p.id = private.uuid_or_null((storage.foldername(object_name))[2])
         and p.business_id = private.uuid_or_null((storage.foldername(object_name))[1])
     )
$$;
revoke all on function private.is_product_image_path(text, uuid[]) from public;
grant execute on function private.is_product_image_path(text, uuid[]) to authenticated;

-- Image bytes are immutable once an image row names their path: new bytes take a new name
-- (and a new row, which sends an approved product back for review). So there is no UPDATE
-- policy (no upsert, no move), and an upload to a path that a row names, or once named, is
-- refused: otherwise a replacement would reach outsiders, and signed URLs handed out while
-- the product was approved, before any review.
create policy "Product writers can upload images of their business's products" on storage.objects
  for insert to authenticated
  with check (
    bucket_id = 'product-images'
    and private.is_product_image_path(objects.name, (select private.business_ids_with_permission('products.write'))::uuid[])
    and not private.image_path_in_use(objects.name)
  );
create policy "Product writers can delete images of their business's products" on storage.objects
  for delete to authenticated
  using (
    bucket_id = 'product-images'
    and private.uuid_or_null((storage.foldername(objects.name))[1])
      = any ((select private.business_ids_with_permission('products.write'))::uuid[])
  );
-- Outsiders read exactly the objects that an approved product's product_images rows name:
-- what the approver reviewed. A stray object in the folder (uploaded without a row) stays
-- inside the business.
create policy "Visitors can read images of approved products" on storage.objects
  for select to anon
  using (
    bucket_id = 'product-images'
    and exists (
      select 1 from public.product_images i join public.products p on p.id = i.product_id
      where i.storage_path = objects.name and p.status = 'approved'
    )
  );
create policy "Users can read images of approved products and members their business's" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'product-images'
    and (
      private.uuid_or_null((storage.foldername(objects.name))[1])
        = any ((select private.business_ids_with_permission('products.read'))::uuid[])
      or exists (
        select 1 from public.product_images i join public.products p on p.id = i.product_id
        where i.storage_path = objects.name and p.status = 'approved'
      )
    )
  );

-- ============================================================================
-- RPCs
-- ============================================================================

-- SECURITY DEFINER: moves status and submitted_by, which no API role may update.
create function public.submit_product(product_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  product public.products := private.lock_product(product_id, 'products.write');
begin
  perform private.require_status(product, array['draft', 'rejected']::public.product_status[], 'submitted for approval');
  update public.products p
  set status = 'pending_approval', submitted_by = (select auth.uid()), rejection_reason = null
  where p.id = product.id;
end;
$$;
revoke all on function public.submit_product(uuid) from public;
grant execute on function public.submit_product(uuid) to authenticated, service_role;
comment on function public.submit_product(uuid) is 'Sends a draft or rejected product for approval (needs products.write).';

-- SECURITY DEFINER: moves status and the review columns, which no API role may update.
create function public.approve_product(product_id uuid, note text default null) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  product public.products := private.lock_product(product_id, 'products.approve');
  clean_note text := private.require_note(note, 'review note', false);
begin
  perform private.require_status(product, array['pending_approval']::public.product_status[], 'approved');
  perform private.require_separate_reviewer(product);
  perform set_config('catalogue.status_note', coalesce(clean_note, ''), true);
  update public.products p
  set status = 'approved', reviewed_by = (select auth.uid()), reviewed_at = now(), rejection_reason = null
  where p.id = product.id;
end;
$$;
revoke all on function public.approve_product(uuid, text) from public;
grant execute on function public.approve_product(uuid, text) to authenticated, service_role;
comment on function public.approve_product(uuid, text) is 'Approves a pending product, making it visible to customers (needs products.approve; by default not its submitter).';

-- SECURITY DEFINER: moves status and the review columns, which no API role may update.
create function public.reject_product(product_id uuid, reason text) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  product public.products := private.lock_product(product_id, 'products.approve');
  clean_reason text := private.require_note(reason, 'rejection reason', true);
begin
  perform private.require_status(product, array['pending_approval']::public.product_status[], 'rejected');
  perform private.require_separate_reviewer(product);
  perform set_config('catalogue.status_note', clean_reason, true);
  update public.products p
  set status = 'rejected', reviewed_by = (select auth.uid()), reviewed_at = now(), rejection_reason = clean_reason
  where p.id = product.id;
end;
$$;
revoke all on function public.reject_product(uuid, text) from public;
grant execute on function public.reject_product(uuid, text) to authenticated, service_role;
comment on function public.reject_product(uuid, text) is 'Rejects a pending product with a reason the business sees (needs products.approve; by default not its submitter).';

-- SECURITY DEFINER: moves status, which no API role may update.
create function public.archive_product(product_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  product public.products := private.lock_product(product_id, 'products.write');
begin
  perform private.require_status(
    product, array['draft', 'pending_approval', 'approved', 'rejected']::public.product_status[], 'archived'
  );
  update public.products p set status = 'archived' where p.id = product.id;
end;
$$;
revoke all on function public.archive_product(uuid) from public;
grant execute on function public.archive_product(uuid) to authenticated, service_role;
comment on function public.archive_product(uuid) is 'Hides a product for good (needs products.write). Archived is final.';

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

grant update (require_separate_reviewer) on public.businesses to authenticated;

-- service_role gets what the API roles get and more, but not the workflow columns (the
-- workflow RPCs move them) and not changes to the append-only history.
grant select, insert, update, delete on public.categories, public.product_images to service_role;
grant select, delete on public.products to service_role;
grant insert (business_id, category_id, name, description, price, currency, unit, stock_quantity, created_by)
  on public.products to service_role;
grant update (category_id, name, description, price, currency, unit, stock_quantity) on public.products to service_role;
grant select on public.product_status_history to service_role;
