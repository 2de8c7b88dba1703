// The approval workflow through its RPCs: every legal and illegal transition, separation of
// duties and its opt-out, re-approval after content edits, the audit trail, and concurrency.
import { beforeAll, describe, expect, it } from 'vitest';
import { newConnection, superuser } from '../support/db.ts';
import { createBusiness, type BusinessFixture } from '../support/fixtures.ts';
import { waitUntilBlocked } from '../support/locks.ts';
import { asAnon, asServiceRole, asUser } from '../support/postgrest.ts';
import { createCategory, createProduct, historyOf, productState, rpc, type Status } from './catalogue-fixtures.ts';

let shop: BusinessFixture;
let rival: BusinessFixture;

beforeAll(async () => {
  [shop, rival] = await Promise.all([createBusiness('workflow'), createBusiness('workflow-rival')]);
});

type Action = 'submit' | 'approve' | 'reject' | 'archive';

function act(action: Action, user = actorFor(action), productId: string) {
  switch (action) {
    case 'submit': return rpc(user, 'submit_product', { product_id: productId });
    case 'approve': return rpc(user, 'approve_product', { product_id: productId, note: 'Fine.' });
    case 'reject': return rpc(user, 'reject_product', { product_id: productId, reason: 'Blurry photo.' });
    case 'archive': return rpc(user, 'archive_product', { product_id: productId });
  }
}

function actorFor(action: Action) {
  return action === 'approve' || action === 'reject' ? shop.approver : shop.editor;
}

const legal: Array<[Status, Action, Status]> = [
  ['draft', 'submit', 'pending_approval'],
  ['rejected', 'submit', 'pending_approval'],
  ['pending_approval', 'approve', 'approved'],
  ['pending_approval', 'reject', 'rejected'],
  ['draft', 'archive', 'archived'],
  ['pending_approval', 'archive', 'archived'],
  ['approved', 'archive', 'archived'],
  ['rejected', 'archive', 'archived'],
];

const statuses: Status[] = ['draft', 'pending_approval', 'approved', 'rejected', 'archived'];
const actions: Action[] = ['submit', 'approve', 'reject', 'archive'];
const illegal = statuses.flatMap((from) =>
  actions.filter((action) => !legal.some(([f, a]) => f === from && a === action)).map((action) => [from, action] as const)
);

describe('legal transitions', () => {
  it.each(legal)('%s → %s → %s writes one history row with actor, from, to and note', async (from, action, to) => {
    const id = await createProduct(shop, from);
    const before = await historyOf(id);
    const result = await act(action, undefined, id);
    expect(result.error).toBeNull();
    expect((await productState(id)).status).toBe(to);
    const after = await historyOf(id);
    expect(after).toHaveLength(before.length + 1);
    const note = action === 'approve' ? 'Fine.' : action === 'reject' ? 'Blurry photo.' : null;
    expect(after.at(-1)).toEqual({ from_status: from, to_status: to, actor_id: actorFor(action).id, note });
  });

  it('creation is recorded as null → draft by its creator', async () => {
    const id = await createProduct(shop);
    expect(await historyOf(id)).toEqual([{ from_status: null, to_status: 'draft', actor_id: shop.editor.id, note: null }]);
  });

  it('approval records the reviewer and clears an earlier rejection reason', async () => {
    const id = await createProduct(shop, 'rejected');
    expect((await productState(id)).rejection_reason).toBe('Needs a photo.');
    await act('submit', undefined, id);
    await act('approve', undefined, id);
    const state = await productState(id);
    expect(state).toMatchObject({ status: 'approved', submitted_by: shop.editor.id, reviewed_by: shop.approver.id, rejection_reason: null });
    expect(state.reviewed_at).toBeInstanceOf(Date);
  });
});

