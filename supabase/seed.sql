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

-- ============================================================================
-- Catalogue: categories, and products in every status made through the workflow RPCs
-- ============================================================================
-- Each product goes through the same RPCs a client would call, as the member who would call
-- them (editor creates and submits, approver reviews, admin archives), so the status history
-- matches every product's status. 150 products per business, 30 in each status.
insert into public.categories (id, business_id, parent_id, name, slug)
values
  ('cccccccc-0001-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', null, 'Farm inputs (Pembejeo)', 'farm-inputs'),
  ('cccccccc-0001-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0001-4000-8000-000000000001', 'Seeds (Mbegu)', 'seeds'),
  ('cccccccc-0001-4000-8000-000000000003', 'aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0001-4000-8000-000000000001', 'Fertiliser (Mbolea)', 'fertiliser'),
  ('cccccccc-0001-4000-8000-000000000004', 'aaaaaaaa-0000-4000-8000-000000000001', null, 'Fresh produce (Mazao)', 'fresh-produce'),
  ('cccccccc-0001-4000-8000-000000000005', 'aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0001-4000-8000-000000000004', 'Vegetables (Mboga)', 'vegetables'),
  ('cccccccc-0001-4000-8000-000000000006', 'aaaaaaaa-0000-4000-8000-000000000001', 'cccccccc-0001-4000-8000-000000000004', 'Fruits (Matunda)', 'fruits'),
  ('cccccccc-0001-4000-8000-000000000007', 'aaaaaaaa-0000-4000-8000-000000000001', null, 'Dairy and eggs (Maziwa na mayai)', 'dairy-and-eggs'),
  ('cccccccc-0002-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002', null, 'Groceries (Vyakula)', 'groceries'),
  ('cccccccc-0002-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000002', 'cccccccc-0002-4000-8000-000000000001', 'Grains and flour (Nafaka na unga)', 'grains-and-flour'),
  ('cccccccc-0002-4000-8000-000000000003', 'aaaaaaaa-0000-4000-8000-000000000002', 'cccccccc-0002-4000-8000-000000000001', 'Cooking essentials (Mafuta na viungo)', 'cooking-essentials'),
  ('cccccccc-0002-4000-8000-000000000004', 'aaaaaaaa-0000-4000-8000-000000000002', null, 'Vegetables (Mboga za majani)', 'vegetables'),
  ('cccccccc-0002-4000-8000-000000000005', 'aaaaaaaa-0000-4000-8000-000000000002', null, 'Fruits (Matunda)', 'fruits');

do $seed$
declare
  business record;
  item record;
  variant int;
  n int;
  product_id uuid;
  target public.product_status;
  statuses public.product_status[] := array['draft', 'pending_approval', 'approved', 'rejected', 'archived'];
  variants text[] := array['small pack', 'medium pack', 'large pack', 'bulk', 'grade one', 'value pack',
    'family pack', 'trial pack', 'wholesale', 'premium', 'economy', 'gift pack'];
