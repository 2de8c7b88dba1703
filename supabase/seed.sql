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

-- ============================================================================
-- Knowledge base (the AI assistant's farming know-how; written for Sokoni)
-- ============================================================================
insert into public.knowledge_articles (business_id, title, body, tags, language)
values
  (null, 'Testing your soil before planting',
   'A soil test every two or three seasons tells you the pH and which nutrients are short. Take 10 to 15 samples across the field at 0-20 cm depth, mix them in a clean bucket and send about 500 g to a soil laboratory. Most food crops do best at a pH of 5.5 to 7.0; below that, apply agricultural lime a few weeks before planting.',
   '{soil,ph,lime,testing}', 'en'),
  (null, 'Improving soil with compost and manure',
   'Well-rotted compost or manure adds organic matter, holds water and feeds soil life. Apply 2 to 5 tonnes per acre and work it into the top soil before planting. Fresh manure can burn seedlings and carry weed seeds: let it decompose for at least two months first.',
   '{soil,compost,manure,organic}', 'en'),
  (null, 'Rotating crops to keep soil healthy',
   'Do not grow the same crop family on the same plot season after season. Follow a cereal such as maize with a legume such as beans, which adds nitrogen, then a root or leafy crop. Rotation also breaks the life cycle of pests and diseases that live in the soil.',
   '{soil,rotation,maize,beans,legumes}', 'en'),
  (null, 'Drip irrigation for small farms',
   'Drip lines deliver water to the root zone and use 30 to 50 percent less water than furrows or sprinklers. Filter the water to stop emitters clogging, flush the lines monthly and water early in the morning. A 1,000 litre tank raised one metre can feed about 500 plants.',
   '{irrigation,drip,water}', 'en'),
  (null, 'When and how much to water vegetables',
   'Most vegetables need about 25 mm of water a week, more in hot, dry weather. Water deeply two or three times a week rather than a little every day, so roots grow down. Mulch with dry grass to keep the soil moist and cool. Yellow, wilting lower leaves in wet soil mean too much water.',
   '{irrigation,vegetables,mulch,water}', 'en'),
  (null, 'Fall armyworm in maize',
   'Fall armyworm caterpillars eat the leaves and the funnel of young maize, leaving ragged holes and sawdust-like droppings. Scout 20 plants in a W pattern twice a week from emergence. Act when more than one plant in five is damaged: hand-pick caterpillars, apply a registered insecticide into the funnel early in the morning, and plant early and together with neighbours.',
   '{pests,maize,armyworm}', 'en'),
  (null, 'Aphids on kale and cabbage',
   'Aphids cluster under the leaves and make them curl. Spray a strong jet of water or a soap solution (one spoon of liquid soap in a litre of water) and keep ladybirds, which eat aphids. Remove badly affected leaves. If you use a pesticide, respect the waiting period before harvest on the label.',
   '{pests,aphids,kale,sukuma wiki,cabbage}', 'en'),
  (null, 'Tomato blight',
   'Late blight shows as dark, water-soaked patches on tomato leaves and fruit, spreading fast in cool, wet weather. Space and stake plants for air flow, water the soil and not the leaves, remove infected plants and do not plant tomatoes or potatoes in the same place the next season. Copper-based fungicides protect healthy plants.',
   '{pests,disease,tomatoes,potatoes,blight}', 'en'),
  (null, 'Drying and storing maize safely',
   'Harvest maize when the husks are dry and dry the grain to 13 percent moisture or less: a dry kernel cracks cleanly between the teeth. Store in hermetic bags or airtight containers off the floor. Damp grain grows moulds that produce aflatoxin, which is poisonous and cannot be cooked away.',
   '{post-harvest,storage,maize,aflatoxin}', 'en'),
  (null, 'Keeping tomatoes and vegetables fresh after harvest',
   'Pick in the cool of the morning, keep produce in the shade and handle it gently to avoid bruises. Pack tomatoes in shallow crates, not sacks. A charcoal cooler or an evaporative cooler can keep leafy vegetables fresh for several more days.',
   '{post-harvest,storage,tomatoes,vegetables}', 'en'),
  (null, 'Storing beans without weevils',
   'Dry beans well in the sun, sort out damaged seeds and store them in hermetic bags or sealed drums. Without air, weevils die within weeks. Mixing beans with wood ash or a registered storage dust also protects them. Check stores monthly.',
   '{post-harvest,storage,beans,weevils}', 'en'),
  (null, 'Feeding dairy cows for more milk',
   'A cow giving 10 litres a day needs good forage such as Napier grass or hay, about 1 kg of dairy meal for every 2 litres of milk above the first 5 litres, a mineral lick and clean water at all times: a milking cow drinks 50 to 100 litres a day.',
   '{animal feed,dairy,cows,milk,dairy meal}', 'en'),
  (null, 'Feeding layers and kienyeji chickens',
   'Laying hens need layers mash with about 16 percent protein, roughly 120 g per bird a day, plus clean water and grit or crushed shells for strong eggshells. Kienyeji chickens that scavenge still lay better with a daily supplement of layers mash or grain.',
   '{animal feed,chickens,layers,eggs,poultry}', 'en'),
  (null, 'Making silage for the dry season',
   'Chop maize or Napier grass when it is green, pack it tightly in a pit or a silage bag in layers, press out the air and seal it completely. After about three weeks it becomes silage that keeps for months and feeds cattle when pasture is scarce.',
   '{animal feed,silage,dry season,napier}', 'en'),
  (null, 'Choosing fertiliser for maize',
   'At planting, apply a phosphate fertiliser such as DAP or NPK in the planting hole, about one bottle top per hole, mixed with soil so it does not touch the seed. Top dress with CAN or urea when the maize is knee high. A soil test tells you the right rates for your field.',
   '{fertiliser,maize,planting,dap,can}', 'en'),
  (null, 'Kupima udongo kabla ya kupanda',
   'Pima udongo kila baada ya misimu miwili au mitatu ili kujua asidi (pH) na virutubisho vinavyokosekana. Chukua sampuli 10 hadi 15 shambani, zichanganye na upeleke nusu kilo maabara. Mazao mengi hustawi pH ikiwa kati ya 5.5 na 7.0; ikiwa chini, weka chokaa ya kilimo.',
   '{udongo,mbolea,chokaa,soil}', 'sw'),
  (null, 'Kuhifadhi mahindi baada ya mavuno',
   'Kausha mahindi hadi unyevu wa asilimia 13 au chini. Hifadhi kwenye mifuko isiyopitisha hewa (hermetic) juu ya mbao, si sakafuni. Mahindi yenye unyevu huota ukungu unaotoa sumu ya aflatoxin, ambayo haiondoki hata ukipika.',
   '{mahindi,uhifadhi,aflatoxin,maize,storage}', 'sw'),
  (null, 'Kudhibiti viwavijeshi kwenye mahindi',
   'Kagua mimea 20 mara mbili kwa wiki tangu kuota. Ukiona mashimo kwenye majani na kinyesi kama unga wa mbao, ondoa viwavi kwa mkono na nyunyiza dawa iliyosajiliwa ndani ya kikombe cha mahindi asubuhi na mapema.',
   '{viwavijeshi,wadudu,mahindi,armyworm,pests}', 'sw'),
  (null, 'Lishe ya ng''ombe wa maziwa',
   'Ng''ombe wa maziwa anahitaji malisho bora kama majani ya Napier, kilo moja ya dairy meal kwa kila lita mbili za maziwa zaidi ya lita tano za kwanza, madini na maji safi kila wakati.',
   '{lishe,ng''ombe,maziwa,dairy meal,animal feed}', 'sw'),
  (null, 'Umwagiliaji wa matone',
   'Umwagiliaji wa matone hupeleka maji moja kwa moja kwenye mizizi na hutumia maji kidogo kuliko mifereji. Chuja maji, safisha mabomba kila mwezi na mwagilia asubuhi na mapema.',
   '{umwagiliaji,maji,irrigation,drip}', 'sw'),
  ('aaaaaaaa-0000-4000-8000-000000000001', 'Shamba Fresh delivery and collection',
   'Shamba Fresh delivers within Nakuru county on Tuesdays and Fridays; orders placed by Monday evening leave on Tuesday. Collection from the co-operative store is possible Monday to Saturday, 8 am to 5 pm.',
   '{delivery,collection,nakuru}', 'en');
