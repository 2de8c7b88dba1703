// GET /functions/v1/orders-export over HTTP against the test database: who may export, what
// the CSV holds (and never holds), filters, bad parameters, keyset pages, and the job path
// through a fake Storage API with signed URLs and removal after 7 days.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { type BusinessFixture, createBusiness, createCustomer } from '../support/fixtures.ts';
import { type FakeStorage, startFakeStorage } from '../support/fake-storage.ts';
import { type RunningFunctions, startFunctions } from '../support/functions.ts';
import type { TestUser } from '../support/users.ts';
import { createOrder, createProduct } from '../notifications/fixtures.ts';

// A small limit so that a handful of orders crosses the job threshold.
const INLINE_MAX_LINES = 6;

let storage: FakeStorage;
let functions: RunningFunctions;
let shop: BusinessFixture;
let rival: BusinessFixture;
let customer: TestUser;
let otherCustomer: TestUser;
let serviceRoleKey: string;
const orders: Record<string, string> = {};

beforeAll(async () => {
  storage = await startFakeStorage();
  [shop, rival, customer, otherCustomer] = await Promise.all([
    createBusiness('export'), createBusiness('export-rival'), createCustomer('exported'), createCustomer('other-buyer'),
  ]);
  functions = await startFunctions({
    SUPABASE_URL: storage.url,
    EXPORT_INLINE_MAX_LINES: String(INLINE_MAX_LINES),
  });
  serviceRoleKey = (await apiKeys()).serviceRoleKey;
  const tomatoes = await createProduct(shop.id, { name: 'Tomatoes' });
  const formula = await createProduct(shop.id, { name: '=HYPERLINK("http://evil.example","x")' });
  orders.old = await createOrder({
    businessId: shop.id, customer, status: 'delivered', createdAt: new Date('2026-10-05T10:00:00Z'),
    lines: [{ productId: tomatoes, name: 'Tomatoes', unitPrice: 80, quantity: 2 }],
  });
  orders.injected = await createOrder({
    businessId: shop.id, customer: otherCustomer, status: 'paid', createdAt: new Date('2026-11-02T09:30:00Z'),
    notes: 'Leave at the gate, "blue" door\r\nCall first',
    lines: [
      { productId: formula, name: '=HYPERLINK("http://evil.example","x")', unitPrice: 10, quantity: 1 },
      { productId: tomatoes, name: 'Tomatoes, ripe', unitPrice: 80, quantity: 3 },
      { productId: tomatoes, name: '@SUM(1+1)', unitPrice: 1, quantity: 1 },
    ],
  });
  orders.recent = await createOrder({
    businessId: shop.id, customer, status: 'pending_payment', createdAt: new Date('2026-11-20T15:00:00Z'),
    lines: [{ productId: tomatoes, name: 'Tomatoes', unitPrice: 80, quantity: 1 }],
  });
  const rivalProduct = await createProduct(rival.id, { name: 'Rival secret' });
  orders.rival = await createOrder({
    businessId: rival.id, customer, createdAt: new Date('2026-11-03T00:00:00Z'),
    lines: [{ productId: rivalProduct, name: 'Rival secret', unitPrice: 5, quantity: 1 }],
  });
});
afterAll(async () => {
  await functions?.stop();
  await storage?.close();
});

function exportAs(jwt: string | null, query: string) {
  return functions.call(`orders-export?${query}`, { method: 'GET', ...(jwt ? { jwt } : {}) });
}

interface Csv {
  raw: string;
  header: string[];
  rows: Array<Record<string, string>>;
}

