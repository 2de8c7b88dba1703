// The README's and the capability docs' supabase-js examples, run with the real client against
// the stack's PostgREST, signed in through the same tokens `npm run token` prints. Auth and
// Storage calls are left out (the Docker-free stack serves neither); everything else is here:
// tables and embeddings, filters, counts, ranges, upserts, RPCs with named arguments, and the
// error statuses the docs promise.
import { describe, expect, it } from 'vitest';
import { keyClient, userClient } from '../support/client.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { createUser, signIn, uniqueEmail } from '../support/users.ts';
import { superuser } from '../support/db.ts';
import { createProduct } from '../catalogue/catalogue-fixtures.ts';
import { pendingOrder } from '../commerce/fixtures.ts';

describe('README: membership through RPCs', () => {
  it('create, invite, accept, change role, ask, list, remove and leave', async () => {
    const owner = await createCustomer('readme-owner');
    const mary = await createUser({ email: uniqueEmail('mary') });
    const bob = await createUser({ email: uniqueEmail('bob') });
    const supabase = await userClient(owner);

    const slug = `shamba-fresh-${Date.now()}`;
    const { data: businessId, error: createError, status: createStatus } = await supabase.rpc('create_business', { name: 'Shamba Fresh', slug });
    expect(createError).toBeNull();
    expect(createStatus).toBe(200);
    expect(businessId).toMatch(/^[0-9a-f-]{36}$/);

    const { data: invitation } = await supabase.rpc('invite_member', { business_id: businessId, email: mary.email, role: 'editor' });
    expect(invitation).toMatchObject({ business_id: businessId, email: mary.email, role: 'editor' });
    const asMary = await userClient(mary);
    const accepted = await asMary.rpc('accept_invitation', { token: invitation.token });
    expect(accepted.error).toBeNull();
    expect(accepted.data).toBe(businessId);

    const changed = await supabase.rpc('change_member_role', { business_id: businessId, user_id: mary.id, role: 'approver' });
    expect(changed.error).toBeNull();
    expect(changed.status).toBe(204);
    const { data: canApprove } = await asMary.rpc('has_permission', { business_id: businessId, permission: 'products.approve' });
    expect(canApprove).toBe(true);
    const { data: members } = await supabase.rpc('list_business_members', { business_id: businessId });
    expect(members.map((m: { user_id: string; role: string }) => [m.user_id, m.role]).sort()).toEqual(
      [[owner.id, 'admin'], [mary.id, 'approver']].sort(),
    );

    // Nobody changes their own role: a business rule refused with PostgREST's status.
    const own = await asMary.rpc('change_member_role', { business_id: businessId, user_id: mary.id, role: 'admin' });
    expect(own.error).not.toBeNull();
    expect(own.status).toBeGreaterThanOrEqual(400);
    expect(own.status).toBeLessThan(500);

    expect((await supabase.rpc('remove_member', { business_id: businessId, user_id: mary.id })).status).toBe(204);
    expect((await asMary.rpc('has_permission', { business_id: businessId, permission: 'products.read' })).data).toBe(false);

    const { data: second } = await supabase.rpc('invite_member', { business_id: businessId, email: bob.email, role: 'viewer' });
    const asBob = await userClient(bob);
    expect((await asBob.rpc('accept_invitation', { token: second.token })).error).toBeNull();
    expect((await asBob.rpc('leave_business', { business_id: businessId })).status).toBe(204);
    const { data: after } = await supabase.rpc('list_business_members', { business_id: businessId });
    expect(after.map((m: { user_id: string }) => m.user_id)).toEqual([owner.id]);
  });

  it('calls without a session are refused with 401, and unknown functions with 404', async () => {
    const anon = await keyClient('anon');
    const refused = await anon.rpc('create_business', { name: 'Nobody', slug: `nobody-${Date.now()}` });
    expect(refused.status).toBe(401);
    expect(refused.error?.code).toBe('42501');
    const unknown = await anon.rpc('no_such_function', {});
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe('PGRST202');
  });
});

