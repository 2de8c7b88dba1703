// The catalogue benchmark's write load, in its own process so that its client work never runs
// in the measuring process's event loop: stock changes (as checkouts write them) and editors'
// changes at steady rates, each on its own connection, on the products given on stdin's first
// line (JSON ids). Then lines `on` / `off` / `stop` switch it; on stop it prints what it wrote.
// Run by scripts/bench/catalogue/index.ts: tsx writers.ts <database url> <stock/s> <edits/s>
import readline from 'node:readline';
import postgres from 'postgres';

const [url, stockPerSecond, editsPerSecond] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const sql = postgres(url, { max: 2, onnotice: () => {} });
let targets: string[] = [];
const pick = () => targets[Math.floor(Math.random() * targets.length)];
let writing = true;
let loadOn = false;
const written = { stock: 0, edits: 0, seconds: 0 };

/** Calls `write` `perTick` times per tick at `ticksPerSecond`, while the load is on. */
async function steady(perTick: number, ticksPerSecond: number, write: () => Promise<unknown>): Promise<void> {
  while (writing) {
    if (!loadOn) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const started = performance.now();
    for (let tick = 0; writing && loadOn; tick++) {
      const wait = started + (tick * 1000) / ticksPerSecond - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      for (let i = 0; i < perTick; i++) await write();
    }
  }
}

let onSince = 0;
const lines = readline.createInterface({ input: process.stdin });
const writers: Array<Promise<void>> = [];
for await (const line of lines) {
  if (targets.length === 0) {
    targets = JSON.parse(line);
    // Stock as the checkout changes it: stockPerSecond / 10 products every 100 ms.
    writers.push(steady(stockPerSecond / 10, 10, async () => {
      await sql`update public.products set stock_quantity = greatest(stock_quantity - 1, 0) + (random() * 3)::int where id = ${pick()}`;
      written.stock++;
    }));
    // An editor's change: a new description (search vector rebuilt, product back to review).
    writers.push(steady(1, editsPerSecond, async () => {
      await sql`update public.products set description = 'Edited ' || clock_timestamp()::text || ' ' || coalesce(description, '') where id = ${pick()}`;
      written.edits++;
    }));
  } else if (line === 'on') {
    loadOn = true;
    onSince = performance.now();
  } else if (line === 'off' || line === 'stop') {
    if (loadOn) written.seconds += (performance.now() - onSince) / 1000;
    loadOn = false;
    if (line === 'stop') break;
  }
  console.log('ok');
}
writing = false;
lines.close();
// Stdin would keep the process alive after the last line.
process.stdin.destroy();
await Promise.all(writers);
await sql.end();
console.log(JSON.stringify(written));
