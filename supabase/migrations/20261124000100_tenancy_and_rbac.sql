-- Tenancy, identity and role-based access.
--
-- Businesses have members with one role each; what a role may do is data (role_permissions),
-- read by every policy through helpers that run once per statement. Membership changes only
-- through the RPCs below, which lock the business row so that "a business keeps at least one
-- admin" holds under concurrency, and which never let anyone grant a role that can do more
-- than their own.
--
-- Error codes clients see (PostgREST maps them to HTTP): 22023 invalid argument (400),
-- 42501 not allowed (403, 401 for anon), PT404 not found, 23505 duplicate (409),
-- PT409 conflicting state (409), PT422 a business rule refused the change.

-- ============================================================================
-- Types
-- ============================================================================
create type public.business_role as enum ('admin', 'approver', 'editor', 'viewer');
comment on type public.business_role is 'A member''s role in a business; its permissions are rows of role_permissions.';

create type public.app_permission as enum (
  'products.read', 'products.write', 'products.approve',
  'orders.read', 'orders.manage', 'orders.export',
  'tickets.read', 'tickets.manage',
  'chat.read', 'chat.reply',
  'members.manage', 'business.manage'
);
comment on type public.app_permission is 'What a business role can be allowed to do.';

-- ============================================================================
-- Tables
-- ============================================================================
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text check (char_length(full_name) <= 200),
  phone text check (char_length(phone) <= 32),
  avatar_path text check (char_length(avatar_path) <= 500),
  company_name text check (char_length(company_name) <= 200),
  tax_id text check (char_length(tax_id) <= 64),
  address jsonb check (address is null or jsonb_typeof(address) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.profiles is 'One per auth user, created by a trigger on auth.users. Private to its owner; co-members see names through list_business_members().';

create table public.businesses (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(btrim(name)) between 1 and 120),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 80),
  description text check (char_length(description) <= 5000),
  contact_email text check (contact_email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  contact_phone text check (char_length(contact_phone) <= 32),
  address jsonb check (address is null or jsonb_typeof(address) = 'object'),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.businesses is 'A seller on the marketplace. Public storefront data; created with create_business().';

create table public.business_members (
  business_id uuid not null references public.businesses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.business_role not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (business_id, user_id)
);
comment on table public.business_members is 'Who belongs to which business, with which role. Changed only through the membership RPCs.';

create table public.role_permissions (
  role public.business_role not null,
  permission public.app_permission not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (role, permission)
);
comment on table public.role_permissions is 'The data-driven map from business roles to permissions. Edit in Studio: behaviour follows on the next request.';

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  email text not null check (email = lower(email) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  role public.business_role not null,
  token text not null unique default encode(extensions.gen_random_bytes(32), 'hex'),
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.invitations is 'Single-use invitations to join a business, accepted with accept_invitation(token).';

-- Invitation e-mails each business sent per UTC day, counted by invite_member.
create table private.invitation_usage (
  business_id uuid not null references public.businesses (id) on delete cascade,
  day date not null,
  sent int not null check (sent >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (business_id, day)
);
comment on table private.invitation_usage is 'Invitations each business sent per UTC day: invite_member refuses beyond the daily budget.';

-- ============================================================================
-- Indexes
-- ============================================================================
-- The membership helpers look up a user's memberships; the primary key serves member lists.
create index business_members_user_id_idx on public.business_members (user_id, business_id);
create unique index invitations_one_pending_per_email on public.invitations (business_id, email) where accepted_at is null;
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);
create index businesses_created_by_idx on public.businesses (created_by);

-- ============================================================================
-- Helpers (private schema)
-- ============================================================================
-- SECURITY DEFINER: policies on business_members call it, so it must read that table without RLS.
create function private.business_ids_with_permission(required public.app_permission)
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  -- PL/pgSQL caches this plan per connection; a SQL function would be re-planned per call.
  return array(
    select m.business_id
    from public.business_members m
    join public.role_permissions rp on rp.role = m.role
    where m.user_id = auth.uid() and rp.permission = required
  );
end;
$$;
revoke all on function private.business_ids_with_permission(public.app_permission) from public;
grant execute on function private.business_ids_with_permission(public.app_permission) to anon, authenticated, service_role;
comment on function private.business_ids_with_permission(public.app_permission) is
  'Businesses where the current user holds a permission. Policies call it as `business_id = any ((select …)::uuid[])`: an init plan, one evaluation per statement, and an index condition.';

-- SECURITY DEFINER: the member-list policy on business_members calls it (no RLS recursion).
create function private.member_business_ids()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return array(select m.business_id from public.business_members m where m.user_id = auth.uid());
end;
$$;
revoke all on function private.member_business_ids() from public;
grant execute on function private.member_business_ids() to anon, authenticated, service_role;
comment on function private.member_business_ids() is 'Businesses the current user belongs to, whatever the role.';

create function private.permissions_of(member_role public.business_role)
returns public.app_permission[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(rp.permission), '{}') from public.role_permissions rp where rp.role = member_role
$$;
revoke all on function private.permissions_of(public.business_role) from public;

-- Raises unless the caller is signed in with a real (not anonymous) account; returns the user id.
create function private.require_member_account() returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  caller uuid := private.require_user();
begin
  if coalesce(((select auth.jwt()) ->> 'is_anonymous')::boolean, false) then
    raise exception 'Anonymous sessions cannot manage businesses; sign up first.' using errcode = '42501';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_member_account() from public;

-- Locks the business row (serialising every membership change of that business) and returns
-- the caller's role in it, or null when the caller is not a member.
create function private.lock_business(target uuid, caller uuid) returns public.business_role
language plpgsql
set search_path = ''
as $$
declare
  caller_role public.business_role;
begin
  perform 1 from public.businesses b where b.id = target for update;
  if not found then
    raise exception 'Business % does not exist.', target using errcode = 'PT404';
  end if;
  select m.role into caller_role from public.business_members m where m.business_id = target and m.user_id = caller;
  return caller_role;
end;
$$;
revoke all on function private.lock_business(uuid, uuid) from public;

create function private.require_permission(caller_role public.business_role, required public.app_permission)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if caller_role is null or not required = any (private.permissions_of(caller_role)) then
    raise exception 'You need the % permission in this business.', required using errcode = '42501';
  end if;
end;
$$;
revoke all on function private.require_permission(public.business_role, public.app_permission) from public;

-- Nobody may hand out, or take away, a role that can do something they cannot.
create function private.require_role_within(caller_role public.business_role, target_role public.business_role)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not private.permissions_of(target_role) <@ private.permissions_of(caller_role) then
    raise exception 'The % role has permissions that your % role does not.', target_role, caller_role
      using errcode = '42501';
  end if;
end;
$$;
revoke all on function private.require_role_within(public.business_role, public.business_role) from public;

create function private.require_another_admin(target uuid, leaving_user uuid) returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.business_members m
    where m.business_id = target and m.role = 'admin' and m.user_id <> leaving_user
  ) then
    raise exception 'A business must keep at least one admin: make someone else admin first.'
      using errcode = 'PT422';
  end if;
end;
$$;
revoke all on function private.require_another_admin(uuid, uuid) from public;

-- Whether an invitation's sender still holds members.manage in its business and may still
-- grant its role (the same rules invite_member applied when it was sent).
create function private.may_still_invite(invitation public.invitations) returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from public.business_members m
    where m.business_id = invitation.business_id and m.user_id = invitation.invited_by
      and 'members.manage' = any (private.permissions_of(m.role))
      and private.permissions_of(invitation.role) <@ private.permissions_of(m.role)
  )