describe('illegal transitions', () => {
  it.each(illegal)('%s cannot be %sd: 409 naming the current state, nothing changes', async (from, action) => {
    const id = await createProduct(shop, from);
    const before = await historyOf(id);
    const result = await act(action, shop.admin, id);
    expect(result.error).toMatchObject({ code: 'PT409', status: 409 });
    expect(result.error!.message).toContain(`is ${from};`);
    expect((await productState(id)).status).toBe(from);
    expect(await historyOf(id)).toEqual(before);
  });
});

describe('who may move products', () => {
  it.each([
    ['a viewer', 'viewer', 'submit', 403],
    ['an editor', 'editor', 'approve', 403],
    ['an editor', 'editor', 'reject', 403],
    ['a viewer', 'viewer', 'archive', 403],
  ] as const)('%s cannot %s', async (_label, role, action, status) => {
    const id = await createProduct(shop, action === 'submit' || action === 'archive' ? 'draft' : 'pending_approval');
    const result = await act(action, shop[role], id);
    expect(result.error?.status).toBe(status);
  });

  it('an approver of another business gets 404 for an unapproved product and 403 for an approved one', async () => {
    const pending = await createProduct(shop, 'pending_approval');
    expect((await act('approve', rival.approver, pending)).error).toMatchObject({ code: 'PT404', status: 404 });
    const approved = await createProduct(shop, 'approved');
    expect((await act('archive', rival.admin, approved)).error).toMatchObject({ code: '42501', status: 403 });
    expect((await productState(approved)).status).toBe('approved');
  });

  it('anon gets 401 and service_role, having no user to credit, 403', async () => {
    const id = await createProduct(shop, 'pending_approval');
    const anon = await asAnon((tx) => tx`select public.approve_product(${id})`);
    expect(anon.error).toMatchObject({ code: '42501', status: 401 });
    const service = await asServiceRole((tx) => tx`select public.approve_product(${id})`);
    expect(service.error?.code).toBe('42501');
  });

  it.each([
    ['a missing reason', { reason: null }],
    ['a blank reason', { reason: '   ' }],
    ['a reason over 2000 characters', { reason: 'x'.repeat(2001) }],
  ])('rejecting with %s is 400 and changes nothing', async (_label, args) => {
    const id = await createProduct(shop, 'pending_approval');
    const result = await rpc(shop.approver, 'reject_product', { product_id: id, ...args });
    expect(result.error).toMatchObject({ code: '22023', status: 400 });
    expect((await productState(id)).status).toBe('pending_approval');
  });

  it('an unknown product is 404 and a null one 400', async () => {
    expect((await rpc(shop.editor, 'submit_product', { product_id: crypto.randomUUID() })).error?.status).toBe(404);
    expect((await rpc(shop.editor, 'submit_product', { product_id: null })).error?.status).toBe(400);
  });
});

describe('separation of duties', () => {
  it('the submitter cannot approve or reject their own submission', async () => {
    const id = await createProduct(shop);
    await rpc(shop.approver, 'submit_product', { product_id: id });
    for (const action of ['approve', 'reject'] as const) {
      const result = await act(action, shop.approver, id);
      expect(result.error).toMatchObject({ code: '42501', status: 403 });
      expect(result.error!.message).toMatch(/someone else must review/);
    }
    expect((await act('approve', shop.admin, id)).error).toBeNull();
    expect(await historyOf(id).then((rows) => rows.at(-1))).toMatchObject({ to_status: 'approved', actor_id: shop.admin.id });
  });

  it('a business manager can turn it off; the history still records who approved', async () => {
    const solo = await createBusiness('solo');
    const off = await asUser(solo.admin, (tx) =>
      tx`update public.businesses set require_separate_reviewer = false where id = ${solo.id} returning id`);
    expect(off.data).toHaveLength(1);
    const id = await createProduct(solo);
    await rpc(solo.admin, 'submit_product', { product_id: id });
    expect((await rpc(solo.admin, 'approve_product', { product_id: id })).error).toBeNull();
    expect((await historyOf(id)).map((row) => [row.to_status, row.actor_id])).toEqual([
      ['draft', solo.editor.id], ['pending_approval', solo.admin.id], ['approved', solo.admin.id],
    ]);
  });

  it.each(['viewer', 'editor', 'approver'] as const)('a %s cannot turn it off', async (role) => {
    const result = await asUser(shop[role], (tx) =>
      tx`update public.businesses set require_separate_reviewer = false where id = ${shop.id} returning id`);
    expect(result.data ?? []).toHaveLength(0);
    const [row] = await superuser()`select require_separate_reviewer from public.businesses where id = ${shop.id}`;
    expect(row.require_separate_reviewer).toBe(true);
  });
});

