// The ticket-notifications function's pure parts: who hears about each event, and what the
// e-mails say (escaped HTML, links by audience, nothing internal for customers).
import { describe, expect, it } from 'vitest';
import { dedupeKey, type Person, recipientsFor, type TicketEventContext, type TicketEventKind } from '../../functions/ticket-notifications/recipients.ts';
import { escapeHtml } from '../../functions/_shared/email.ts';
import { formatTime, renderTicketEmail, statusLabel, ticketLink } from '../../functions/ticket-notifications/templates.ts';
import { requestBody } from '../../functions/ticket-notifications/input.ts';
import { renderEmail } from '../../functions/send-notifications/templates.ts';

const person = (id: string, email: string | null = `${id}@example.test`): Person => ({ id, email, name: id.toUpperCase() });
const customer = person('customer');
const assignee = person('assignee');
const manager1 = person('manager1');
const manager2 = person('manager2');

function context(kind: TicketEventKind, changes: Partial<TicketEventContext> = {}, actor: string | null = null): TicketEventContext {
  return {
    event: { id: 42, kind, actor_id: actor, created_at: '2026-11-30T10:00:00Z' },
    ticket: {
      id: 't-1', reference: 'SHF-000042', subject: 'Late <maize>', body: 'Where is my order & why?', status: 'open',
      priority: 'normal', category: 'delivery', business_id: 'b-1', business_name: 'Shamba & Sons',
      first_response_due_at: '2026-12-01T10:00:00Z',
    },
    comment: null,
    change: null,
    actor_name: actor ? actor.toUpperCase() : null,
    customer,
    assignee: null,
    new_assignee: null,
    managers: [manager1, manager2],
    ...changes,
  };
}

const who = (ctx: TicketEventContext) => recipientsFor(ctx).map((r) => [r.person.id, r.audience, r.message]);

describe('recipients', () => {
  it('a new ticket: every manager when unassigned, and a receipt to the customer who opened it', () => {
    expect(who(context('ticket_opened', {}, 'customer'))).toEqual([
      ['manager1', 'staff', 'opened_staff'], ['manager2', 'staff', 'opened_staff'], ['customer', 'customer', 'opened_receipt'],
    ]);
  });

  it('a new ticket that is already assigned goes to the assignee only', () => {
    expect(who(context('ticket_opened', { assignee }, 'customer'))).toEqual([
      ['assignee', 'staff', 'opened_staff'], ['customer', 'customer', 'opened_receipt'],
    ]);
  });

  it('a public staff reply goes to the customer, not to its author', () => {
    const comment = { id: 'c', body: 'On it', internal: false, author_id: 'manager1', attachments: 0 };
    expect(who(context('comment_added', { comment }, 'manager1'))).toEqual([['customer', 'customer', 'staff_reply']]);
  });

  it('a customer comment goes to the assignee, or the managers', () => {
    const comment = { id: 'c', body: 'Any news?', internal: false, author_id: 'customer', attachments: 0 };
    expect(who(context('comment_added', { comment, assignee }, 'customer'))).toEqual([['assignee', 'staff', 'customer_comment']]);
    expect(who(context('comment_added', { comment }, 'customer'))).toEqual([
      ['manager1', 'staff', 'customer_comment'], ['manager2', 'staff', 'customer_comment'],
    ]);
  });

  it('an internal note reaches staff only, never the customer, and not its author', () => {
    const comment = { id: 'c', body: 'Reseller', internal: true, author_id: 'manager1', attachments: 0 };
    expect(who(context('comment_added', { comment }, 'manager1'))).toEqual([['manager2', 'staff', 'internal_note']]);
    // Even were the customer listed among the staff, the note would not reach them.
    expect(who(context('comment_added', { comment, managers: [customer, manager2] }, 'manager1'))).toEqual([['manager2', 'staff', 'internal_note']]);
  });

  it('a status change goes to the customer, unless the customer made it', () => {
    const change = { field: 'status', old_value: 'open', new_value: 'resolved' };
    expect(who(context('status_changed', { change }, 'manager1'))).toEqual([['customer', 'customer', 'status_changed']]);
    expect(who(context('status_changed', { change }, null))).toEqual([['customer', 'customer', 'status_changed']]);
    expect(who(context('status_changed', { change: { ...change, new_value: 'closed' } }, 'customer'))).toEqual([]);
  });

  it('an assignment goes to the new assignee, unless they took it themselves', () => {
    expect(who(context('assigned', { new_assignee: assignee }, 'manager1'))).toEqual([['assignee', 'staff', 'assigned']]);
    expect(who(context('assigned', { new_assignee: assignee }, 'assignee'))).toEqual([]);
  });

  it('an SLA warning goes to every manager', () => {
    expect(who(context('sla_warning', { assignee }))).toEqual([['manager1', 'staff', 'sla_warning'], ['manager2', 'staff', 'sla_warning']]);
  });

  it('people without an address (anonymous customers) get nothing; nobody gets two copies', () => {
    expect(who(context('ticket_opened', { customer: person('customer', null), managers: [manager1, manager1] }, 'customer')))
      .toEqual([['manager1', 'staff', 'opened_staff']]);
  });

  it('the dedupe key names the event and the recipient', () => {
    const [recipient] = recipientsFor(context('sla_warning'));
    expect(dedupeKey(42, recipient)).toBe('ticket_event:42:manager1');
  });
});

