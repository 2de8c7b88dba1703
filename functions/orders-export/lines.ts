// The export's rows: one per order line with its order's columns, read as the caller (RLS
// applies) in keyset pages, newest orders first, each row handed on as it arrives. Each page is
// its own short read-only transaction, so a slow download never holds a transaction open.
import type { Claims } from '../_shared/auth.ts';
import type { Db } from '../_shared/caller-transaction.ts';
import type { CsvValue } from './csv.ts';
import type { ExportFilters } from './filters.ts';
import { keysetPages, type PageReader } from './pages.ts';

export interface ExportLine {
  /** The order's created_at as Postgres prints it: exact to the microsecond, for the cursor. */
  order_created_at: string;
  order_date_utc: string;
  order_id: string;
  order_status: string;
  customer_id: string;
  currency: string;
  order_subtotal: string;
  order_total: string;
  shipping_address: string;
  order_notes: string | null;
  line_id: string;
  product_id: string;
  product_name: string;
  unit: string;
  unit_price: string;
  quantity: number;
  line_total: string;
}

export const CSV_HEADER = [
  'order_id', 'order_date_utc', 'order_status', 'customer_id', 'currency', 'order_subtotal', 'order_total',
  'shipping_address', 'order_notes', 'line_id', 'product_id', 'product_name', 'unit', 'unit_price', 'quantity', 'line_total',
] as const;

export function lineCells(line: ExportLine): CsvValue[] {
  return [
    line.order_id, line.order_date_utc, line.order_status, line.customer_id, line.currency, Number(line.order_subtotal),
    Number(line.order_total), line.shipping_address, line.order_notes, line.line_id, line.product_id, line.product_name,
    line.unit, Number(line.unit_price), line.quantity, Number(line.line_total),
  ];
}

interface Cursor {
  createdAt: string;
  orderId: string;
  lineId: string;
}

function readPage(db: Db, claims: Claims, filters: ExportFilters): PageReader<ExportLine, Cursor> {
  return async (after, limit, onRow) => {
    const at = after?.createdAt ?? null;
    const orderId = after?.orderId ?? null;
    const lineId = after?.lineId ?? null;
    // The cursor's time travels as text: a timestamptz parameter would be serialised through a
    // JavaScript Date, which keeps milliseconds only, and rows of the same millisecond would be
    // skipped. Its null test stays on the text (immutable, folded away), so the cast (stable)
    // is left inside plain conditions the index range can use. Orders first (an index range scan from the cursor), then each order's lines: the LIMITs
    // keep both as nested index scans, whatever the OR in the order_items policy costs the
    // planner's estimates. At most `limit` orders can fill a page of `limit` lines.
    await db.asCaller(claims, (tx) => tx<ExportLine[]>`
      select o.created_at::text as order_created_at,
             to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as order_date_utc,
             o.id as order_id, o.status::text as order_status, o.customer_id, o.currency,
             o.subtotal::text as order_subtotal, o.total::text as order_total,
             o.shipping_address::text as shipping_address, o.notes as order_notes,
             i.id as line_id, i.product_id, i.product_name, i.unit, i.unit_price::text as unit_price,
             i.quantity, i.line_total::text as line_total
      from (
        select o.* from public.orders o
        where o.business_id = ${filters.businessId}
          and (${filters.from}::timestamptz is null or o.created_at >= ${filters.from}::timestamptz)
          and (${filters.to}::timestamptz is null or o.created_at < ${filters.to}::timestamptz)
          and (${filters.status}::public.order_status is null or o.status = ${filters.status}::public.order_status)
          and (${filters.orderId}::uuid is null or o.id = ${filters.orderId}::uuid)
          and (${at}::text is null
               or (o.created_at <= ${at}::text::timestamptz and (o.created_at < ${at}::text::timestamptz or o.id >= ${orderId}::uuid)))
        order by o.created_at desc, o.id
        limit ${limit}
      ) o
      cross join lateral (
        select i.* from public.order_items i
        where i.order_id = o.id and i.business_id = o.business_id
          and (${at}::text is null or o.created_at < ${at}::text::timestamptz or o.id > ${orderId}::uuid or i.id > ${lineId}::uuid)
        order by i.id
        limit ${limit}
      ) i
      order by o.created_at desc, o.id, i.id
      limit ${limit}`.forEach(onRow), { readOnly: true });
  };
}

/** The export's lines page by page, each given to `onLine`; yields after every page. */
export function exportPages(
  db: Db,
  claims: Claims,
  filters: ExportFilters,
  pageSize: number,
  onLine: (line: ExportLine) => void,
): AsyncGenerator<number, void, undefined> {
  return keysetPages(
    readPage(db, claims, filters),
    (line): Cursor => ({ createdAt: line.order_created_at, orderId: line.order_id, lineId: line.line_id }),
    pageSize,
    onLine,
  );
}

/** How many lines the export holds, counting no further than `limit + 1`. */
export async function countLinesUpTo(db: Db, claims: Claims, filters: ExportFilters, limit: number): Promise<number> {
  const [{ count }] = await db.asCaller(claims, (tx) => tx<{ count: number }[]>`
    select count(*)::int as count from (
      select 1
      from public.orders o
      join public.order_items i on i.order_id = o.id and i.business_id = o.business_id
      where o.business_id = ${filters.businessId}
        and (${filters.from}::timestamptz is null or o.created_at >= ${filters.from}::timestamptz)
        and (${filters.to}::timestamptz is null or o.created_at < ${filters.to}::timestamptz)
        and (${filters.status}::public.order_status is null or o.status = ${filters.status}::public.order_status)
        and (${filters.orderId}::uuid is null or o.id = ${filters.orderId}::uuid)
      limit ${limit + 1}
    ) capped`, { readOnly: true });
  return count;
}