describe('re-approval after edits', () => {
  it.each([
    ['name', { name: 'Renamed maize' }],
    ['description', { description: 'New words.' }],
  ])('changing the %s of an approved product sends it back to pending_approval, hidden from customers', async (_label, change) => {
    const id = await createProduct(shop, 'approved');
    const column = Object.keys(change)[0];
    const edited = await asUser(shop.editor, (tx) =>
      tx`update public.products set ${tx(change as Record<string, string>, column)} where id = ${id} returning id`);
    expect(edited.error).toBeNull();
    expect(await productState(id)).toMatchObject({ status: 'pending_approval', submitted_by: shop.editor.id });
    expect((await historyOf(id)).at(-1)).toMatchObject({
      from_status: 'approved', to_status: 'pending_approval', actor_id: shop.editor.id,
    });
    const seen = await asAnon((tx) => tx`select id from public.products where id = ${id}`, { method: 'GET' });
    expect(seen.data).toEqual([]);
  });

  it('changing the category sends it back too', async () => {
    const category = await createCategory(shop, 'Grains');
    const id = await createProduct(shop, 'approved');
    await asUser(shop.editor, (tx) => tx`update public.products set category_id = ${category} where id = ${id}`);
    expect((await productState(id)).status).toBe('pending_approval');
  });

  it.each([
    ['adding', (id: string) => asUser(shop.editor, (tx) =>
      tx`insert into public.product_images (product_id, business_id, storage_path)
         values (${id}, ${shop.id}, ${`${shop.id}/${id}/new.jpg`})`)],
    ['changing', (id: string) => asUser(shop.editor, (tx) =>
      tx`update public.product_images set alt_text = 'Another view' where product_id = ${id}`)],
    ['removing', (id: string) => asUser(shop.editor, (tx) =>
      tx`delete from public.product_images where product_id = ${id}`)],
  ])('%s an image sends it back too', async (_label, change) => {
    const id = await createProduct(shop);
    await superuser()`insert into public.product_images (product_id, business_id, storage_path)
                      values (${id}, ${shop.id}, ${`${shop.id}/${id}/front.jpg`})`;
    await rpc(shop.editor, 'submit_product', { product_id: id });
    await rpc(shop.approver, 'approve_product', { product_id: id });
    expect((await change(id)).error).toBeNull();
    expect(await productState(id)).toMatchObject({ status: 'pending_approval' });
    expect((await historyOf(id)).at(-1)).toMatchObject({ from_status: 'approved', note: 'Images changed after approval.' });
  });

  it('price, stock and unit changes keep it approved and write no history', async () => {
    const id = await createProduct(shop, 'approved');
    const before = await historyOf(id);
    const edited = await asUser(shop.editor, (tx) =>
      tx`update public.products set price = 999.50, stock_quantity = 3, unit = 'bag' where id = ${id} returning id`);
    expect(edited.data).toHaveLength(1);
    expect(await productState(id)).toMatchObject({ status: 'approved', price: '999.50' });
    expect(await historyOf(id)).toEqual(before);
  });

  it('an edit that changes nothing keeps it approved', async () => {
    const id = await createProduct(shop, 'approved', { name: 'Same name' });
    await asUser(shop.editor, (tx) => tx`update public.products set name = 'Same name' where id = ${id}`);
    expect((await productState(id)).status).toBe('approved');
  });

  it('the editor who changed it cannot approve the change themselves', async () => {
    const id = await createProduct(shop, 'approved');
    await asUser(shop.approver, (tx) => tx`update public.products set name = 'Approver edit' where id = ${id}`);
    expect((await act('approve', shop.approver, id)).error?.status).toBe(403);
    expect((await act('approve', shop.admin, id)).error).toBeNull();
  });
});

