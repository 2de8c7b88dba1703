// Benchmark: the checkout transaction (private.place_checkout: locks, checks, database prices,
// split per business, stock, history, payment, cart) against a bare transaction writing the same
// rows with no checks, side by side (goal: at least 0.5× the bare throughput); then many buyers
// at once: 8 connections checking out distinct products against 1 connection (goal ≥ 1.6× on
// 2 cores) and against the one-statement bare writer on 8 connections (goal ≥ 0.8×), in rotated
// rounds; then the hot-product race: 64 buyers on 64 connections for 10 units, its wall time
// against the same 64 checkouts one after another.
// Run: npm run bench:checkout   (BENCH_ITERATIONS, BENCH_CONCURRENT_CHECKOUTS to change the size)
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import postgres from 'postgres';
import { databaseUrl } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, sideBySide } from '../lib.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const RACERS = 64;
const CONNECTIONS = 8;
// Checkouts per measurement of the many-buyers part, and rotated rounds of the three measurements.
const CONCURRENT = Number(process.env.BENCH_CONCURRENT_CHECKOUTS ?? 800);
const ROUNDS = 3;
const HOT_STOCK = 10;
const address = { name: 'Bench Buyer', line1: 'Kenyatta Avenue 1', city: 'Nairobi', country: 'KE' };

