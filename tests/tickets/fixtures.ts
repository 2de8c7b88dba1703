// Support-ticket fixtures: tickets opened and moved through the RPCs as their users, and a few
// superuser shortcuts for what only time can do (backdating) or what other capabilities own
// (orders).
import type postgres from 'postgres';
import { superuser } from '../support/db.ts';
import { asUser, type ApiResult } from '../support/postgrest.ts';
import type { TestUser } from '../support/users.ts';

export type Row = postgres.Row;

/** An RPC called with named arguments, as supabase.rpc(name, args) does. */
export function rpc(user: TestUser, name: string, args: Record<string, unknown>): Promise<ApiResult<Row[]>> {
  const names = Object.keys(args);
  const placeholders = names.map((arg, i) => `${arg} := $${i + 1}`).join(', ');
  return asUser(user, (tx) => tx.unsafe(`select * from public.${name}(${placeholders})`, Object.values(args) as never[]));
}

export async function ok(result: Promise<ApiResult<Row[]>>, what = 'rpc'): Promise<Row> {
  const { data, error } = await result;
  if (error) throw new Error(`${what}: ${error.code} ${error.message}`);
  return data[0];
}

export interface TicketInput {
  subject?: string;
  body?: string;
  category?: string;
  priority?: string;
  order_id?: string | null;
}

export function openTicket(customer: TestUser, businessId: string, input: TicketInput = {}): Promise<Row> {
  return ok(rpc(customer, 'open_ticket', {
    business_id: businessId,
    subject: input.subject ?? 'My delivery is late',
    body: input.body ?? 'The maize I ordered has not arrived.',
    ...(input.category ? { category: input.category } : {}),
    ...(input.priority ? { priority: input.priority } : {}),
    ...(input.order_id ? { order_id: input.order_id } : {}),
  }), 'open_ticket');
}

export function setStatus(user: TestUser, ticketId: string, status: string, note?: string) {
  return rpc(user, 'set_ticket_status', { ticket_id: ticketId, status, ...(note ? { note } : {}) });
}

export function comment(user: TestUser, ticketId: string, body: string, internal = false, attachments: string[] = []) {
  return rpc(user, 'comment_on_ticket', { ticket_id: ticketId, body, internal, attachments });
}

export async function ticketRow(id: string): Promise<Row> {
  const [row] = await superuser()`select * from public.tickets where id = ${id}`;
  return row;
}

export function historyOf(id: string): Promise<Row[]> {
  return superuser()`select field, old_value, new_value, actor_id, note from public.ticket_history where ticket_id = ${id} order by created_at, id`;
}

export function eventsOf(id: string): Promise<Row[]> {
  return superuser()`select * from private.ticket_events where ticket_id = ${id} order by id`;
}

/** Moves a ticket's clock back (its creation, due time, activity and resolution), as time passing would. */
export async function backdate(id: string, by: string): Promise<void> {
  await superuser()`
    update public.tickets
    set created_at = created_at - ${by}::interval,
        first_response_due_at = first_response_due_at - ${by}::interval,
        first_response_at = first_response_at - ${by}::interval,
        resolved_at = resolved_at - ${by}::interval,
        last_activity_at = last_activity_at - ${by}::interval
    where id = ${id}`;
}

export interface TicketFixture {
  businessId: string;
  customerId: string;
  status?: string;
  priority?: string;
  /** How long ago it was opened (an interval), default just now. */
  age?: string;
  /** Offsets from its opening (intervals): first reply, resolution. */
  firstResponseAfter?: string | null;
  resolvedAfter?: string | null;
  /** First-response target (interval), default 24 hours. */
  dueAfter?: string;
  rating?: number | null;
  lastActivityAge?: string;
}

let references = 0;

/**
 * A ticket in a given state, written as superuser: for states that take time or many steps to
 * reach (the RPCs' own rules are tested through the RPCs). Its triggers fire as usual.
 */
export async function insertTicket(input: TicketFixture): Promise<string> {
  const status = input.status ?? 'open';
  const [row] = await superuser()`
    with opened as (select now() - ${input.age ?? '0 seconds'}::interval as at)
    insert into public.tickets (business_id, customer_id, reference, subject, body, status, priority, created_at,
                                first_response_due_at, first_response_at, resolved_at, closed_at, last_activity_at,
                                rating, rated_at)
    select ${input.businessId}, ${input.customerId}, ${`FIX-${String(++references).padStart(6, '0')}${process.pid}`},
           'Fixture ticket', 'Fixture body', ${status}, ${input.priority ?? 'normal'}, opened.at,
           opened.at + ${input.dueAfter ?? '24 hours'}::interval,
           opened.at + ${input.firstResponseAfter ?? null}::interval,
           case when ${status} in ('resolved', 'closed') then opened.at + coalesce(${input.resolvedAfter ?? null}::interval, interval '1 hour') end,
           case when ${status} = 'closed' then now() end,
           coalesce(now() - ${input.lastActivityAge ?? null}::interval, now()),
           ${input.rating ?? null}, case when ${input.rating ?? null}::int is not null then now() end
    from opened
    returning id`;
  return row.id;
}