$$;
revoke all on function private.may_still_invite(public.invitations) from public;

-- SECURITY DEFINER: memberships also disappear through auth's user deletion (as
-- supabase_auth_admin, which may not touch invitations), and service_role may change them
-- directly; wherever a member is removed or demoted, the invitations they could no longer
-- send are withdrawn.
create function private.withdraw_invitations_of_departed_inviter() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A deleted account sets invited_by to null before or after its memberships go: both count.
  delete from public.invitations i
  where i.business_id = old.business_id and (i.invited_by = old.user_id or i.invited_by is null)
    and i.accepted_at is null and not private.may_still_invite(i);
  return null;
end;
$$;
revoke all on function private.withdraw_invitations_of_departed_inviter() from public;

-- SECURITY DEFINER: GoTrue inserts users as supabase_auth_admin, which has no rights on public.profiles.
create function private.create_profile_for_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}');
begin
  -- Metadata is whatever the client sent at sign-up: keep what fits, never block the sign-up.
  insert into public.profiles (id, full_name, phone, company_name, tax_id, address)
  values (
    new.id,
    left(nullif(btrim(coalesce(meta ->> 'full_name', meta ->> 'name')), ''), 200),
    left(nullif(btrim(coalesce(meta ->> 'phone', new.phone)), ''), 32),
    left(nullif(btrim(meta ->> 'company_name'), ''), 200),
    left(nullif(btrim(meta ->> 'tax_id'), ''), 64),
    case when jsonb_typeof(meta -> 'address') = 'object' then meta -> 'address' end
  )
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke all on function private.create_profile_for_new_user() from public;

