// Every support-ticket table × every actor × select/insert/update/delete through PostgREST-faithful
// requests (writes roll back), and the ticket-attachments bucket × every actor through the
// Storage API's checks.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { type Actor, ACTORS, describeMatrix, type MatrixCase, type Outcome, outcomes, type World } from '../support/matrix.ts';
import type { Caller } from '../support/postgrest.ts';
import { storageAs, type StorageResult } from '../support/storage.ts';
import { comment, ok, openTicket, setStatus } from './fixtures.ts';

let world: World;
let ticket: string;
let publicComment: string;
let internalNote: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('tickets-matrix'), createBusiness('tickets-rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  ticket = (await openTicket(customer, business.id)).id;
  publicComment = (await ok(comment(business.approver, ticket, 'We are looking into it.'))).id;
  internalNote = (await ok(comment(business.viewer, ticket, 'Courier says Tuesday.', true))).id;
  await ok(setStatus(business.approver, ticket, 'in_progress'));
});

const staff = ['viewer', 'editor', 'approver', 'admin', 'serviceRole'] as const;
const refusedToAll = outcomes([], { users: 'denied', anon: 'denied' });

const cases: MatrixCase[] = [
  // ticket_settings: staff read; business admins (business.manage) change the targets.
  {
    table: 'ticket_settings', operation: 'select',
    run: (tx) => tx`select business_id from public.ticket_settings where business_id = ${world.business.id}`,
    expected: outcomes([...staff], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'ticket_settings', operation: 'insert',
    run: (tx) => tx`insert into public.ticket_settings (business_id, reference_prefix) values (${randomUUID()}, 'ABC') returning business_id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_settings', operation: 'update',
    run: (tx) => tx`update public.ticket_settings set normal_first_response_minutes = 600
                    where business_id = ${world.business.id} returning business_id`,
    expected: outcomes(['admin', 'serviceRole'], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'ticket_settings (reference counter)', operation: 'update',
    run: (tx) => tx`update public.ticket_settings set next_number = 1 where business_id = ${world.business.id} returning business_id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_settings', operation: 'delete',
    run: (tx) => tx`delete from public.ticket_settings where business_id = ${world.business.id} returning business_id`,
    expected: refusedToAll,
  },
  // tickets: the customer and the business's readers; written only through the RPCs.
  {
    table: 'tickets', operation: 'select',
    run: (tx) => tx`select id, subject from public.tickets where id = ${ticket}`,
    expected: outcomes(['customer', ...staff], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'tickets', operation: 'insert',
    run: (tx) => tx`insert into public.tickets (business_id, customer_id, reference, subject, body, first_response_due_at)
                    values (${world.business.id}, ${world.customer.id}, 'ZZZ-000001', 'x', 'y', now()) returning id`,
    expected: refusedToAll,
  },
  {
    table: 'tickets', operation: 'update',
    run: (tx) => tx`update public.tickets set status = 'closed', closed_at = now() where id = ${ticket} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'tickets', operation: 'delete',
    run: (tx) => tx`delete from public.tickets where id = ${ticket} returning id`,
    expected: refusedToAll,
  },
  // ticket_comments: public replies reach the customer; internal notes only staff.
  {
    table: 'ticket_comments (public reply)', operation: 'select',
    run: (tx) => tx`select id, body from public.ticket_comments where id = ${publicComment}`,
    expected: outcomes(['customer', ...staff], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'ticket_comments (internal note)', operation: 'select',
    run: (tx) => tx`select id, body from public.ticket_comments where id = ${internalNote}`,
    expected: outcomes([...staff], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'ticket_comments', operation: 'insert',
    run: (tx) => tx`insert into public.ticket_comments (ticket_id, business_id, customer_id, author_id, body)
                    values (${ticket}, ${world.business.id}, ${world.customer.id}, ${world.customer.id}, 'sneaky') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_comments', operation: 'update',
    run: (tx) => tx`update public.ticket_comments set internal = false where id = ${internalNote} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_comments', operation: 'delete',
    run: (tx) => tx`delete from public.ticket_comments where id = ${publicComment} returning id`,
    expected: refusedToAll,
  },
  // ticket_history: staff only, append-only.
  {
    table: 'ticket_history', operation: 'select',
    run: (tx) => tx`select id, field from public.ticket_history where ticket_id = ${ticket}`,
    expected: outcomes([...staff], { users: 'filtered', anon: 'denied' }),
  },
  {
    table: 'ticket_history', operation: 'insert',
    run: (tx) => tx`insert into public.ticket_history (ticket_id, business_id, field, new_value)
                    values (${ticket}, ${world.business.id}, 'status', 'closed') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_history', operation: 'update',
    run: (tx) => tx`update public.ticket_history set note = 'rewritten' where ticket_id = ${ticket} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_history', operation: 'delete',
    run: (tx) => tx`delete from public.ticket_history where ticket_id = ${ticket} returning id`,
    expected: refusedToAll,
  },
  // ticket_events: the notification function's queue, private: no API role reaches it.
  {
    table: 'ticket_events', operation: 'select',
    run: (tx) => tx`select id, kind from private.ticket_events where ticket_id = ${ticket}`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_events', operation: 'insert',
    run: (tx) => tx`insert into private.ticket_events (ticket_id, kind) values (${ticket}, 'sla_warning') returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_events', operation: 'update',
    run: (tx) => tx`update private.ticket_events set processed_at = now() where ticket_id = ${ticket} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'ticket_events', operation: 'delete',
    run: (tx) => tx`delete from private.ticket_events where ticket_id = ${ticket} returning id`,
    expected: refusedToAll,
  },
];

describeMatrix(cases, () => world);

// ---------------------------------------------------------------------------------------------
// The ticket-attachments bucket
// ---------------------------------------------------------------------------------------------
const BUCKET = 'ticket-attachments';
const pdf = { contentType: 'application/pdf', size: 100_000 };

async function callerOf(actor: Actor): Promise<Caller> {
  const keys = await apiKeys();
  const fromKey = (jwt: string): Caller => ({ jwt, claims: JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) });
  switch (actor) {
    case 'anon': return fromKey(keys.anonKey);
    case 'serviceRole': return fromKey(keys.serviceRoleKey);
    case 'customer': return world.customer;
    case 'otherCustomer': return world.otherCustomer;
    case 'otherAdmin': return world.otherBusiness.admin;
    default: return world.business[actor];
  }
}

/** allowed: it happened; filtered: the object is invisible (404) or untouched; denied: 403. */
function outcomeOf(result: StorageResult<unknown>): Outcome {
  if (result.error) {
    if (result.error.statusCode === 403) return 'denied';
    if (result.error.statusCode === 404) return 'filtered';
    throw new Error(`unexpected ${result.error.statusCode} ${result.error.message}`);
  }
  return Array.isArray(result.data) && result.data.length === 0 ? 'filtered' : 'allowed';
}

/** An object stored as if uploaded earlier by `ownerId`. */
async function storedObject(name: string, ownerId: string): Promise<string> {
  await superuser()`
    insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
    values (${BUCKET}, ${name}, ${ownerId}, ${ownerId}, ${superuser().json({ size: 10, mimetype: 'application/pdf' })})`;
  return name;
}

interface StorageCase {
  name: string;
  run: (actor: Actor) => Promise<StorageResult<unknown>>;
  expected: Record<Actor, Outcome>;
}

const storageCases: StorageCase[] = [
  {
    name: 'download an attachment of a public comment',
    run: async (actor) => storageAs(await callerOf(actor)).download(BUCKET, await storedObject(`${ticket}/${randomUUID()}.pdf`, world.customer.id)),
    expected: outcomes(['customer', ...staff], { users: 'filtered', anon: 'filtered' }),
  },
  {
    name: 'download an internal-note attachment',
    run: async (actor) =>
      storageAs(await callerOf(actor)).download(BUCKET, await storedObject(`${ticket}/internal/${randomUUID()}.pdf`, world.business.viewer.id)),
    expected: outcomes([...staff], { users: 'filtered', anon: 'filtered' }),
  },
  {
    name: 'upload to the ticket folder',
    run: async (actor) => storageAs(await callerOf(actor)).upload(BUCKET, `${ticket}/${actor}-${randomUUID()}.pdf`, pdf),
    expected: outcomes(['customer', 'approver', 'admin', 'serviceRole'], { users: 'denied', anon: 'denied' }),
  },
  {
    name: 'upload to the internal folder',
    run: async (actor) => storageAs(await callerOf(actor)).upload(BUCKET, `${ticket}/internal/${actor}-${randomUUID()}.pdf`, pdf),
    expected: outcomes([...staff], { users: 'denied', anon: 'denied' }),
  },
  {
    name: 'replace (upsert) an attachment',
    run: async (actor) =>
      storageAs(await callerOf(actor)).upload(BUCKET, await storedObject(`${ticket}/${randomUUID()}.pdf`, world.customer.id), { ...pdf, upsert: true }),
    expected: outcomes(['serviceRole'], { users: 'denied', anon: 'denied' }),
  },
  {
    name: 'delete an attachment',
    run: async (actor) => storageAs(await callerOf(actor)).remove(BUCKET, [await storedObject(`${ticket}/${randomUUID()}.pdf`, world.customer.id)]),
    expected: outcomes(['serviceRole'], { users: 'filtered', anon: 'filtered' }),
  },
];

describe.each(storageCases)('bucket ticket-attachments: $name', (storageCase) => {
  it.each(ACTORS)('%s', async (actor) => {
    expect(outcomeOf(await storageCase.run(actor))).toBe(storageCase.expected[actor]);
  });
});