describe('docs/catalogue.md', () => {
  it('the product workflow, its history and the separation-of-duties switch', async () => {
    const business = await createBusiness('doc-catalogue');
    const editor = await userClient(business.editor);
    const approver = await userClient(business.approver);
    const admin = await userClient(business.admin);

    const { data: product, status } = await editor.from('products')
      .insert({ business_id: business.id, category_id: null, name: 'Mahindi (maize) 90 kg', price: 4200, unit: 'bag', stock_quantity: 30 })
      .select().single();
    expect(status).toBe(201);
    expect(product).toMatchObject({ status: 'draft', name: 'Mahindi (maize) 90 kg', unit: 'bag' });

    expect((await editor.rpc('submit_product', { product_id: product.id })).status).toBe(204);
    expect((await approver.rpc('approve_product', { product_id: product.id, note: 'Photos and weight OK.' })).status).toBe(204);
    // Rejecting needs a pending submission: the approved product is refused, another one is not.
    const wrongState = await approver.rpc('reject_product', { product_id: product.id, reason: 'Add the pack weight.' });
    expect(wrongState.status).toBe(409);
    const other = await createProduct(business, 'pending_approval');
    expect((await approver.rpc('reject_product', { product_id: other, reason: 'Add the pack weight.' })).status).toBe(204);
    expect((await editor.rpc('archive_product', { product_id: product.id })).status).toBe(204);

    const { data: history } = await editor.from('product_status_history')
      .select('from_status, to_status, actor_id, note, created_at').eq('product_id', product.id).order('created_at');
    expect(history!.map((h) => [h.from_status, h.to_status, h.actor_id])).toEqual([
      [null, 'draft', business.editor.id],
      ['draft', 'pending_approval', business.editor.id],
      ['pending_approval', 'approved', business.approver.id],
      ['approved', 'archived', business.editor.id],
    ]);

    const update = await admin.from('businesses').update({ require_separate_reviewer: false }).eq('id', business.id);
    expect(update.status).toBe(204);
    const [row] = await superuser()`select require_separate_reviewer from public.businesses where id = ${business.id}`;
    expect(row.require_separate_reviewer).toBe(false);
    // An editor lacks business.manage: RLS leaves the update no row, which is not an error.
    const byEditor = await editor.from('businesses').update({ require_separate_reviewer: true }).eq('id', business.id).select();
    expect(byEditor.error).toBeNull();
    expect(byEditor.data).toEqual([]);
  });

  it('image rows (the upload itself is a Storage call) and visibility through embedding', async () => {
    const business = await createBusiness('doc-images');
    const approved = await createProduct(business, 'approved');
    const draft = await createProduct(business, 'draft');
    const editor = await userClient(business.editor);
    for (const productId of [approved, draft]) {
      const path = `${business.id}/${productId}/front.webp`;
      const inserted = await editor.from('product_images')
        .insert({ product_id: productId, business_id: business.id, storage_path: path, position: 0 });
      expect(inserted.status).toBe(201);
    }
    // Adding an image sends an approved product back for review, as the doc says.
    const { data: back } = await editor.from('products').select('status').eq('id', approved).single();
    expect(back).toEqual({ status: 'pending_approval' });
    const approver = await userClient(business.approver);
    expect((await approver.rpc('approve_product', { product_id: approved })).status).toBe(204);
    const anon = await keyClient('anon');
    const { data: seen } = await anon.from('products').select('id, product_images(storage_path)').eq('business_id', business.id);
    expect(seen!.map((p) => p.id).sort()).toEqual([approved].sort());
    const { data: members } = await editor.from('products').select('id, product_images(storage_path)').eq('business_id', business.id);
    expect(members!.map((p) => p.id).sort()).toEqual([approved, draft].sort());
    expect(members!.every((p) => p.product_images.length === 1)).toBe(true);
  });

  it('search_products pages with the cursor, by POST and by GET', async () => {
    const business = await createBusiness('doc-search');
    const tag = `mahindi${Date.now()}`;
    for (let i = 0; i < 30; i++) await createProduct(business, 'approved', { name: `${tag} grade ${i}`, price: 150 + i, stock: 5 });
    const supabase = await keyClient('anon');
    const first = await supabase.rpc('search_products', { query: tag, min_price: 100, in_stock: true });
    expect(first.error).toBeNull();
    expect(first.data).toHaveLength(24);
    const next = await supabase.rpc('search_products', {
      query: tag, min_price: 100, in_stock: true, after: first.data.at(-1).cursor,
    });
    expect(next.data).toHaveLength(6);
    const ids = new Set([...first.data, ...next.data].map((r: { id: string }) => r.id));
    expect(ids.size).toBe(30);
    const viaGet = await supabase.rpc('search_products', { query: tag, min_price: 100, in_stock: true }, { get: true });
    expect(viaGet.data.map((r: { id: string }) => r.id)).toEqual(first.data.map((r: { id: string }) => r.id));
  });

  it('filters, counts and ranges on the storefront', async () => {
    const business = await createBusiness('doc-counts');
    for (let i = 0; i < 5; i++) await createProduct(business, 'approved', { price: 100 + i * 10 });
    await createProduct(business, 'draft');
    const supabase = await keyClient('anon');
    const head = await supabase.from('products').select('id', { count: 'exact', head: true }).eq('business_id', business.id);
    expect(head.count).toBe(5);
    const page = await supabase.from('products').select('price', { count: 'exact' })
      .eq('business_id', business.id).gte('price', 120).order('price', { ascending: false }).range(0, 1);
    expect(page.status).toBe(206);
    expect(page.count).toBe(3);
    expect(page.data!.map((p) => Number(p.price))).toEqual([140, 130]);
    const missing = await supabase.from('products').select('id').eq('business_id', business.id).gt('price', 1000).maybeSingle();
    expect(missing).toMatchObject({ data: null, error: null });
  });
});