begin
  for business in
    select * from (values
      ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, '11111111-0000-4000-8000-000000000001'::uuid,
       '11111111-0000-4000-8000-000000000002'::uuid, '11111111-0000-4000-8000-000000000003'::uuid),
      ('aaaaaaaa-0000-4000-8000-000000000002'::uuid, '22222222-0000-4000-8000-000000000001'::uuid,
       '22222222-0000-4000-8000-000000000002'::uuid, '22222222-0000-4000-8000-000000000003'::uuid)
    ) as b (id, admin_id, approver_id, editor_id)
  loop
    n := 0;
    for item in
      select * from (values
        ('aaaaaaaa-0000-4000-8000-000000000001'::uuid, 'Hybrid maize seed H614 (Mbegu za mahindi)', 'cccccccc-0001-4000-8000-000000000002'::uuid, 'kg', 450.00, 'Certified hybrid maize seed for the long rains. Mbegu bora kwa mvua ndefu.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Bean seed Rosecoco (Mbegu za maharage)', 'cccccccc-0001-4000-8000-000000000002', 'kg', 320.00, 'Rosecoco bean seed, high yielding.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Sukuma wiki seed (Mbegu za sukuma)', 'cccccccc-0001-4000-8000-000000000002', 'packet', 150.00, 'Kale seed that grows fast in most soils.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'DAP planting fertiliser (Mbolea ya kupandia)', 'cccccccc-0001-4000-8000-000000000003', 'bag', 3500.00, 'Di-ammonium phosphate for planting, 50 kg bag.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'CAN top dressing fertiliser (Mbolea ya kukuzia)', 'cccccccc-0001-4000-8000-000000000003', 'bag', 3000.00, 'Calcium ammonium nitrate for top dressing.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Fresh tomatoes (Nyanya)', 'cccccccc-0001-4000-8000-000000000005', 'kg', 120.00, 'Ripe tomatoes picked this week in Nakuru.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Red onions (Vitunguu)', 'cccccccc-0001-4000-8000-000000000005', 'kg', 140.00, 'Dry red onions that keep for weeks.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Irish potatoes (Viazi)', 'cccccccc-0001-4000-8000-000000000005', 'bag', 2800.00, 'Shangi potatoes from Nyandarua.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Hass avocado (Parachichi)', 'cccccccc-0001-4000-8000-000000000006', 'piece', 30.00, 'Export-grade Hass avocados.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Sweet mango (Embe)', 'cccccccc-0001-4000-8000-000000000006', 'piece', 40.00, 'Apple mangoes, sweet and juicy.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Fresh milk (Maziwa mabichi)', 'cccccccc-0001-4000-8000-000000000007', 'litre', 60.00, 'Fresh cow milk from co-operative members.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Kienyeji eggs (Mayai ya kienyeji)', 'cccccccc-0001-4000-8000-000000000007', 'tray', 450.00, 'Free-range eggs, 30 per tray.'),
        ('aaaaaaaa-0000-4000-8000-000000000001', 'Dairy meal (Chakula cha ng''ombe)', 'cccccccc-0001-4000-8000-000000000001', 'bag', 2400.00, 'Balanced dairy meal for higher milk yields.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Maize flour (Unga wa mahindi)', 'cccccccc-0002-4000-8000-000000000002', 'packet', 180.00, 'Sifted maize flour for ugali, 2 kg.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Pishori rice (Mchele wa pishori)', 'cccccccc-0002-4000-8000-000000000002', 'kg', 220.00, 'Aromatic Mwea pishori rice.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Wheat flour (Unga wa ngano)', 'cccccccc-0002-4000-8000-000000000002', 'packet', 200.00, 'All-purpose wheat flour for chapati and mandazi.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Green grams (Ndengu)', 'cccccccc-0002-4000-8000-000000000002', 'kg', 190.00, 'Clean green grams.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Sorghum flour (Unga wa mtama)', 'cccccccc-0002-4000-8000-000000000002', 'kg', 160.00, 'Stone-ground sorghum for uji.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Cooking oil (Mafuta ya kupikia)', 'cccccccc-0002-4000-8000-000000000003', 'litre', 350.00, 'Refined vegetable cooking oil.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Sugar (Sukari)', 'cccccccc-0002-4000-8000-000000000003', 'kg', 170.00, 'White sugar from Mumias.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Sukuma wiki (Kale)', 'cccccccc-0002-4000-8000-000000000004', 'bunch', 30.00, 'Fresh kale, washed and tied.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Spinach (Mchicha)', 'cccccccc-0002-4000-8000-000000000004', 'bunch', 40.00, 'Tender spinach leaves.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Cabbage (Kabichi)', 'cccccccc-0002-4000-8000-000000000004', 'piece', 60.00, 'Firm green cabbage.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Bananas (Ndizi)', 'cccccccc-0002-4000-8000-000000000005', 'bunch', 150.00, 'Sweet ripe bananas.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Oranges (Machungwa)', 'cccccccc-0002-4000-8000-000000000005', 'kg', 130.00, 'Juicy oranges from the coast.'),
        ('aaaaaaaa-0000-4000-8000-000000000002', 'Pineapple (Nanasi)', 'cccccccc-0002-4000-8000-000000000005', 'piece', 120.00, 'Sweet Thika pineapples.')
      ) as i (business_id, name, category_id, unit, price, description)
      where i.business_id = business.id
    loop
      for variant in 1 .. 12 loop
        exit when n >= 150;
        n := n + 1;
        target := statuses[1 + (n - 1) % 5];
        perform set_config('request.jwt.claims',
          json_build_object('sub', business.editor_id, 'role', 'authenticated', 'is_anonymous', false)::text, true);
        insert into public.products (business_id, category_id, name, description, price, unit, stock_quantity)
        values (business.id, item.category_id, item.name || ', ' || variants[variant], item.description,
                round(item.price * (0.5 + variant * 0.25), 2), item.unit, case when n % 7 = 0 then 0 else 10 * n end)
        returning id into product_id;
        continue when target = 'draft';
        perform public.submit_product(product_id);
        continue when target = 'pending_approval';
        perform set_config('request.jwt.claims',
          json_build_object('sub', business.approver_id, 'role', 'authenticated', 'is_anonymous', false)::text, true);
        if target = 'rejected' then
          perform public.reject_product(product_id, 'Please add a clearer photo and the pack weight.');
          continue;
        end if;
        perform public.approve_product(product_id, 'Looks good.');
        continue when target = 'approved';
        perform set_config('request.jwt.claims',
          json_build_object('sub', business.admin_id, 'role', 'authenticated', 'is_anonymous', false)::text, true);
        perform public.archive_product(product_id);
      end loop;
    end loop;
    if n < 150 then
      raise exception 'catalogue seed: only % products for business %', n, business.id;
    end if;
  end loop;
  perform set_config('request.jwt.claims', '', true);
end;
$seed$;