-- ============================================================================
-- Triggers
-- ============================================================================
create trigger create_profile after insert on auth.users
  for each row execute function private.create_profile_for_new_user();

create trigger set_updated_at before update on public.profiles
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.businesses
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.business_members
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.role_permissions
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on public.invitations
  for each row execute function private.set_updated_at();
create trigger set_updated_at before update on private.invitation_usage
  for each row execute function private.set_updated_at();
create trigger withdraw_invitations_of_departed_inviter after delete or update of role on public.business_members
  for each row execute function private.withdraw_invitations_of_departed_inviter();

-- ============================================================================
-- Policies
-- ============================================================================
alter table public.profiles enable row level security;
alter table public.businesses enable row level security;
alter table public.business_members enable row level security;
alter table public.role_permissions enable row level security;
alter table public.invitations enable row level security;
-- No policies: only invite_member (SECURITY DEFINER) counts invitations.
alter table private.invitation_usage enable row level security;

create policy "Users can read their own profile" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "Users can update their own profile" on public.profiles
  for update to authenticated using (id = (select auth.uid())) with check (id = (select auth.uid()));

create policy "Anyone can read business storefronts" on public.businesses
  for select to anon, authenticated using (true);
create policy "Business managers can update their business" on public.businesses
  for update to authenticated
  using (id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]))
  with check (id = any ((select private.business_ids_with_permission('business.manage'))::uuid[]));

create policy "Members can read their business's member list" on public.business_members
  for select to authenticated using (business_id = any ((select private.member_business_ids())::uuid[]));
create policy "Auth can read memberships to build access tokens" on public.business_members
  for select to supabase_auth_admin using (true);

create policy "Signed-in users can read the permission map" on public.role_permissions
  for select to authenticated using (true);

create policy "Member managers can read their business's invitations" on public.invitations
  for select to authenticated using (business_id = any ((select private.business_ids_with_permission('members.manage'))::uuid[]));

-- ============================================================================
-- RPCs
-- ============================================================================

