// Benchmark: the checkout transaction (private.place_checkout: locks, checks, database prices,
// split per business, stock, history, payment, cart) against a bare transaction writing the same
// rows with no checks, side by side (goal: at least 0.5× the bare throughput); then the
// hot-product race: 64 buyers on 64 connections for 10 units.
// Run: npm run bench:checkout
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import postgres from 'postgres';
import { databaseUrl } from '../../lib/local-platform.ts';
import { startScratchDatabase } from '../../lib/scratch-database.ts';
import { fmt, sideBySide } from '../lib.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);
const RACERS = 64;
const HOT_STOCK = 10;
const address = { name: 'Bench Buyer', line1: 'Kenyatta Avenue 1', city: 'Nairobi', country: 'KE' };

const db = await startScratchDatabase();
try {
  const admin = db.admin;
  // One fresh buyer per transaction (both sides, warm-up included) and one per racer.
  const warmup = Math.min(50, ITERATIONS);
  const users = Array.from({ length: 4 * (ITERATIONS + warmup) + RACERS }, () => randomUUID());
  await admin`
    insert into auth.users (id, instance_id, aud, role, email, raw_app_meta_data, raw_user_meta_data, email_confirmed_at)
    select u, '00000000-0000-0000-0000-000000000000', 'authenticated', 'authenticated', u::text || '@bench.test', '{}', '{}', now()
    from unnest(${users}::uuid[]) as u`;
  const businesses = await admin`
    insert into public.businesses (name, slug) values ('Bench One', 'bench-one'), ('Bench Two', 'bench-two') returning id`;
  // Three lines over two businesses, with stock enough for every iteration.
  const products = await admin`
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

  // The same rows again in one round trip: one statement of data-modifying CTEs, the cheapest
  // way to write them, so the comparison does not flatter the checkout function.
  const bareStatement = async () => {
    const { user, cart } = await nextBuyer();
    const [p0, p1, p2] = products;
    const line = (i: number) => [products[i].id, products[i].name, products[i].unit, products[i].price, lines[i][1]];
    const started = performance.now();
    await bareSql`
      with c as (
        insert into public.checkouts (user_id, idempotency_key, request_hash, cart_hash, payment_method, total, currency, shipping_address)
        values (${user}, ${`one-${user}`}, 'h', 'h', 'manual', 681.00, 'KES', ${bareSql.json(address)}) returning id
      ), o as (
        insert into public.orders (checkout_id, business_id, customer_id, subtotal, total, currency, shipping_address)
        select c.id, v.business_id, ${user}, v.total, v.total, 'KES', ${bareSql.json(address)}
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

  // The race: every buyer has one unit of the hot product in the cart; all check out at once,
  // each on its own connection.
  const [hot] = await admin`
    insert into public.products (business_id, name, price, stock_quantity, status)
    values (${businesses[0].id}, 'Hot sale', 10, ${HOT_STOCK}, 'approved') returning id`;
  const racers = users.slice(users.length - RACERS);
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
  const sold = outcomes.filter((o) => o === 'sold').length;
  const refused = outcomes.filter((o) => o === 'refused').length;
  console.log(`\n| hot-product race | buyers | stock | answered sold | answered 422 | other errors | units sold | stock after | buyers with two orders | wall time |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  console.log(`| 64 connections at once | ${RACERS} | ${HOT_STOCK} | ${sold} | ${refused} | ${RACERS - sold - refused} | ${result.sold} | ${result.stock} | ${result.duplicates} | ${fmt(raceMs)} |`);
  console.log(`\n${new Date().toISOString()} · ${os.cpus().length} cores · ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
  await Promise.all([checkoutSql.end(), bareSql.end()]);
  if (result.sold !== HOT_STOCK || result.stock !== 0 || sold !== HOT_STOCK || result.duplicates !== 0) {
    process.exitCode = 1;
    console.error('The race oversold, undersold or duplicated an order.');
  }
} finally {
  await db.stop();
}