/** A small RFC 4180 reader for the assertions (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): Csv {
  expect(text.startsWith('\uFEFF')).toBe(true);
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const body = text.slice(1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && body[i + 1] === '\n') record.push(field), records.push(record), (record = []), (field = ''), i++;
    else if (c === '\n') throw new Error(`bare LF outside quotes at ${i}`);
    else field += c;
  }
  expect(field).toBe('');
  const [header, ...rows] = records;
  return { raw: text, header, rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}

async function csvOf(response: Response): Promise<Csv> {
  expect(response.status).toBe(200);
  return parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer()));
}

describe('who may export', () => {
  it('an admin (orders.export) gets the CSV as an attachment with a sensible file name', async () => {
    const res = await exportAs(shop.admin.jwt, `business_id=${shop.id}&to=2026-11-10`);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="orders-${shop.slug}-until-2026-11-11-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    expect((await csvOf(res)).rows).toHaveLength(4);
  });

  it.each(['viewer', 'editor', 'approver'] as const)('the %s (no orders.export) is refused with 403', async (role) => {
    const res = await exportAs(shop[role].jwt, `business_id=${shop.id}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ status: 'error', code: 'FORBIDDEN' });
  });

  it('another business\'s admin is refused with 403', async () => {
    expect((await exportAs(rival.admin.jwt, `business_id=${shop.id}`)).status).toBe(403);
  });

  it('a customer of the business is refused with 403, although they may read their own orders', async () => {
    expect((await exportAs(customer.jwt, `business_id=${shop.id}`)).status).toBe(403);
  });

  it('an unknown business answers 403 too, revealing nothing', async () => {
    expect((await exportAs(shop.admin.jwt, `business_id=${crypto.randomUUID()}`)).status).toBe(403);
  });

  it('no token: 401 at the gateway; the anon and service keys: 401 (a user must sign in)', async () => {
    expect((await exportAs(null, `business_id=${shop.id}`)).status).toBe(401);
    const anon = await exportAs((await apiKeys()).anonKey, `business_id=${shop.id}`);
    expect(anon.status).toBe(401);
    expect((await anon.json()).code).toBe('SIGN_IN_REQUIRED');
    expect((await exportAs(serviceRoleKey, `business_id=${shop.id}`)).status).toBe(401);
  });
});

describe('the CSV', () => {
  let csv: Csv;
  beforeAll(async () => {
    csv = await csvOf(await exportAs(shop.admin.jwt, `business_id=${shop.id}&to=2026-11-10`));
  });

  it('has a header and one row per order line with its order\'s columns, newest order first', () => {
    expect(csv.header).toEqual([
      'order_id', 'order_date_utc', 'order_status', 'customer_id', 'currency', 'order_subtotal', 'order_total',
      'shipping_address', 'order_notes', 'line_id', 'product_id', 'product_name', 'unit', 'unit_price', 'quantity', 'line_total',
    ]);
    expect(csv.rows.map((r) => r.order_id)).toEqual([orders.injected, orders.injected, orders.injected, orders.old]);
    expect(csv.rows[3]).toMatchObject({
      order_date_utc: '2026-10-05 10:00:00', order_status: 'delivered', customer_id: customer.id, currency: 'KES',
      order_subtotal: '160', order_total: '160', product_name: 'Tomatoes', unit: 'kg', unit_price: '80', quantity: '2', line_total: '160',
    });
    expect(JSON.parse(csv.rows[3].shipping_address)).toMatchObject({ city: 'Nairobi' });
  });

  it('ends every record with CRLF and quotes commas, quotes and line breaks', () => {
    expect(csv.raw.endsWith('\r\n')).toBe(true);
    expect(csv.raw).toContain('"Tomatoes, ripe"');
    expect(csv.rows[0].order_notes).toBe('Leave at the gate, "blue" door\r\nCall first');
    expect(csv.raw).toContain('"Leave at the gate, ""blue"" door\r\nCall first"');
  });

  it('neutralises cells that a spreadsheet would run as formulas', () => {
    const names = csv.rows.map((r) => r.product_name);
    expect(names).toContain(`'=HYPERLINK("http://evil.example","x")`);
    expect(names).toContain(`'@SUM(1+1)`);
    expect(names.some((n) => /^[=+\-@]/.test(n))).toBe(false);
  });

  it('never contains another business\'s orders', () => {
    expect(csv.raw).not.toContain(orders.rival);
    expect(csv.raw).not.toContain('Rival secret');
  });
});

describe('filters', () => {
  it.each([
    ['status=paid', () => [orders.injected]],
    ['from=2026-11-01&to=2026-11-02', () => [orders.injected]],
    ['from=2026-11-03', () => [orders.recent]],
    ['from=2026-11-02T09:30:00Z&to=2026-11-02T09:30:00.001Z', () => [orders.injected]],
    ['to=2026-11-01', () => [orders.old]],
    ['status=refunded', () => []],
  ])('%s', async (query, expected) => {
    const csv = await csvOf(await exportAs(shop.admin.jwt, `business_id=${shop.id}&${query}`));
    expect([...new Set(csv.rows.map((r) => r.order_id))]).toEqual(expected());
  });

  it('order_id exports that order\'s lines, and nothing for another business\'s order', async () => {
    const mine = await csvOf(await exportAs(shop.admin.jwt, `business_id=${shop.id}&order_id=${orders.old}`));
    expect(mine.rows.map((r) => r.order_id)).toEqual([orders.old]);
    const theirs = await csvOf(await exportAs(shop.admin.jwt, `business_id=${shop.id}&order_id=${orders.rival}`));
    expect(theirs.rows).toHaveLength(0);
  });

  it.each([
    ['no business_id', ''],
    ['a business_id that is not a UUID', 'business_id=shop'],
    ['an unknown status', 'status=lost'],
    ['a bad date', 'from=31/12/2026'],
    ['from after to', 'from=2026-11-10&to=2026-11-01'],
    ['an unknown parameter', 'limit=10'],
  ])('%s answers 400 in the envelope', async (_label, query) => {
    const businessPart = query.startsWith('business_id') || query === '' ? '' : `business_id=${shop.id}&`;
    const res = await exportAs(shop.admin.jwt, `${businessPart}${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', code: 'INVALID_INPUT' });
  });

  it('other methods answer 405', async () => {
    const res = await functions.call(`orders-export?business_id=${shop.id}`, { method: 'POST', jwt: shop.admin.jwt, body: '{}' });
    expect(res.status).toBe(405);
  });
});

describe('keyset pages', () => {
  it('orders created in the same microsecond, spread over many pages, are each exported once', async () => {
    const business = await createBusiness('pages');
    const product = await createProduct(business.id);
    const at = new Date('2026-11-15T12:00:00Z');
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await createOrder({
        businessId: business.id, customer, createdAt: at,
        lines: [1, 2].map((q) => ({ productId: product, name: `p${i}-${q}`, unitPrice: 1, quantity: q })),
      }));
    }
    const csv = await csvOf(await exportAs(business.admin.jwt, `business_id=${business.id}`));
    // 6 lines in pages of 2, ordered by (created_at desc, order id, line id) without gaps or repeats.
    expect(csv.rows).toHaveLength(6);
    expect(new Set(csv.rows.map((r) => r.line_id)).size).toBe(6);
    expect(csv.rows.map((r) => r.order_id)).toEqual([...ids].sort().flatMap((id) => [id, id]));
  });
});

describe('large exports run as a job', () => {
  let big: BusinessFixture;
  let jobId: string;

  beforeAll(async () => {
    big = await createBusiness('big-export');
    const product = await createProduct(big.id, { name: 'Beans' });
    for (let i = 0; i < 4; i++) {
      await createOrder({
        businessId: big.id, customer, createdAt: new Date(Date.UTC(2026, 10, 1 + i)),
        lines: [1, 2].map((q) => ({ productId: product, name: `Beans ${i}`, unitPrice: 3, quantity: q })),
      });
    }
  });

  async function poll(id: string, jwt = big.admin.jwt) {
    const res = await exportAs(jwt, `job_id=${id}`);
    return { status: res.status, body: await res.json() };
  }

  it('the size that decides counts only the lines of the orders a filter keeps: a day of the business streams inline', async () => {
    // 8 lines in all (above the limit of 6): the day of 2026-11-02 holds one order of 2 lines.
    const day = await exportAs(big.admin.jwt, `business_id=${big.id}&from=2026-11-02&to=2026-11-02`);
    expect(day.status).toBe(200);
    expect((await csvOf(day)).rows).toHaveLength(2);
    const none = await exportAs(big.admin.jwt, `business_id=${big.id}&status=refunded`);
    expect(none.status).toBe(200);
    expect((await csvOf(none)).rows).toHaveLength(0);
  });

  it('answers 202 with the job, writes the file to the exports bucket and gives a signed URL', async () => {
    const res = await exportAs(big.admin.jwt, `business_id=${big.id}`);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'success', data: { status: 'running', at_least_lines: INLINE_MAX_LINES + 1 } });
    jobId = body.data.job_id;
    expect(res.headers.get('location')).toBe(`orders-export?job_id=${jobId}`);
    await expect.poll(async () => (await poll(jobId)).body.data.status, { timeout: 10_000 }).toBe('succeeded');
    const { body: done } = await poll(jobId);
    expect(done.data).toMatchObject({ line_count: 8, error: null });
    const url = new URL(done.data.download_url);
    expect(url.origin + url.pathname).toBe(`${storage.url}/storage/v1/object/sign/exports/${big.id}/${jobId}/part-0001.csv.gz`);
    expect(url.searchParams.get('token')).toMatch(/^signed-/);
    expect(url.searchParams.get('download')).toMatch(new RegExp(`^orders-${big.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv\\.gz$`));
    expect(done.data.files).toEqual([{ name: url.searchParams.get('download'), url: done.data.download_url }]);
    const stored = storage.objects.get(`exports/${big.id}/${jobId}/part-0001.csv.gz`)!;
    expect(stored.contentType).toBe('application/gzip');
    const upload = storage.requests.find((r) => r.method === 'POST' && r.path.endsWith(`${jobId}/part-0001.csv.gz`))!;
    expect(upload.headers.authorization).toBe(`Bearer ${serviceRoleKey}`);
    expect(upload.headers['x-upsert']).toBe('true');
    const csv = parseCsv(gunzipSync(stored.raw).toString('utf8'));
    expect(csv.rows).toHaveLength(8);
    expect(csv.rows.every((r) => r.product_name.startsWith('Beans'))).toBe(true);
  });

  it('the job is visible only to orders.export holders of its business (404 otherwise)', async () => {
    expect((await poll(jobId, shop.admin.jwt)).status).toBe(404);
    expect((await poll(jobId, big.viewer.jwt)).status).toBe(404);
    expect((await poll(crypto.randomUUID())).status).toBe(404);
    expect((await exportAs(big.admin.jwt, 'job_id=nope')).status).toBe(400);
  });

  it('a failed upload marks the job failed and removes the partial file', async () => {
    storage.failUploads(500);
    try {
      const res = await exportAs(big.admin.jwt, `business_id=${big.id}`);
      const failedJob = (await res.json()).data.job_id;
      await expect.poll(async () => (await poll(failedJob)).body.data.status, { timeout: 10_000 }).toBe('failed');
      expect((await poll(failedJob)).body.data.error).toContain('Storage upload failed with 500');
      expect(storage.requests.some((r) => r.method === 'DELETE' && JSON.parse(r.body).prefixes.includes(`${big.id}/${failedJob}/part-0001.csv.gz`))).toBe(true);
    } finally {
      storage.failUploads(null);
    }
  });

  it('a job still running after the timeout died with its instance: polling it, or the cleanup, marks it failed', async () => {
    const stale = async (startedAgo: string) => {
      const [job] = await superuser()`
        insert into public.export_jobs (business_id, requested_by, filters, created_at)
        values (${big.id}, ${big.admin.id}, '{}', now() - ${startedAgo}::interval) returning id`;
      return job.id as string;
    };
    const [polled, swept, young] = [await stale('16 minutes'), await stale('2 hours'), await stale('1 minute')];
    const { body } = await poll(polled);
    expect(body.data).toMatchObject({ status: 'failed', error: expect.stringContaining('export again') });
    const res = await functions.call('orders-export/cleanup', { method: 'POST', jwt: serviceRoleKey });
    expect((await res.json()).data.stale_jobs_failed).toBeGreaterThanOrEqual(1);
    const states = await superuser()`select id, status, completed_at from public.export_jobs where id in ${superuser()([polled, swept, young])}`;
    const byId = Object.fromEntries(states.map((j) => [j.id, j]));
    expect(byId[swept]).toMatchObject({ status: 'failed', completed_at: expect.any(Date) });
    // A job within its time is left running.
    expect(byId[young]).toMatchObject({ status: 'running', completed_at: null });
  });

  it('files older than 7 days are removed through the Storage API by the cleanup, then the job answers 410', async () => {
    await superuser()`update public.export_jobs set expires_at = now() - interval '1 second' where id = ${jobId}`;
    const forbidden = await functions.call('orders-export/cleanup', { method: 'POST', jwt: big.admin.jwt });
    expect(forbidden.status).toBe(403);
    const res = await functions.call('orders-export/cleanup', { method: 'POST', jwt: serviceRoleKey });
    expect(res.status).toBe(200);
    expect((await res.json()).data.removed).toBeGreaterThanOrEqual(1);
    expect(storage.objects.has(`exports/${big.id}/${jobId}/part-0001.csv.gz`)).toBe(false);
    const [job] = await superuser()`select file_removed_at from public.export_jobs where id = ${jobId}`;
    expect(job.file_removed_at).not.toBeNull();
    expect((await poll(jobId)).status).toBe(410);
    // Running it again removes nothing more.
    const again = await functions.call('orders-export/cleanup', { method: 'POST', jwt: serviceRoleKey });
    expect((await again.json()).data.removed).toBe(0);
  });
});

describe('an export larger than the upload limit', () => {
  // Storage refuses objects above 256 KiB here, as it refuses those above 50 MiB by default.
  const LIMIT = 256 * 1024;
  const ORDERS = 4000;
  let limited: FakeStorage;
  let served: RunningFunctions;
  let bulk: BusinessFixture;

  beforeAll(async () => {
    limited = await startFakeStorage(LIMIT);
    bulk = await createBusiness('bulk-export');
    served = await startFunctions({
      SUPABASE_URL: limited.url, EXPORT_INLINE_MAX_LINES: '100', EXPORT_PART_BYTES: String(LIMIT),
    });
    const product = await createProduct(bulk.id, { name: 'Beans' });
    // 8,000 lines, about 2.3 MB of CSV and several times the limit even gzipped (random ids and notes).
    await superuser()`
      with c as (
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        select ${customer.id}, 'bulk-' || g || '-' || ${bulk.id}, 'hash', 'hash', 'manual', 15, 'KES',
               '{"line1":"1 Market Street","city":"Nairobi","country":"KE"}'
        from generate_series(1, ${ORDERS}) g
        returning id
      ), o as (
        insert into public.orders (checkout_id, business_id, customer_id, status, subtotal, total, currency, shipping_address, notes, created_at)
        select c.id, ${bulk.id}, ${customer.id}, 'paid', 15, 15, 'KES', '{"line1":"1 Market Street","city":"Nairobi","country":"KE"}',
               'Gate code ' || md5(c.id::text), now() - interval '1 day'
        from c
        returning id
      )
      insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
      select o.id, ${bulk.id}, ${product}, 'Beans grade ' || n, 'kg', 5, n, 5 * n from o, generate_series(1, 2) n`;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([served?.stop(), limited?.close()]);
  });

  it('completes in gzip parts within the limit, each a complete CSV, together every line once', async () => {
    const started = await served.call(`orders-export?business_id=${bulk.id}`, { jwt: bulk.admin.jwt });
    expect(started.status).toBe(202);
    const jobId = (await started.json()).data.job_id as string;
    const poll = async () => (await (await served.call(`orders-export?job_id=${jobId}`, { jwt: bulk.admin.jwt })).json()).data;
    await expect.poll(async () => (await poll()).status, { timeout: 60_000, interval: 200 }).toBe('succeeded');
    const done = await poll();
    expect(done.line_count).toBe(ORDERS * 2);
    const files = done.files as Array<{ name: string; url: string }>;
    expect(files.length).toBeGreaterThan(1);
    const lineIds = new Set<string>();
    for (const [i, file] of files.entries()) {
      expect(file.name).toMatch(new RegExp(`^orders-${bulk.slug}-\\d{4}-\\d{2}-\\d{2}-part-${i + 1}-of-${files.length}\\.csv\\.gz$`));
      const stored = limited.objects.get(`exports/${bulk.id}/${jobId}/part-${String(i + 1).padStart(4, '0')}.csv.gz`)!;
      expect(stored.raw.length).toBeLessThanOrEqual(LIMIT);
      const csv = parseCsv(gunzipSync(stored.raw).toString('utf8'));
      for (const row of csv.rows) lineIds.add(row.line_id);
    }
    expect(lineIds.size).toBe(ORDERS * 2);
  });
});
