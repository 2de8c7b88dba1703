// Plan guards: the queries whose speed depends on an index use it. Each runs as its real caller
// (RLS on) against a database with enough rows for the planner to choose as in production (the
// benchmark generators at a small scale), and the test reads the plans Postgres chose (EXPLAIN
// through auto_explain, nested statements included), never timings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallerTx, Db } from '../../functions/_shared/caller-transaction.ts';
import type { ExportFilters } from '../../functions/orders-export/filters.ts';
import { countLinesUpTo, exportCsvRows } from '../../functions/orders-export/lines.ts';
import { ROOT } from '../../scripts/lib/local-platform.ts';
import { type ScratchDatabase, startScratchDatabase } from '../../scripts/lib/scratch-database.ts';
import { type Plans, plansOf } from '../support/plans.ts';

let db: ScratchDatabase;

beforeAll(async () => {
  db = await startScratchDatabase();
  for (const file of ['tenancy.sql', 'catalogue.sql', 'orders.sql']) {
    await db.admin.unsafe(readFileSync(path.join(ROOT, 'sql', 'bench', file), 'utf8'));
  }
  // 20,000 products in 50 businesses; 10,000 orders (50,000 lines) of one business; 10,000 members.
  await db.admin`call bench.generate_catalogue(1, 50, 400)`;
  await db.admin`call bench.prepare_export_business()`;
  await db.admin`call bench.generate_orders(1, 10000)`;
  await db.admin`vacuum analyze`;
}, 300_000);

afterAll(() => db?.stop());

const anon = { role: 'anon' };
const user = (sub: string) => ({ role: 'authenticated', sub });
/** Member of 50 of the 1,000 tenancy businesses (sql/bench/tenancy.sql). */
const busyMember = user('00000000-0000-0000-0000-00000000b0b0');
const exportBusiness = '50000000-0000-4000-8000-000000000001';
const exportAdmin = user('50000000-0000-4000-8000-0000000000ad');
const customer = '51000000-0000-4000-8000-000000000001';

const plans = (claims: Record<string, unknown>, statement: string, params: unknown[] = []) =>
  plansOf(db.port, claims, (tx) => tx.unsafe(statement, params as never[]));

/** The conditions of every scan of `index` (null: a full scan, for its order only). */
function uses(found: Plans, index: string): Array<string | null> {
  return found.indexes().filter((use) => use.index === index).map((use) => use.cond);
}

describe('catalogue search', () => {
  it.each([
    ['browse, newest first', 'products_approved_newest_idx', `select * from public.search_products()`],
    ['two words', 'products_approved_name_search_idx', `select * from public.search_products(query := 'fresh maize')`],
    ['price range, cheapest first', 'products_approved_price_idx', `select * from public.search_products(sort := 'price_asc', min_price := 10)`],
    ['one business\'s storefront', 'products_approved_business_newest_idx',
      `select * from public.search_products(business_id := '20000000-0000-4000-8000-000000000001')`],
  ])('%s is served by %s, never a scan of all products', async (_label, index, statement) => {
    const found = await plans(anon, statement);
    expect(uses(found, index).length).toBeGreaterThan(0);
    expect(found.seqScans()).not.toContain('products');
  });

  it('a common word reads the approved products through their partial indexes only', async () => {
    const found = await plans(anon, `select * from public.search_products(query := 'maize')`);
    const productIndexes = new Set(found.indexes().map((use) => use.index).filter((name) => name.startsWith('products_')));
    expect([...productIndexes].filter((name) => !name.startsWith('products_approved_') && name !== 'products_pkey')).toEqual([]);
    expect(productIndexes.size).toBeGreaterThan(0);
    expect(found.seqScans()).not.toContain('products');
  });
});