-- SECURITY DEFINER: inserts the business and its first admin, which no API role may insert directly.
create function public.create_business(
  name text,
  slug text default null,
  description text default null,
  contact_email text default null,
  contact_phone text default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  chosen_slug text := slug;
  base_slug text;
  suffix int := 1;
  new_id uuid;
begin
  if name is null or char_length(btrim(name)) not between 1 and 120 then
    raise exception 'A business name needs 1 to 120 characters.' using errcode = '22023';
  end if;
  if contact_email is not null and contact_email !~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
    raise exception 'contact_email is not an e-mail address: %', contact_email using errcode = '22023';
  end if;
  if chosen_slug is null then
    -- A derived slug takes the first free suffix; an explicit one must be free (409 otherwise).
    base_slug := coalesce(private.slugify(name), 'business');
    chosen_slug := base_slug;
    while exists (select 1 from public.businesses b where b.slug = chosen_slug) loop
      suffix := suffix + 1;
      chosen_slug := base_slug || '-' || suffix;
    end loop;
  elsif chosen_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' or char_length(chosen_slug) > 80 then
    raise exception 'A slug is lower-case letters, digits and single hyphens (at most 80): %', chosen_slug
      using errcode = '22023';
  end if;

  insert into public.businesses (name, slug, description, contact_email, contact_phone, created_by)
  values (btrim(name), chosen_slug, description, lower(contact_email), contact_phone, caller)
  returning id into new_id;
  insert into public.business_members (business_id, user_id, role) values (new_id, caller, 'admin');
  return new_id;
end;
$$;
revoke all on function public.create_business(text, text, text, text, text) from public;
grant execute on function public.create_business(text, text, text, text, text) to authenticated, service_role;

-- SECURITY DEFINER: writes invitations, which no API role may insert directly.
create function public.invite_member(business_id uuid, email text, role public.business_role)
returns public.invitations
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  caller_role public.business_role;
  invitee text := lower(btrim(email));
  invitation public.invitations;
  sent_today int;
begin
  if business_id is null or role is null then
    raise exception 'business_id and role are required.' using errcode = '22023';
  end if;
  if invitee is null or invitee !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' or char_length(invitee) > 320 then
    raise exception 'Not an e-mail address: %', email using errcode = '22023';
  end if;
  caller_role := private.lock_business(business_id, caller);
  perform private.require_permission(caller_role, 'members.manage');
  perform private.require_role_within(caller_role, role);
  if exists (
    select 1 from public.business_members m join auth.users u on u.id = m.user_id
    where m.business_id = invite_member.business_id and lower(u.email) = invitee
  ) then
    raise exception '% is already a member of this business.', invitee using errcode = 'PT409';
  end if;
  -- Every invitation e-mails any address, with a business and inviter name of the inviter's
  -- choosing: a daily budget per business keeps the platform from serving as a mail relay.
  -- The business row is locked, so concurrent invitations are counted one after another.
  insert into private.invitation_usage as u (business_id, day, sent)
  values (invite_member.business_id, (now() at time zone 'UTC')::date, 1)
  on conflict on constraint invitation_usage_pkey do update set sent = u.sent + 1 where u.sent < 50
  returning u.sent into sent_today;
  if sent_today is null then
    raise exception 'This business has sent its 50 invitations for today (UTC); try again tomorrow.' using errcode = 'PT429';
  end if;
  delete from private.invitation_usage u
  where u.business_id = invite_member.business_id and u.day < (now() at time zone 'UTC')::date;
  -- A new invitation replaces a pending one for the same address.
  delete from public.invitations i
  where i.business_id = invite_member.business_id and i.email = invitee and i.accepted_at is null;
  insert into public.invitations (business_id, email, role, invited_by)
  values (business_id, invitee, role, caller)
  returning * into invitation;
  return invitation;
end;
$$;
revoke all on function public.invite_member(uuid, text, public.business_role) from public;
grant execute on function public.invite_member(uuid, text, public.business_role) to authenticated, service_role;

-- SECURITY DEFINER: reads the invitation by token and adds the membership for the invitee.
create function public.accept_invitation(token text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  invitation public.invitations;
  caller_email text;
begin
  if token is null or token !~ '^[0-9a-f]{64}$' then
    raise exception 'That is not an invitation token.' using errcode = '22023';
  end if;
  select * into invitation from public.invitations i where i.token = accept_invitation.token;
  if not found then
    raise exception 'No invitation has that token.' using errcode = 'PT404';
  end if;
  -- Business first, then the invitation: the same lock order as invite_member.
  perform private.lock_business(invitation.business_id, caller);
  select * into invitation from public.invitations i where i.id = invitation.id for update;
  if not found then
    raise exception 'This invitation was withdrawn or replaced by a newer one.' using errcode = 'PT409';
  end if;
  if invitation.accepted_at is not null then
    raise exception 'This invitation has already been used.' using errcode = 'PT409';
  end if;
  if invitation.expires_at <= now() then
    raise exception 'This invitation expired at %; ask for a new one.', invitation.expires_at using errcode = 'PT422';
  end if;
  -- An invitation never outlives its inviter's authority: removals and demotions withdraw it
  -- (private.withdraw_invitations_of_departed_inviter), and this re-check also covers a
  -- permission map edited since, or an inviter whose account is gone.
  if not private.may_still_invite(invitation) then
    raise exception 'This invitation was withdrawn: whoever sent it can no longer invite to this role; ask for a new one.'
      using errcode = 'PT409';
  end if;
  -- The live, confirmed address from auth.users, not a claim: tokens go stale.
  select lower(u.email) into caller_email from auth.users u where u.id = caller and u.email_confirmed_at is not null;
  if caller_email is distinct from invitation.email then
    raise exception 'This invitation was sent to another e-mail address.' using errcode = '42501';
  end if;
  if exists (select 1 from public.business_members m where m.business_id = invitation.business_id and m.user_id = caller) then
    raise exception 'You are already a member of this business.' using errcode = 'PT409';
  end if;
  insert into public.business_members (business_id, user_id, role) values (invitation.business_id, caller, invitation.role);
  update public.invitations i set accepted_at = now(), accepted_by = caller where i.id = invitation.id;
  return invitation.business_id;
end;
$$;
revoke all on function public.accept_invitation(text) from public;
grant execute on function public.accept_invitation(text) to authenticated, service_role;

-- SECURITY DEFINER: deletes invitations, which no API role may delete directly.
create function public.revoke_invitation(invitation_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  caller_role public.business_role;
  invitation public.invitations;
begin
  if invitation_id is null then
    raise exception 'invitation_id is required.' using errcode = '22023';
  end if;
  select * into invitation from public.invitations i where i.id = invitation_id;
  -- Someone who may not list the business's invitations learns nothing about this one.
  if not found or not invitation.business_id = any (private.business_ids_with_permission('members.manage')) then
    raise exception 'No invitation has id %.', invitation_id using errcode = 'PT404';
  end if;
  -- Business first, then the invitation: the same lock order as invite_member and accept_invitation.
  caller_role := private.lock_business(invitation.business_id, caller);
  perform private.require_permission(caller_role, 'members.manage');
  select * into invitation from public.invitations i where i.id = invitation_id for update;
  if not found then
    raise exception 'No invitation has id %.', invitation_id using errcode = 'PT404';
  end if;
  if invitation.accepted_at is not null then
    raise exception 'This invitation was already accepted; remove the member instead.' using errcode = 'PT409';
  end if;
  perform private.require_role_within(caller_role, invitation.role);
  delete from public.invitations i where i.id = invitation_id;
end;
$$;
revoke all on function public.revoke_invitation(uuid) from public;
grant execute on function public.revoke_invitation(uuid) to authenticated, service_role;
comment on function public.revoke_invitation(uuid) is
  'Withdraws a pending invitation (needs members.manage in its business and a role that includes the invited one).';

-- SECURITY DEFINER: updates business_members, which no API role may update directly.
create function public.change_member_role(business_id uuid, user_id uuid, role public.business_role)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  caller_role public.business_role;
  current_role_of_target public.business_role;
begin
  if business_id is null or user_id is null or role is null then
    raise exception 'business_id, user_id and role are required.' using errcode = '22023';
  end if;
  if user_id = caller then
    raise exception 'Nobody can change their own role.' using errcode = '42501';
  end if;
  caller_role := private.lock_business(business_id, caller);
  perform private.require_permission(caller_role, 'members.manage');
  select m.role into current_role_of_target from public.business_members m
  where m.business_id = change_member_role.business_id and m.user_id = change_member_role.user_id;
  if not found then
    raise exception 'That user is not a member of this business.' using errcode = 'PT404';
  end if;
  perform private.require_role_within(caller_role, current_role_of_target);
  perform private.require_role_within(caller_role, role);
  if current_role_of_target = 'admin' and role <> 'admin' then
    perform private.require_another_admin(business_id, user_id);
  end if;
  update public.business_members m set role = change_member_role.role
  where m.business_id = change_member_role.business_id and m.user_id = change_member_role.user_id;
end;
$$;
revoke all on function public.change_member_role(uuid, uuid, public.business_role) from public;
grant execute on function public.change_member_role(uuid, uuid, public.business_role) to authenticated, service_role;

-- SECURITY DEFINER: deletes from business_members, which no API role may delete from directly.
create function public.remove_member(business_id uuid, user_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_member_account();
  caller_role public.business_role;
  target_role public.business_role;
begin
  if business_id is null or user_id is null then
    raise exception 'business_id and user_id are required.' using errcode = '22023';
  end if;
  if user_id = caller then
    raise exception 'Use leave_business to leave a business.' using errcode = '42501';
  end if;
  caller_role := private.lock_business(business_id, caller);
  perform private.require_permission(caller_role, 'members.manage');
  select m.role into target_role from public.business_members m
  where m.business_id = remove_member.business_id and m.user_id = remove_member.user_id;
  if not found then
    raise exception 'That user is not a member of this business.' using errcode = 'PT404';
  end if;
  perform private.require_role_within(caller_role, target_role);
  if target_role = 'admin' then
    perform private.require_another_admin(business_id, user_id);
  end if;
  delete from public.business_members m
  where m.business_id = remove_member.business_id and m.user_id = remove_member.user_id;
end;
$$;
revoke all on function public.remove_member(uuid, uuid) from public;
grant execute on function public.remove_member(uuid, uuid) to authenticated, service_role;

-- SECURITY DEFINER: deletes the caller's own membership row.
create function public.leave_business(business_id uuid) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_user();
  caller_role public.business_role;
begin
  if business_id is null then
    raise exception 'business_id is required.' using errcode = '22023';
  end if;
  caller_role := private.lock_business(business_id, caller);
  if caller_role is null then
    raise exception 'You are not a member of this business.' using errcode = 'PT404';
  end if;
  if caller_role = 'admin' then
    perform private.require_another_admin(business_id, caller);
  end if;
  delete from public.business_members m where m.business_id = leave_business.business_id and m.user_id = caller;
end;
$$;
revoke all on function public.leave_business(uuid) from public;
grant execute on function public.leave_business(uuid) to authenticated, service_role;

create function public.has_permission(business_id uuid, permission public.app_permission) returns boolean
language sql
stable
set search_path = ''
as $$
  select has_permission.business_id = any (private.business_ids_with_permission(has_permission.permission))
$$;
revoke all on function public.has_permission(uuid, public.app_permission) from public;
grant execute on function public.has_permission(uuid, public.app_permission) to anon, authenticated, service_role;
comment on function public.has_permission(uuid, public.app_permission) is 'For client UI: does the current user hold this permission in this business? Authorization itself never trusts the client.';

-- SECURITY DEFINER: co-members see each other's names without being able to read whole profiles.
create function public.list_business_members(business_id uuid)
returns table (user_id uuid, role public.business_role, full_name text, avatar_path text, joined_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id, m.role, p.full_name, p.avatar_path, m.created_at
  from public.business_members m
  left join public.profiles p on p.id = m.user_id
  where m.business_id = list_business_members.business_id
    and list_business_members.business_id = any ((select private.member_business_ids())::uuid[])
  order by m.created_at, m.user_id
$$;
revoke all on function public.list_business_members(uuid) from public;
grant execute on function public.list_business_members(uuid) to authenticated, service_role;

-- GoTrue's custom access token hook: adds business_roles = {business_id: role} for client UI.
-- Authorization never reads this claim (it goes stale until the next refresh).
create function public.custom_access_token_hook(event jsonb) returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  roles jsonb;
begin
  select coalesce(jsonb_object_agg(m.business_id, m.role), '{}') into roles
  from public.business_members m
  where m.user_id = (event ->> 'user_id')::uuid;
  return jsonb_build_object('claims', jsonb_set(coalesce(event -> 'claims', '{}'), '{business_roles}', roles));
end;
$$;
revoke all on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;

-- ============================================================================
-- Grants
-- ============================================================================
grant usage on schema public to supabase_auth_admin;

grant select on public.profiles to authenticated;
grant update (full_name, phone, avatar_path, company_name, tax_id, address) on public.profiles to authenticated;

grant select on public.businesses to anon, authenticated;
grant update (name, slug, description, contact_email, contact_phone, address) on public.businesses to authenticated;

grant select on public.business_members to authenticated, supabase_auth_admin;
grant select on public.role_permissions to authenticated;
grant select on public.invitations to authenticated;

-- Not ALL: TRUNCATE would skip the row triggers (the invitation withdrawal among them), and
-- REFERENCES and TRIGGER are schema rights no API role needs.
grant select, insert, update, delete on public.profiles, public.businesses, public.business_members,
  public.role_permissions, public.invitations to service_role;

-- ============================================================================
-- Data: the default permission map
-- ============================================================================
insert into public.role_permissions (role, permission)
select r.role::public.business_role, p.permission::public.app_permission
from (values
  ('viewer', array['products.read', 'orders.read', 'tickets.read', 'chat.read']),
  ('editor', array['products.read', 'orders.read', 'tickets.read', 'chat.read', 'products.write', 'chat.reply']),
  ('approver', array['products.read', 'orders.read', 'tickets.read', 'chat.read', 'products.write', 'chat.reply',
                     'products.approve', 'orders.manage', 'tickets.manage']),
  ('admin', array['products.read', 'orders.read', 'tickets.read', 'chat.read', 'products.write', 'chat.reply',
                  'products.approve', 'orders.manage', 'tickets.manage', 'members.manage', 'business.manage',
                  'orders.export'])
) as r (role, permissions)
cross join lateral unnest(r.permissions) as p (permission);
