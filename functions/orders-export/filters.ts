// The query string of GET /functions/v1/orders-export, validated. Pure. Checked by hand rather
// than with zod: the export runs close to its memory budget, and zod's modules alone are about
// 6 MB of the function's resident memory.
import { type InputIssue, invalidInput } from '../_shared/errors.ts';

export const ORDER_STATUSES = ['pending_payment', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;
type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PARAMETERS = ['business_id', 'from', 'to', 'status', 'order_id'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_MESSAGE = 'Use a date (2026-11-24) or an ISO 8601 timestamp (2026-11-24T08:00:00Z).';

export interface ExportFilters {
  businessId: string;
  /** Inclusive lower bound on the order's creation time. */
  from: string | null;
  /** Exclusive upper bound: a date `to` includes that whole day. */
  to: string | null;
  status: OrderStatus | null;
  orderId: string | null;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A date (the start of that UTC day, or of the next one for `to`) or a timestamp with its offset, as ISO 8601 UTC. */
function instant(value: string, endOfDay: boolean): string | null {
  if (DATE_ONLY.test(value)) {
    const day = new Date(`${value}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over to March: a real date prints back as itself.
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) return null;
    if (endOfDay) day.setUTCDate(day.getUTCDate() + 1);
    return day.toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) return null;
  return new Date(value).toISOString();
}

export function parseExportQuery(params: URLSearchParams): ExportFilters {
  const issues: InputIssue[] = [];
  const given = new Map<string, string>();
  for (const [key, value] of params) {
    if (!PARAMETERS.includes(key)) issues.push({ path: key, message: `Unknown parameter ${key}; use ${PARAMETERS.join(', ')}.` });
    else if (given.has(key)) issues.push({ path: key, message: `${key} is given more than once.` });
    else given.set(key, value);
  }
  const businessId = given.get('business_id');
  if (businessId === undefined || !isUuid(businessId)) issues.push({ path: 'business_id', message: 'business_id must be a UUID.' });
  const orderId = given.get('order_id') ?? null;
  if (orderId !== null && !isUuid(orderId)) issues.push({ path: 'order_id', message: 'order_id must be a UUID.' });
  const status = given.get('status') ?? null;
  if (status !== null && !(ORDER_STATUSES as readonly string[]).includes(status)) {
    issues.push({ path: 'status', message: `status must be one of ${ORDER_STATUSES.join(', ')}.` });
  }
  const [from, to] = (['from', 'to'] as const).map((name) => {
    const value = given.get(name);
    if (value === undefined) return null;
    const parsed = instant(value, name === 'to');
    if (parsed === null) issues.push({ path: name, message: INSTANT_MESSAGE });
    return parsed;
  });
  if (from && to && from >= to) issues.push({ path: 'to', message: 'to must be after from.' });
  if (issues.length > 0) throw invalidInput(issues);
  return { businessId: businessId!, from, to, status: status as OrderStatus | null, orderId };
}

/** A file name that says what is inside: orders-<business>-<range or status>-<today>.csv */
export function exportFileName(slug: string, filters: ExportFilters, today: Date): string {
  const parts = ['orders', slug.replace(/[^a-z0-9-]/gi, '').slice(0, 60) || 'business'];
  if (filters.orderId) parts.push(filters.orderId.slice(0, 8));
  if (filters.from) parts.push(`from-${filters.from.slice(0, 10)}`);
  if (filters.to) parts.push(`until-${filters.to.slice(0, 10)}`);
  if (filters.status) parts.push(filters.status.replace('_', '-'));
  parts.push(today.toISOString().slice(0, 10));
  return `${parts.join('-')}.csv`;
}
