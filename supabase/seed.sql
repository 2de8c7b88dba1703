-- Demo data for local development. Every demo account signs in with the password
-- `sokoni-demo-2026` (see README, "Demo accounts"). Never run against a hosted project.

-- ============================================================================
-- Accounts: two businesses with a member in every role, and two customers
-- ============================================================================
insert into auth.users (id, instance_id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
select u.id::uuid, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', u.email,
       extensions.crypt('sokoni-demo-2026', extensions.gen_salt('bf')), now(),
       '{"provider": "email", "providers": ["email"]}', u.meta::jsonb, now(), now()
from (values
  ('11111111-0000-4000-8000-000000000001', 'amina.admin@shamba.example', '{"full_name": "Amina Wanjiru", "phone": "+254700000101"}'),
  ('11111111-0000-4000-8000-000000000002', 'baraka.approver@shamba.example', '{"full_name": "Baraka Otieno"}'),
  ('11111111-0000-4000-8000-000000000003', 'chiku.editor@shamba.example', '{"full_name": "Chiku Mwangi"}'),
  ('11111111-0000-4000-8000-000000000004', 'daudi.viewer@shamba.example', '{"full_name": "Daudi Kiprono"}'),
  ('22222222-0000-4000-8000-000000000001', 'esther.admin@mamamboga.example', '{"full_name": "Esther Njeri"}'),
  ('22222222-0000-4000-8000-000000000002', 'faraji.approver@mamamboga.example', '{"full_name": "Faraji Hassan"}'),
  ('22222222-0000-4000-8000-000000000003', 'grace.editor@mamamboga.example', '{"full_name": "Grace Achieng"}'),
  ('22222222-0000-4000-8000-000000000004', 'hamisi.viewer@mamamboga.example', '{"full_name": "Hamisi Juma"}'),
  ('33333333-0000-4000-8000-000000000001', 'imani.customer@example.com',
   '{"full_name": "Imani Chebet", "phone": "+254711000201", "address": {"line1": "Moi Avenue 12", "city": "Nairobi", "country": "KE"}}'),
  ('33333333-0000-4000-8000-000000000002', 'juma.buyer@example.com',
   '{"full_name": "Juma Said", "company_name": "Said Hotels Ltd", "tax_id": "P051234567X", "address": {"line1": "Nyerere Road 4", "city": "Mombasa", "country": "KE"}}')
) as u (id, email, meta);

-- Supabase Auth signs e-mail users in through their identity row.
insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true), 'email', now(), now(), now()
from auth.users u
where u.email like '%.example' or u.email like '%@example.com';

-- ============================================================================
-- Businesses and memberships
-- ============================================================================
insert into public.businesses (id, name, slug, description, contact_email, contact_phone, address, created_by)
values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Shamba Fresh Co-operative', 'shamba-fresh',
   'A farmers'' co-operative from Nakuru selling seeds, fertiliser, fresh produce and dairy.',
   'orders@shamba.example', '+254700000100', '{"city": "Nakuru", "country": "KE"}',
   '11111111-0000-4000-8000-000000000001'),
  ('aaaaaaaa-0000-4000-8000-000000000002', 'Mama Mboga Groceries', 'mama-mboga',
   'Duka la mboga na vyakula: fresh vegetables, grains and household groceries in Nairobi.',
   'hello@mamamboga.example', '+254700000200', '{"city": "Nairobi", "country": "KE"}',
   '22222222-0000-4000-8000-000000000001');

insert into public.business_members (business_id, user_id, role)
values
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000001', 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000002', 'approver'),
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000003', 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000001', '11111111-0000-4000-8000-000000000004', 'viewer'),
  ('aaaaaaaa-0000-4000-8000-000000000002', '22222222-0000-4000-8000-000000000001', 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000002', '22222222-0000-4000-8000-000000000002', 'approver'),
  ('aaaaaaaa-0000-4000-8000-000000000002', '22222222-0000-4000-8000-000000000003', 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000002', '22222222-0000-4000-8000-000000000004', 'viewer');

-- A pending invitation, to see the flow in Studio.
insert into public.invitations (business_id, email, role, invited_by)
values ('aaaaaaaa-0000-4000-8000-000000000001', 'new.editor@shamba.example', 'editor', '11111111-0000-4000-8000-000000000001');
