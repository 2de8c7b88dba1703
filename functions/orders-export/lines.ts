// The export's rows as CSV written by Postgres: one `COPY (SELECT …) TO STDOUT` in a read-only
// transaction as the caller (role and claims set, so the SELECT policies of orders and
// order_items apply), newest orders first. The SELECT writes the CSV text itself, one row per
// order holding all its lines (CRLF after each): formatting, formula neutralisation (the rules
// of csvCell in csv.ts, which the tests hold it to) and RFC 4180 quoting, with the cells that
// customers and editors write always quoted (so one holding `;` or `,` is quoted too). COPY's
// binary format carries that text as it is (the text and CSV formats would escape or quote its
// line breaks): JavaScript only takes the bytes out of the framing, one message per order, not
// one per line. Backpressure reaches the server: a slow reader pauses the socket and Postgres
// waits to send.
import type { Readable } from 'node:stream';
import type { Claims } from '../_shared/auth.ts';
import type { Db } from '../_shared/caller-transaction.ts';
import type { ExportFilters } from './filters.ts';

export const CSV_HEADER = [
  'order_id', 'order_date_utc', 'order_status', 'customer_id', 'currency', 'order_subtotal', 'order_total',
  'shipping_address', 'order_notes', 'line_id', 'product_id', 'product_name', 'unit', 'unit_price', 'quantity', 'line_total',
] as const;

