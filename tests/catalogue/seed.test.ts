// The catalogue demo data: categories, products in every status for both demo businesses,
// and a status history that matches every product's status.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { asAnon } from '../support/postgrest.ts';

const SHAMBA = 'aaaaaaaa-0000-4000-8000-000000000001';
const MAMA = 'aaaaaaaa-0000-4000-8000-000000000002';

// The transitions each status is reached by, as the seed runs them through the RPCs.
const PATHS: Record<string, string[]> = {
  draft: ['draft'],
  pending_approval: ['draft', 'pending_approval'],
  approved: ['draft', 'pending_approval', 'approved'],
  rejected: ['draft', 'pending_approval', 'rejected'],
  archived: ['draft', 'pending_approval', 'approved', 'archived'],
};

describe('catalogue seed', () => {
  it('both demo businesses have nested categories', async () => {
    const rows = await superuser()`
      select business_id, count(*)::int as categories, count(parent_id)::int as nested
      from public.categories where business_id in (${SHAMBA}, ${MAMA}) group by business_id order by business_id`;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.categories).toBeGreaterThanOrEqual(5);
      expect(row.nested).toBeGreaterThan(0);
    }
  });

  it('has at least 50 products in every status, and every business has every status', async () => {
    const rows = await superuser()`
      select status::text, count(*)::int as n, count(distinct business_id)::int as businesses
      from public.products where business_id in (${SHAMBA}, ${MAMA}) group by status order by status`;
    expect(rows.map((row) => row.status).sort()).toEqual(Object.keys(PATHS).sort());
    for (const row of rows) expect(row).toMatchObject({ n: expect.any(Number), businesses: 2 });
    for (const row of rows) expect(row.n).toBeGreaterThanOrEqual(50);
  });

  it('every product has English and Swahili names, and a history matching its status', async () => {
    const products = await superuser()`
      select p.id, p.name, p.status::text as status, p.created_by, p.submitted_by, p.reviewed_by,
             array_agg(h.to_status::text order by h.created_at) as path,
             array_agg(h.actor_id order by h.created_at) as actors
      from public.products p join public.product_status_history h on h.product_id = p.id
      where p.business_id in (${SHAMBA}, ${MAMA})
      group by p.id`;
    expect(products.length).toBeGreaterThanOrEqual(250);
    for (const product of products) {
      expect(product.path).toEqual(PATHS[product.status]);
      expect(product.name).toMatch(/\(.+\)/);
      expect(product.actors.every((actor: string | null) => actor !== null)).toBe(true);
      if (product.reviewed_by) expect(product.reviewed_by).not.toBe(product.submitted_by);
    }
  });

  it('visitors find approved demo products in Swahili and English', async () => {
    const { data } = await asAnon((tx) => tx`
      select (select count(*)::int from public.search_products(query := 'mahindi', page_size := 100)) as swahili,
             (select count(*)::int from public.search_products(query := 'maize', page_size := 100)) as english,
             (select count(*)::int from public.search_products(query := 'mahindi', sort := 'newest', page_size := 100)
               where status <> 'approved') as unapproved`, { method: 'GET' });
    expect(data![0].swahili).toBeGreaterThan(0);
    expect(data![0].english).toBeGreaterThan(0);
    expect(data![0].unapproved).toBe(0);
  });
});
