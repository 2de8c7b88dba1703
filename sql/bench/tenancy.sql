-- Benchmark data for tenancy: 1,000 businesses with 10 members each, and one user
-- (00000000-0000-0000-0000-00000000b0b0) who belongs to 50 of them. Run as supabase_admin.
insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
select ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, '00000000-0000-0000-0000-000000000000'::uuid,
       'authenticated', 'authenticated', 'bench' || i || '@example.test', '{}'::jsonb, jsonb_build_object('full_name', 'Bench ' || i), now()
from generate_series(1, 10000) as i
union all
select '00000000-0000-0000-0000-00000000b0b0', '00000000-0000-0000-0000-000000000000'::uuid,
       'authenticated', 'authenticated', 'busy@example.test', '{}'::jsonb, '{}'::jsonb, now();

insert into public.businesses (id, name, slug)
select ('10000000-0000-0000-0000-' || lpad(to_hex(b), 12, '0'))::uuid, 'Bench business ' || b, 'bench-' || b
from generate_series(1, 1000) as b;

-- Member m of business b is user (b - 1) * 10 + m; the first member is the admin.
insert into public.business_members (business_id, user_id, role)
select ('10000000-0000-0000-0000-' || lpad(to_hex(b), 12, '0'))::uuid,
       ('00000000-0000-0000-0000-' || lpad(to_hex((b - 1) * 10 + m), 12, '0'))::uuid,
       (array['admin', 'approver', 'editor', 'viewer'])[1 + (m % 4)]::public.business_role
from generate_series(1, 1000) as b, generate_series(1, 10) as m;

insert into public.business_members (business_id, user_id, role)
select ('10000000-0000-0000-0000-' || lpad(to_hex(b), 12, '0'))::uuid, '00000000-0000-0000-0000-00000000b0b0', 'viewer'
from generate_series(1, 1000, 20) as b;

analyze;