// JavaScript's \s (csvCell's rule), spelled out: the database's own classes depend on its locale.
const SPACE = String.raw`\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;
const FORMULA = String.raw`^(?:[\t\r\n]|[${SPACE}]*[=+\-@\uff1d\uff0b\uff0d\uff20])`;

/** A text cell as csvCell neutralises it: an apostrophe before what a spreadsheet would run. */
export function neutralisedSql(expression: string): string {
  return `case when ${expression} ~ '${FORMULA}' then '''' || ${expression} else ${expression} end`;
}

/** A cell someone wrote: neutralised, then quoted (quotes doubled); null stays an empty cell. */
export function writtenCellSql(expression: string): string {
  return `'"' || pg_catalog.replace(${neutralisedSql(expression)}, '"', '""') || '"'`;
}

// An order's own columns, written once per order and repeated before each of its lines.
const ORDER_CELLS = `pg_catalog.concat(o.id, ',', pg_catalog.to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), ',',
  o.status, ',', o.customer_id, ',', o.currency, ',', pg_catalog.trim_scale(o.subtotal), ',', pg_catalog.trim_scale(o.total), ',',
  ${writtenCellSql('o.shipping_address::text')}, ',', ${writtenCellSql('o.notes')}, ',')`;
// Numbers as csvCell writes JavaScript numbers: 80, not 80.00.
const LINE_CELLS = `pg_catalog.concat(i.id, ',', i.product_id, ',', ${writtenCellSql('i.product_name')}, ',', ${writtenCellSql('i.unit')},
  ',', pg_catalog.trim_scale(i.unit_price), ',', i.quantity, ',', pg_catalog.trim_scale(i.line_total))`;

// COPY takes no parameters: the filters are given to format() as parameters and come back
// quoted as literals (%L), so the planner also sees them as constants. Each row: the order's
// line count, and its lines as CSV records (string_agg's separator starts the next record).
const COPY_TEMPLATE = `copy (
  select l.n, p.cells || l.lines || E'\\r\\n'
  from public.orders o
  cross join lateral (select ${ORDER_CELLS} as cells offset 0) p
  cross join lateral (
    select count(*)::int4 as n, pg_catalog.string_agg(${LINE_CELLS}, E'\\r\\n' || p.cells order by i.id) as lines
    from public.order_items i
    where i.order_id = o.id and i.business_id = o.business_id
  ) l
  where o.business_id = %L
    and (%L::timestamptz is null or o.created_at >= %L::timestamptz)
    and (%L::timestamptz is null or o.created_at < %L::timestamptz)
    and (%L::public.order_status is null or o.status = %L::public.order_status)
    and (%L::uuid is null or o.id = %L::uuid)
    and l.n > 0
  order by o.created_at desc, o.id
) to stdout with (format binary)`;

const CHUNK_BYTES = 64 * 1024;
// COPY's binary header: an 11-byte signature, int32 flags, int32 extension length (PostgreSQL
// docs, "COPY", Binary Format); then per row an int16 field count, and per field an int32
// length and its bytes; an int16 -1 ends the data.
const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/**
 * Reads COPY's binary format of rows (int4 line count, text), however its bytes are split:
 * gives the text on in pieces as it comes, then the row's line count.
 */
export function binaryCopyRows(onText: (piece: Uint8Array) => void, onRow: (lines: number) => void): (chunk: Uint8Array) => void {
  type Stage = 'header' | 'extension' | 'fields' | 'countLength' | 'count' | 'textLength' | 'text' | 'end';
  let stage: Stage = 'header';
  let need = 19;
  const fixed = new Uint8Array(19);
  const view = new DataView(fixed.buffer);
  let have = 0;
  let left = 0;
  let count = 0;
  const expect = (next: Stage, bytes: number) => {
    stage = next;
    need = bytes;
  };
  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (stage === 'end') throw new Error('Data after the end of the COPY.');
      if (stage === 'text' || stage === 'extension') {
        const n = Math.min(left, chunk.length - at);
        if (stage === 'text' && n > 0) onText(chunk.subarray(at, at + n));
        at += n;
        left -= n;
        if (left === 0) {
          if (stage === 'text') onRow(count);
          expect('fields', 2);
        }
        continue;
      }
      const n = Math.min(need - have, chunk.length - at);
      fixed.set(chunk.subarray(at, at + n), have);
      have += n;
      at += n;
      if (have < need) break;
      have = 0;
      if (stage === 'header') {
        if (SIGNATURE.some((byte, i) => fixed[i] !== byte)) throw new Error('Not COPY binary data.');
        left = view.getInt32(15);
        if (left > 0) stage = 'extension';
        else expect('fields', 2);
      } else if (stage === 'fields') {
        const fields = view.getInt16(0);
        if (fields === -1) stage = 'end';
        else if (fields !== 2) throw new Error(`A COPY row of ${fields} fields, not 2.`);
        else expect('countLength', 4);
      } else if (stage === 'countLength') {
        if (view.getInt32(0) !== 4) throw new Error('The line count is not an int4.');
        expect('count', 4);
      } else if (stage === 'count') {
        count = view.getInt32(0);
        expect('textLength', 4);
      } else if (stage === 'textLength') {
        left = view.getInt32(0);
        if (left < 0) throw new Error('An order without its lines.');
        stage = 'text';
        if (left === 0) {
          onRow(count);
          expect('fields', 2);
        }
      }
    }
  };
}

export interface CopyExportOptions {
  /** The COPY's statement_timeout: it runs as long as the reader takes (the role's own is 8 s). */
  timeoutSeconds: number;
  /** Called once the last row is out, with the number of rows. */
  onDone?: (rowCount: number) => void;
}

/**
 * The export's rows as CSV records (CRLF), in chunks of about 64 KiB of whole rows. The
 * transaction lasts as long as the reading: it is read-only, one snapshot for the whole file.
 */
export function exportCsvRows(db: Db, claims: Claims, filters: ExportFilters, options: CopyExportOptions): ReadableStream<Uint8Array> {
  let source: Readable | null = null;
  let cancel: (() => void) | null = null;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let chunk = new Uint8Array(CHUNK_BYTES);
      let filled = 0;
      let rows = 0;
      const flush = () => {
        if (filled === 0) return;
        controller.enqueue(chunk.subarray(0, filled));
        chunk = new Uint8Array(CHUNK_BYTES);
        filled = 0;
      };
      // An order's lines are kept together in a chunk, which may grow for a very large order.
      const addText = (piece: Uint8Array) => {
        if (filled + piece.length > chunk.length) {
          const grown = new Uint8Array(Math.max(chunk.length * 2, filled + piece.length));
          grown.set(chunk.subarray(0, filled));
          chunk = grown;
        }
        chunk.set(piece, filled);
        filled += piece.length;
      };
      const endOrder = (lines: number) => {
        rows += lines;
        if (filled >= CHUNK_BYTES - 4096) {
          flush();
          if ((controller.desiredSize ?? 1) <= 0) source?.pause();
        }
      };
      const parse = binaryCopyRows(addText, endOrder);
      db.asCaller(claims, async (tx) => {
        const [{ statement }] = await tx<{ statement: string }[]>`
          select pg_catalog.set_config('statement_timeout', ${`${options.timeoutSeconds}s`}, true),
                 pg_catalog.format(${COPY_TEMPLATE}, ${filters.businessId}::uuid, ${filters.from}::text, ${filters.from}::text,
                                   ${filters.to}::text, ${filters.to}::text, ${filters.status}::text, ${filters.status}::text,
                                   ${filters.orderId}::uuid, ${filters.orderId}::uuid) as statement`;
        const query = tx.unsafe(statement);
        cancel = () => query.cancel();
        if (cancelled) cancel();
        const readable = await query.readable();
        source = readable;
        await new Promise<void>((resolve, reject) => {
          readable.on('data', (row: Uint8Array) => {
            try {
              parse(row);
            } catch (error) {
              reject(error);
              readable.destroy(error as Error);
            }
          });
          readable.on('end', resolve);
          readable.on('error', reject);
        });
      }, { readOnly: true }).then(
        () => {
          flush();
          controller.close();
          options.onDone?.(rows);
        },
        (error) => {
          if (!cancelled) controller.error(error);
        },
      );
    },
    pull() {
      source?.resume();
    },
    cancel() {
      // The reader went away: stop the COPY on the server and let the rest of it drain, so the
      // transaction can roll back and the connection return to the pool.
      cancelled = true;
      cancel?.();
      source?.resume();
      source?.removeAllListeners('data');
      source?.on('data', () => {});
    },
  }, { highWaterMark: 1 });
}

/**
 * How many lines the export holds, counting no further than `limit + 1`. Counted from the
 * business's lines (an index of order_items), with their orders looked up only when a filter
 * is about the order: a join to every order first cost an export of the whole business a
 * fifth of its time.
 */
export async function countLinesUpTo(db: Db, claims: Claims, filters: ExportFilters, limit: number): Promise<number> {
  const aboutTheOrder = filters.from !== null || filters.to !== null || filters.status !== null || filters.orderId !== null;
  const [{ count }] = await db.asCaller(claims, (tx) => tx<{ count: number }[]>`
    select count(*)::int as count from (
      select 1
      from public.order_items i
      where i.business_id = ${filters.businessId}
        ${aboutTheOrder
          ? tx`and exists (
                 select 1 from public.orders o
                 where o.id = i.order_id and o.business_id = i.business_id
                   and (${filters.from}::timestamptz is null or o.created_at >= ${filters.from}::timestamptz)
                   and (${filters.to}::timestamptz is null or o.created_at < ${filters.to}::timestamptz)
                   and (${filters.status}::public.order_status is null or o.status = ${filters.status}::public.order_status)
                   and (${filters.orderId}::uuid is null or o.id = ${filters.orderId}::uuid))`
          : tx``}
      limit ${limit + 1}
    ) capped`, { readOnly: true });
  return count;
}