const db = await startScratchDatabase();
try {
  const admin = db.admin;
  // One fresh buyer per transaction (both sides, warm-up included) and one per racer.
  const warmup = Math.min(50, ITERATIONS);
  const users = Array.from({ length: 4 * (ITERATIONS + warmup) + 2 * RACERS }, () => randomUUID());
  await admin`
    insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
    select u, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', u::text || '@bench.test', '{}', '{}', now()
    from unnest(${users}::uuid[]) as u`;
  const businesses = await admin`
    insert into public.businesses (name, slug) values ('Bench One', 'bench-one'), ('Bench Two', 'bench-two') returning id`;
  // Three lines over two businesses, with stock enough for every iteration.
  type Product = { id: string; business_id: string; name: string; unit: string; price: string };
  const products = await admin<Product[]>`
    insert into public.products (business_id, name, price, stock_quantity, status)
    values (${businesses[0].id}, 'Unga', 120.50, 1000000, 'approved'), (${businesses[0].id}, 'Sukari', 200, 1000000, 'approved'),
           (${businesses[1].id}, 'Maharagwe', 80, 1000000, 'approved')
    returning id, business_id, name, unit, price`;
  const fillCart = async (user: string, lines: Array<[string, number]>) => {
    const [cart] = await admin`insert into public.carts (user_id) values (${user}) returning id`;
    for (const [product, quantity] of lines) {
      await admin`insert into public.cart_items (cart_id, product_id, quantity) values (${cart.id}, ${product}, ${quantity})`;
    }
    return cart.id as string;
  };
  const lines: Array<[string, number]> = [[products[0].id, 2], [products[1].id, 1], [products[2].id, 3]];

  // The edge function's connection: the `postgres` role.
  const checkoutSql = postgres(databaseUrl('postgres', db.port), { max: 1, onnotice: () => {} });
  const bareSql = postgres(databaseUrl('postgres', db.port), { max: 1, onnotice: () => {} });
  let next = 0;
  const nextBuyer = async () => {
    const user = users[next++];
    return { user, cart: await fillCart(user, lines) };
  };

  const placeCheckout = async () => {
    const { user } = await nextBuyer();
    const started = performance.now();
    await checkoutSql`select private.place_checkout(${user}, ${`bench-${user}`}, 'manual', ${checkoutSql.json(address)}, null)`;
    return performance.now() - started;
  };

  // The same rows, written without locks, checks, price lookups or the idempotency lookup.
  const bareTransaction = async () => {
    const { user, cart } = await nextBuyer();
    const started = performance.now();
    await bareSql.begin(async (tx) => {
      const [checkout] = await tx`
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        values (${user}, ${`bare-${user}`}, 'h', 'h', 'manual', 681.00, 'KES', ${tx.json(address)}) returning id`;
      const split: Array<[string, number[]]> = [[businesses[0].id, [0, 1]], [businesses[1].id, [2]]];
      for (const [business, businessLines] of split) {
        const total = businessLines.reduce((sum: number, i) => sum + Number(products[i].price) * lines[i][1], 0);
        const [order] = await tx`
          insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address)
          values (${checkout.id}, ${business}, ${user}, ${total}, ${total}, 'KES', ${tx.json(address)}) returning id`;
        for (const i of businessLines) {
          await tx`
            insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
            values (${order.id}, ${business}, ${products[i].id}, ${products[i].name}, ${products[i].unit}, ${products[i].price},
                    ${lines[i][1]}, ${Number(products[i].price) * lines[i][1]})`;
        }
        await tx`insert into public.order_status_history (order_id, business_id, to_status, actor_id)
                 values (${order.id}, ${business}, 'pending_payment', ${user})`;
      }
      for (const [product, quantity] of lines) {
        await tx`update public.products set stock_quantity = stock_quantity - ${quantity} where id = ${product}`;
      }
      await tx`insert into public.payments (checkout_id, provider, amount, currency) values (${checkout.id}, 'manual', 681.00, 'KES')`;
      await tx`delete from public.cart_items where cart_id = ${cart}`;
    });
    return performance.now() - started;
  };

  /** The same rows as a checkout of `lines` of `items` (two of the first business, one of the second), in one statement. */
  const bareStatementFor = async (sql: postgres.Sql, user: string, cart: string, items: readonly Product[]) => {
    const [p0, p1, p2] = items;
    const line = (i: number) => [items[i].id, items[i].name, items[i].unit, items[i].price, lines[i][1]];
    await sql`
      with c as (
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        values (${user}, ${`one-${user}`}, 'h', 'h', 'manual', 681.00, 'KES', ${sql.json(address)}) returning id
      ), o as (
        insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address)
        select c.id, v.business_id, ${user}, v.total, v.total, 'KES', ${sql.json(address)}
        from c, (values (${businesses[0].id}::uuid, 441.00), (${businesses[1].id}::uuid, 240.00)) v(business_id, total)
        returning id, business_id
      ), i as (
        insert into public.order_items (order_id, business_id, product_id, product_name, unit, unit_price, quantity, line_total)
        select o.id, o.business_id, v.product_id, v.name, v.unit, v.price, v.quantity, v.price * v.quantity
        from o join (values
          (${businesses[0].id}::uuid, ${line(0)[0]}::uuid, ${line(0)[1]}, ${line(0)[2]}, ${p0.price}::numeric, ${lines[0][1]}::int),
          (${businesses[0].id}::uuid, ${line(1)[0]}::uuid, ${line(1)[1]}, ${line(1)[2]}, ${p1.price}::numeric, ${lines[1][1]}::int),
          (${businesses[1].id}::uuid, ${line(2)[0]}::uuid, ${line(2)[1]}, ${line(2)[2]}, ${p2.price}::numeric, ${lines[2][1]}::int)
        ) v(business_id, product_id, name, unit, price, quantity) on v.business_id = o.business_id
      ), h as (
        insert into public.order_status_history (order_id, business_id, to_status, actor_id)
        select o.id, o.business_id, 'pending_payment', ${user} from o
      ), s as (
        update public.products p set stock_quantity = p.stock_quantity - v.quantity
        from (values (${p0.id}::uuid, ${lines[0][1]}::int), (${p1.id}::uuid, ${lines[1][1]}::int), (${p2.id}::uuid, ${lines[2][1]}::int))
          v(id, quantity)
        where p.id = v.id
      ), pay as (
        insert into public.payments (checkout_id, provider, amount, currency) select c.id, 'manual', 681.00, 'KES' from c
      )
      delete from public.cart_items where cart_id = ${cart}`;
  };

  // The same rows again in one round trip: one statement of data-modifying CTEs, the cheapest
  // way to write them, so the comparison does not flatter the checkout function.
  const bareStatement = async () => {
    const { user, cart } = await nextBuyer();
    const started = performance.now();
    await bareStatementFor(bareSql, user, cart, products);
    return performance.now() - started;
  };

  console.log(`checkout vs bare transactions, ${ITERATIONS} each (3 lines, 2 businesses), side by side…`);
  const [checkout, bare] = await sideBySide(ITERATIONS, placeCheckout, bareTransaction);
  const [checkoutAgain, bareOne] = await sideBySide(ITERATIONS, placeCheckout, bareStatement);
  const throughput = (meanMs: number) => 1000 / meanMs;
  const row = (name: string, t: { p50: number; p95: number; mean: number }) =>
    console.log(`| ${name} | ${fmt(t.p50)} | ${fmt(t.p95)} | ${fmt(t.mean)} | ${throughput(t.mean).toFixed(0)} |`);
  console.log(`\n| transaction | p50 | p95 | mean | per second (one connection) |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  row('checkout (private.place_checkout)', checkout);
  row('bare transaction, same rows, one statement per row set', bare);
  console.log(`| **ratio (checkout ÷ bare throughput)** | | | | **${(bare.mean / checkout.mean).toFixed(2)}×** (goal ≥ 0.5×) |`);
  row('checkout (private.place_checkout), second run', checkoutAgain);
  row('bare, same rows in one statement (data-modifying CTEs)', bareOne);
  console.log(`| **ratio (checkout ÷ one-statement bare throughput)** | | | | **${(bareOne.mean / checkoutAgain.mean).toFixed(2)}×** (goal ≥ 0.5×) |`);

  // Many buyers at once: each of 8 workers checks out its own 3 products (the same two
  // businesses), so the connections contend for the machine, not for rows. Carts are filled
  // beforehand, in bulk, outside the timing. Three measurements of CONCURRENT checkouts each,
  // rotated over ROUNDS rounds: checkout on 1 connection, checkout on 8, bare statement on 8.
  const workerProducts: Product[][] = [];
  for (let w = 0; w < CONNECTIONS; w++) {
    workerProducts.push(await admin<Product[]>`
      insert into public.products (business_id, name, price, stock_quantity, status)
      values (${businesses[0].id}, ${`Unga ${w}`}, 120.50, 1000000, 'approved'), (${businesses[0].id}, ${`Sukari ${w}`}, 200, 1000000, 'approved'),
             (${businesses[1].id}, ${`Maharagwe ${w}`}, 80, 1000000, 'approved')
      returning id, business_id, name, unit, price`);
  }
  /** `count` fresh buyers, each with a filled cart of worker `w % CONNECTIONS`'s products; [user, cart, worker]. */
  const prepareBuyers = async (count: number) => {
    const buyers = Array.from({ length: count }, () => randomUUID());
    await admin`
      insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
      select u, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', u::text || '@bench.test', '{}', '{}', now()
      from unnest(${buyers}::uuid[]) as u`;
    const carts = await admin<{ id: string; user_id: string }[]>`
      insert into public.carts (user_id) select unnest(${buyers}::uuid[]) returning id, user_id`;
    const cartOf = new Map(carts.map((c) => [c.user_id, c.id]));
    const rows = buyers.flatMap((user, b) => workerProducts[b % CONNECTIONS].map((product, i) => [cartOf.get(user)!, product.id, lines[i][1]] as const));
    await admin`
      insert into public.cart_items (cart_id, product_id, quantity)
      select * from unnest(${rows.map((r) => r[0])}::uuid[], ${rows.map((r) => r[1])}::uuid[], ${rows.map((r) => r[2])}::int[])`;
    return buyers.map((user, b) => ({ user, cart: cartOf.get(user)!, worker: b % CONNECTIONS }));
  };
  const pool = Array.from({ length: CONNECTIONS }, () => postgres(databaseUrl('postgres', db.port), { max: 1, onnotice: () => {} }));
  await Promise.all(pool.map((sql) => sql`select 1`));
  type Buyer = { user: string; cart: string; worker: number };
  const viaCheckout = (sql: postgres.Sql, buyer: Buyer) =>
    sql`select private.place_checkout(${buyer.user}, ${`many-${buyer.user}`}, 'manual', ${sql.json(address)}, null)`;
  const viaBare = (sql: postgres.Sql, buyer: Buyer) => bareStatementFor(sql, buyer.user, buyer.cart, workerProducts[buyer.worker]);
  /** Wall milliseconds for every buyer's transaction, on `connections` connections (worker w's buyers on connection w). */
  const timedAll = async (buyers: Buyer[], connections: number, run: (sql: postgres.Sql, buyer: Buyer) => Promise<unknown>) => {
    const started = performance.now();
    await Promise.all(Array.from({ length: connections }, async (_, c) => {
      for (const buyer of buyers) if (buyer.worker % connections === c) await run(pool[c], buyer);
    }));
    return performance.now() - started;
  };
  const measurements = [
    { name: 'checkout, 1 connection', connections: 1, run: viaCheckout, ms: 0, n: 0 },
    { name: `checkout, ${CONNECTIONS} connections, distinct products`, connections: CONNECTIONS, run: viaCheckout, ms: 0, n: 0 },
    { name: `bare one-statement writer, ${CONNECTIONS} connections, same products`, connections: CONNECTIONS, run: viaBare, ms: 0, n: 0 },
  ];
  console.log(`\nmany buyers: ${CONCURRENT} checkouts per measurement, ${ROUNDS} rotated rounds…`);
  await timedAll(await prepareBuyers(8 * CONNECTIONS), CONNECTIONS, viaCheckout); // warm-up
  const loadBefore = os.loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < measurements.length; k++) {
      const m = measurements[(round + k) % measurements.length];
      const buyers = await prepareBuyers(CONCURRENT);
      m.ms += await timedAll(buyers, m.connections, m.run);
      m.n += buyers.length;
    }
  }
  await Promise.all(pool.map((sql) => sql.end()));
  const perSecond = (m: (typeof measurements)[number]) => (m.n / m.ms) * 1000;
  const [one, many, bareMany] = measurements;
  console.log(`\n| many buyers (load average ${loadBefore.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}) | checkouts | seconds | per second | ratio |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  console.log(`| ${one.name} | ${one.n} | ${(one.ms / 1000).toFixed(2)} | ${perSecond(one).toFixed(0)} | 1.00× |`);
  console.log(`| ${many.name} | ${many.n} | ${(many.ms / 1000).toFixed(2)} | ${perSecond(many).toFixed(0)} | **${(perSecond(many) / perSecond(one)).toFixed(2)}×** of 1 connection (goal ≥ 1.6×) |`);
  console.log(`| ${bareMany.name} | ${bareMany.n} | ${(bareMany.ms / 1000).toFixed(2)} | ${perSecond(bareMany).toFixed(0)} | checkout on ${CONNECTIONS}: **${(perSecond(many) / perSecond(bareMany)).toFixed(2)}×** of it (goal ≥ 0.8×) |`);

  // The race: every buyer has one unit of the hot product in the cart; all check out at once,
  // each on its own connection.
  const [hot] = await admin`
    insert into public.products (business_id, name, price, stock_quantity, status)
    values (${businesses[0].id}, 'Hot sale', 10, ${HOT_STOCK}, 'approved') returning id`;
  const racers = users.slice(users.length - 2 * RACERS, users.length - RACERS);
  for (const user of racers) await fillCart(user, [[hot.id, 1]]);
  const connections = racers.map(() => postgres(databaseUrl('postgres', db.port), { max: 1, onnotice: () => {} }));
  await Promise.all(connections.map((sql) => sql`select 1`));
  const started = performance.now();
  const outcomes = await Promise.all(racers.map((user, i) =>
    connections[i]`select private.place_checkout(${user}, ${`race-${user}`}, 'manual', ${connections[i].json(address)}, null)`
      .then(() => 'sold', (error: { code?: string }) => (error.code === 'PT422' ? 'refused' : `error ${error.code}`))
  ));
  const raceMs = performance.now() - started;
  await Promise.all(connections.map((sql) => sql.end()));
  const [result] = await admin`
    select p.stock_quantity as stock,
           (select count(*)::int from public.order_items oi where oi.product_id = p.id) as lines,
           (select coalesce(sum(oi.quantity), 0)::int from public.order_items oi where oi.product_id = p.id) as sold,
           (select count(*)::int from (select o.customer_id from public.orders o join public.order_items oi on oi.order_id = o.id
                                       where oi.product_id = p.id group by o.customer_id having count(*) > 1) d) as duplicates
    from public.products p where p.id = ${hot.id}`;
  // The same 64 checkouts one after another on one connection, for a second hot product.
  const [hotToo] = await admin`
    insert into public.products (business_id, name, price, stock_quantity, status)
    values (${businesses[0].id}, 'Hot sale, one by one', 10, ${HOT_STOCK}, 'approved') returning id`;
  const sequential = users.slice(users.length - RACERS);
  for (const user of sequential) await fillCart(user, [[hotToo.id, 1]]);
  const seqStarted = performance.now();
  let seqSold = 0;
  for (const user of sequential) {
    await checkoutSql`select private.place_checkout(${user}, ${`seq-${user}`}, 'manual', ${checkoutSql.json(address)}, null)`
      .then(() => seqSold++, (error: { code?: string }) => {
        if (error.code !== 'PT422') throw error;
      });
  }
  const seqMs = performance.now() - seqStarted;
  const sold = outcomes.filter((o) => o === 'sold').length;
  const refused = outcomes.filter((o) => o === 'refused').length;
  console.log(`\n| hot-product race | buyers | stock | answered sold | answered 422 | other errors | units sold | stock after | buyers with two orders | wall time |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  console.log(`| 64 connections at once | ${RACERS} | ${HOT_STOCK} | ${sold} | ${refused} | ${RACERS - sold - refused} | ${result.sold} | ${result.stock} | ${result.duplicates} | ${fmt(raceMs)} |`);
  console.log(`| the same 64, one after another on 1 connection | ${RACERS} | ${HOT_STOCK} | ${seqSold} | ${RACERS - seqSold} | 0 | | | | ${fmt(seqMs)} (race: ${(raceMs / seqMs).toFixed(2)}× its time) |`);
  console.log(`\n${new Date().toISOString()} · ${os.cpus().length} cores · ${os.cpus()[0]?.model ?? 'unknown CPU'} · load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  await Promise.all([checkoutSql.end(), bareSql.end()]);
  if (result.sold !== HOT_STOCK || result.stock !== 0 || sold !== HOT_STOCK || result.duplicates !== 0 || seqSold !== HOT_STOCK) {
    process.exitCode = 1;
    console.error('The race oversold, undersold or duplicated an order.');
  }
} finally {
  await db.stop();
}