describe('e-mails', () => {
  const site = { siteUrl: 'https://shop.example/' };

  it('the receipt: reference, subject, escaped HTML, text, and the customer\'s link', () => {
    const ctx = context('ticket_opened', {}, 'customer');
    const receipt = recipientsFor(ctx).find((r) => r.message === 'opened_receipt')!;
    const email = renderTicketEmail(ctx, receipt, site);
    expect(email.subject).toBe('[SHF-000042] We received your request: Late <maize>');
    expect(email.html).toMatch(/^<!doctype html>/);
    expect(email.html).toContain('Late &lt;maize&gt;');
    expect(email.html).not.toContain('<maize>');
    expect(email.html).toContain('href="https://shop.example/tickets/t-1"');
    expect(email.text).toContain('View your ticket: https://shop.example/tickets/t-1');
    expect(email.text).toContain('Shamba & Sons received your ticket SHF-000042');
  });

  it('staff get the ticket text and the business link', () => {
    const ctx = context('ticket_opened', {}, 'customer');
    const email = renderTicketEmail(ctx, recipientsFor(ctx)[0], site);
    expect(email.subject).toBe('[SHF-000042] New ticket: Late <maize>');
    expect(email.text).toContain('> Where is my order & why?');
    expect(email.text).toContain('First response due 2026-12-01 10:00 UTC');
    expect(email.text).toContain('Open the ticket: https://shop.example/business/tickets/t-1');
  });

  it('a staff reply quotes the comment for the customer', () => {
    const comment = { id: 'c', body: 'Shipped today.\nTracking: 123', internal: false, author_id: 'manager1', attachments: 2 };
    const ctx = context('comment_added', { comment }, 'manager1');
    const email = renderTicketEmail(ctx, recipientsFor(ctx)[0], site);
    expect(email.subject).toBe('[SHF-000042] New reply from Shamba & Sons');
    expect(email.text).toContain('> Shipped today.\r\n> Tracking: 123');
    expect(email.text).toContain('2 attachments on the ticket page.');
  });

  it('a status e-mail names the change but not the staff\'s note', () => {
    const ctx = context('status_changed', { change: { field: 'status', old_value: 'in_progress', new_value: 'waiting_on_customer' } }, 'manager1');
    const email = renderTicketEmail(ctx, recipientsFor(ctx)[0], site);
    expect(email.subject).toBe('[SHF-000042] Your ticket is now waiting for your reply');
    expect(email.text).toContain('went from in progress to waiting for your reply');
  });

  it('every message kind renders a subject with the reference, HTML and text', () => {
    const comment = { id: 'c', body: 'x', internal: true, author_id: 'manager1', attachments: 0 };
    const contexts = [
      context('comment_added', { comment }, 'manager1'),
      context('comment_added', { comment: { ...comment, internal: false, author_id: 'customer' } }, 'customer'),
      context('assigned', { new_assignee: assignee, assignee }, 'manager1'),
      context('sla_warning', { assignee }),
    ];
    for (const ctx of contexts) {
      for (const recipient of recipientsFor(ctx)) {
        const email = renderTicketEmail(ctx, recipient, site);
        expect(email.subject.startsWith('[SHF-000042] ')).toBe(true);
        expect(email.html).toContain('https://shop.example/business/tickets/t-1');
        expect(email.text).not.toContain('<p>');
      }
    }
  });

  it('helpers', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(statusLabel('in_progress')).toBe('in progress');
    expect(formatTime('2026-11-30T07:05:09.123Z')).toBe('2026-11-30 07:05 UTC');
    expect(ticketLink('https://x.test//', 'a b', 'customer')).toBe('https://x.test/tickets/a%20b');
  });
});

describe('request body', () => {
  const webhook = { type: 'INSERT', table: 'ticket_events', schema: 'private', record: { id: 7, kind: 'ticket_opened' }, old_record: null };

  it('accepts Supabase\'s webhook payload for ticket_events and the empty sweep body', () => {
    expect(requestBody.safeParse(webhook).success).toBe(true);
    expect(requestBody.safeParse({}).success).toBe(true);
  });

  it.each([
    ['another table', { ...webhook, table: 'tickets' }],
    ['an update', { ...webhook, type: 'UPDATE', old_record: { id: 7 } }],
    ['a record without an id', { ...webhook, record: { kind: 'x' } }],
    ['an id that is not a positive integer', { ...webhook, record: { id: '7' } }],
    ['unknown fields', { ids: [1] }],
  ])('refuses %s', (_label, body) => {
    expect(requestBody.safeParse(body).success).toBe(false);
  });
});

describe('send-notifications and ticket e-mails', () => {
  it('sends a ticket_message as ticket-notifications rendered it', () => {
    const email = { subject: '[SHF-000042] New reply', html: '<p>Hi</p>', text: 'Hi' };
    expect(renderEmail('ticket_message', { ...email, ticket_id: 't-1' }, { siteUrl: 'https://x.test' })).toEqual(email);
  });

  it('refuses a ticket_message without its rendered parts (the message is retried, then dead)', () => {
    expect(() => renderEmail('ticket_message', { subject: 'x', html: '<p>x</p>' }, { siteUrl: 'https://x.test' })).toThrow(/subject, html and text/);
  });
});