describe('workflow columns', () => {
  it.each([
    ['status', `status = 'approved'`],
    ['reviewed_by', 'reviewed_by = null'],
    ['reviewed_at', 'reviewed_at = now()'],
    ['submitted_by', 'submitted_by = null'],
    ['rejection_reason', `rejection_reason = 'x'`],
  ])('a direct update of %s is refused for every API role', async (_column, assignment) => {
    const id = await createProduct(shop, 'pending_approval');
    for (const run of [
      (sql: string) => asAnon((tx) => tx.unsafe(sql)),
      (sql: string) => asUser(shop.admin, (tx) => tx.unsafe(sql)),
      (sql: string) => asServiceRole((tx) => tx.unsafe(sql)),
    ]) {
      const result = await run(`update public.products set ${assignment} where id = '${id}'`);
      expect(result.error?.code).toBe('42501');
    }
    expect((await productState(id)).status).toBe('pending_approval');
  });

  it('a product cannot be inserted as approved', async () => {
    const result = await asUser(shop.editor, (tx) => tx`
      insert into public.products (business_id, name, price, status) values (${shop.id}, 'Sneaky', 1, 'approved')`);
    expect(result.error?.code).toBe('42501');
  });
});

describe('deleting', () => {
  it('an editor can delete a draft, and its history goes with it', async () => {
    const id = await createProduct(shop);
    const result = await asUser(shop.editor, (tx) => tx`delete from public.products where id = ${id} returning id`);
    expect(result.data).toHaveLength(1);
    expect(await historyOf(id)).toEqual([]);
  });

  it.each(['pending_approval', 'rejected', 'approved', 'archived'] as const)('nobody but drafts: a %s product stays', async (status) => {
    const id = await createProduct(shop, status);
    const result = await asUser(shop.admin, (tx) => tx`delete from public.products where id = ${id} returning id`);
    expect(result.data ?? []).toEqual([]);
    expect((await productState(id)).status).toBe(status);
  });

  it('a product that was ever approved cannot be deleted even by service_role', async () => {
    const id = await createProduct(shop, 'archived');
    const result = await asServiceRole((tx) => tx`delete from public.products where id = ${id} returning id`);
    expect(result.error).toMatchObject({ code: 'PT409', status: 409 });
  });
});

describe('concurrent reviews', () => {
  it('two reviewers acting at once: one wins, the other is told the new state', async () => {
    const id = await createProduct(shop, 'pending_approval');
    const [first, second] = [newConnection('authenticator'), newConnection('authenticator')];
    const claimsOf = (user: BusinessFixture['admin']) => JSON.stringify(user.claims);
    try {
      let releaseFirst!: () => void;
      const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
      let firstLocked!: () => void;
      const locked = new Promise<void>((resolve) => (firstLocked = resolve));
      const approving = first.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claimsOf(shop.approver)}, true)`;
        await tx`select public.approve_product(${id}, 'first')`;
        firstLocked();
        await firstHolds;
      });
      await locked;
      const rejecting = second.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claimsOf(shop.admin)}, true)`;
        await tx`select public.reject_product(${id}, 'second')`;
      }).then(() => null, (error: unknown) => error);
      // Wait until the second reviewer is blocked on the product's row lock, then let the first commit.
      await waitUntilBlocked('reject_product');
      releaseFirst();
      await approving;
      expect(await rejecting).toMatchObject({ code: 'PT409', message: expect.stringContaining('is approved;') });
      expect((await historyOf(id)).filter((row) => row.from_status === 'pending_approval')).toHaveLength(1);
      expect((await productState(id)).status).toBe('approved');
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });
});