describe('membership helpers', () => {
  it('business_ids_with_permission looks the user up in business_members_user_id_idx', async () => {
    const found = await plans(busyMember, `select private.business_ids_with_permission('products.read')`);
    expect(uses(found, 'business_members_user_id_idx')).toEqual([expect.stringContaining('user_id =')]);
    expect(found.seqScans()).not.toContain('business_members');
  });

  it('list_business_members reads one business by its key', async () => {
    const found = await plans(busyMember, `select * from public.list_business_members(business_id := '10000000-0000-0000-0000-000000000001')`);
    expect(uses(found, 'business_members_pkey')).toEqual([expect.stringContaining('business_id =')]);
    expect(found.seqScans()).not.toContain('business_members');
  });
});

describe('order lists', () => {
  it('a customer\'s orders, newest first (as supabase-js asks for them), use orders_customer_idx', async () => {
    const found = await plans(user(customer), `select * from public.orders where customer_id = $1 order by created_at desc limit 20`, [customer]);
    expect(uses(found, 'orders_customer_idx')).toEqual([expect.stringContaining('customer_id =')]);
    expect(found.seqScans()).not.toContain('orders');
  });

  it('a business\'s orders, newest first, use orders_business_idx', async () => {
    const found = await plans(exportAdmin, `select * from public.orders where business_id = $1 order by created_at desc, id limit 50`, [exportBusiness]);
    expect(uses(found, 'orders_business_idx')).toEqual([expect.stringContaining('business_id =')]);
    expect(found.seqScans()).not.toContain('orders');
  });
});

describe('order export', () => {
  /** The export's own queries (functions/orders-export/lines.ts), each transaction's plans kept. */
  function explainingDb(collected: Plans[]): Db {
    return {
      serviceDb: db.admin,
      async asCaller<T>(claims: Record<string, unknown>, run: (tx: CallerTx) => Promise<T>) {
        let result!: T;
        collected.push(await plansOf(db.port, claims, async (tx) => {
          result = await run(tx);
        }));
        return result;
      },
    };
  }
  const filters: ExportFilters = { businessId: exportBusiness, from: null, to: null, status: null, orderId: null };

  /** The export's COPY as the function runs it, read to the end; its plans. */
  async function copyPlans(extra: Partial<ExportFilters>): Promise<Plans> {
    const collected: Plans[] = [];
    await new Response(exportCsvRows(explainingDb(collected), exportAdmin, { ...filters, ...extra }, { timeoutSeconds: 60 })).arrayBuffer();
    expect(collected).toHaveLength(1);
    // The format() that builds the statement, then the COPY's query.
    return collected[0];
  }

  it('one order\'s export finds the order by index and its lines by index, never a scan', async () => {
    const found = await copyPlans({ orderId: '60000000-0000-4000-8000-000000000007' });
    expect(found.indexes().some((use) => use.index.startsWith('orders_') && use.cond?.includes('id ='))).toBe(true);
    expect(found.indexes().some((use) => use.index.startsWith('order_items_') && use.cond?.includes('order_id ='))).toBe(true);
    expect(found.seqScans().filter((table) => table === 'orders' || table === 'order_items')).toEqual([]);
  });

  it('a day\'s export walks orders_business_idx from that day and reads its lines by an index', async () => {
    const found = await copyPlans({ from: '2025-01-02T00:00:00.000Z', to: '2025-01-03T00:00:00.000Z' });
    expect(uses(found, 'orders_business_idx')).toEqual([expect.stringMatching(/business_id = .*created_at >= .*created_at </s)]);
    // Per order, or the business's lines at once for a hash join: the planner's choice by size.
    expect(found.indexes().some((use) => use.index.startsWith('order_items_') && use.cond !== null)).toBe(true);
    expect(found.seqScans().filter((table) => table === 'orders' || table === 'order_items')).toEqual([]);
  });

  it('the line count that decides inline or job stops early on the indexes', async () => {
    const collected: Plans[] = [];
    await countLinesUpTo(explainingDb(collected), exportAdmin, filters, 1000);
    const [found] = collected;
    // One business's rows by an index condition, whichever side the planner starts from.
    expect(found.indexes().some((use) => use.cond?.includes(`business_id = '${exportBusiness}'`))).toBe(true);
    expect(found.seqScans().filter((table) => table === 'orders' || table === 'order_items')).toEqual([]);
  });
});