describe('docs/commerce.md', () => {
  it('the cart: add, change, remove, clear, read with the product embedded', async () => {
    const business = await createBusiness('doc-cart');
    const [first, second] = [await createProduct(business, 'approved'), await createProduct(business, 'approved', { price: 250 })];
    const customer = await createCustomer('doc-cart');
    const supabase = await userClient(customer);

    const { data: line, error } = await supabase.rpc('add_to_cart', { product_id: first, quantity: 2 });
    expect(error).toBeNull();
    expect(line).toMatchObject({ product_id: first, quantity: 2 });
    expect((await supabase.rpc('add_to_cart', { product_id: first, quantity: 1 })).data.quantity).toBe(3);
    const changed = await supabase.from('cart_items').update({ quantity: 5 }).eq('id', line.id).select('quantity').single();
    expect(changed.data).toEqual({ quantity: 5 });
    await supabase.rpc('add_to_cart', { product_id: second, quantity: 1 });
    const { data: cart } = await supabase.from('cart_items').select('id, quantity, product:products(id, name, price, currency)').order('quantity');
    expect(cart!.map((c) => [(c.product as unknown as { id: string }).id, c.quantity])).toEqual([[second, 1], [first, 5]]);
    expect((await supabase.from('cart_items').delete().eq('id', line.id)).status).toBe(204);
    expect((await supabase.rpc('clear_cart')).status).toBe(204);
    expect((await supabase.from('cart_items').select('id')).data).toEqual([]);
  });

  it('cart errors carry the documented codes and statuses', async () => {
    const business = await createBusiness('doc-cart-errors');
    const approved = await createProduct(business, 'approved');
    const draft = await createProduct(business, 'draft');
    const supabase = await userClient(await createCustomer('doc-cart-errors'));
    const bad = await supabase.rpc('add_to_cart', { product_id: approved, quantity: 0 });
    expect([bad.status, bad.error?.code]).toEqual([400, '22023']);
    const unknown = await supabase.rpc('add_to_cart', { product_id: '00000000-0000-4000-8000-000000000000', quantity: 1 });
    expect([unknown.status, unknown.error?.code]).toEqual([404, 'PT404']);
    // Another business's draft answers exactly as a product that does not exist.
    const hidden = await supabase.rpc('add_to_cart', { product_id: draft, quantity: 1 });
    expect([hidden.status, hidden.error?.code, hidden.error?.message]).toEqual([404, 'PT404', `No product has id ${draft}.`]);
    const anon = await keyClient('anon');
    const noSession = await anon.rpc('add_to_cart', { product_id: approved, quantity: 1 });
    expect([noSession.status, noSession.error?.code]).toEqual([401, '42501']);
    // Lines are written only through add_to_cart: an upsert is refused by privilege.
    const upsert = await supabase.from('cart_items').upsert({ id: crypto.randomUUID(), quantity: 1 });
    expect([upsert.status, upsert.error?.code]).toEqual([403, '42501']);
  });

  it('order status changes by staff, cancellation by the customer', async () => {
    const business = await createBusiness('doc-orders');
    const customer = await createCustomer('doc-orders');
    const staff = await userClient(business.approver);
    const buyer = await userClient(customer);

    const { orderId } = await pendingOrder(customer, business.id);
    const illegal = await staff.rpc('update_order_status', { order_id: orderId, status: 'shipped', note: 'DHL 12345' });
    expect([illegal.status, illegal.error?.code]).toEqual([409, 'PT409']);
    for (const status of ['paid', 'processing', 'shipped']) {
      const moved = await staff.rpc('update_order_status', { order_id: orderId, status, note: status === 'shipped' ? 'DHL 12345' : null });
      expect(moved.error).toBeNull();
    }
    const viewer = await userClient(business.viewer);
    const notAllowed = await viewer.rpc('update_order_status', { order_id: orderId, status: 'delivered' });
    expect(notAllowed.status).toBe(403);

    const { orderId: card } = await pendingOrder(customer, business.id, 1, 'stripe');
    const byHand = await staff.rpc('update_order_status', { order_id: card, status: 'paid' });
    expect(byHand.status).toBe(422);

    const { orderId: second } = await pendingOrder(customer, business.id);
    expect((await buyer.rpc('cancel_order', { order_id: second, reason: 'Ordered twice' })).status).toBe(204);
    const { data: order } = await buyer.from('orders').select('status, order_status_history(to_status, note)').eq('id', second).single();
    expect(order!.status).toBe('cancelled');
    const stranger = await userClient(await createCustomer('doc-orders-stranger'));
    const unseen = await stranger.rpc('cancel_order', { order_id: second, reason: 'not mine' });
    expect(unseen.status).toBe(404);
  });
});

describe('docs/assistant.md: sessions through PostgREST', () => {
  it('an anonymous visitor opens, reads and updates a session; staff with chat.read list it', async () => {
    const business = await createBusiness('doc-assistant');
    const visitor = await createUser({ anonymous: true });
    const supabase = await userClient(visitor);

    const { data: session, status } = await supabase
      .from('chatbot_sessions')
      .insert({ business_id: business.id, visitor_name: 'Achieng', visitor_email: 'achieng@example.com' })
      .select()
      .single();
    expect(status).toBe(201);
    expect(session).toMatchObject({ user_id: visitor.id, business_id: business.id, visitor_name: 'Achieng' });
    await superuser()`
      insert into public.chatbot_messages (session_id, role, content, created_at)
      values (${session.id}, 'user', 'Habari', now() - interval '1 minute'), (${session.id}, 'assistant', 'Karibu!', now())`;

    const { data } = await supabase
      .from('chatbot_sessions')
      .select('id, business_id, visitor_name, chatbot_messages(role, content, created_at)')
      .eq('id', session.id)
      .order('created_at', { referencedTable: 'chatbot_messages' })
      .single();
    expect(data!.chatbot_messages.map((m) => m.content)).toEqual(['Habari', 'Karibu!']);

    const updated = await supabase.from('chatbot_sessions').update({ visitor_phone: '+254 711 000 111' }).eq('id', session.id);
    expect(updated.status).toBe(204);
    // Owners cannot move a session to another business: the column is not writable.
    const moved = await supabase.from('chatbot_sessions').update({ business_id: null }).eq('id', session.id);
    expect([moved.status, moved.error?.code]).toEqual([403, '42501']);

    const staff = await userClient(await signIn(business.viewer.id));
    const { data: leads } = await staff.from('chatbot_sessions').select('*, chatbot_messages(count)').eq('business_id', business.id);
    expect(leads).toHaveLength(1);
    expect(leads![0]).toMatchObject({ id: session.id, visitor_phone: '+254 711 000 111', chatbot_messages: [{ count: 2 }] });
  });
});
