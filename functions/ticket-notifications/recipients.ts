// Who hears about a ticket event, and as whom (customer or staff). Pure: the context comes from
// private.ticket_event_context, so vitest checks every rule directly.
//
// Rules: a new ticket goes to its assignee (or, unassigned, every tickets.manage holder) and a
// receipt to the customer; a public staff reply to the customer; a customer comment and an
// internal note to the assignee (or the managers); a status change to the customer; an
// assignment to the new assignee; an SLA warning to the managers. The author of a change is
// not e-mailed about it (the receipt excepted), people without an address get nothing, and an
// internal note never goes to the ticket's customer.

export type TicketEventKind = 'ticket_opened' | 'comment_added' | 'status_changed' | 'assigned' | 'sla_warning';

export interface Person {
  id: string;
  email: string | null;
  name: string;
}

export interface TicketEventContext {
  event: { id: number; kind: TicketEventKind; actor_id: string | null; created_at: string };
  ticket: {
    id: string;
    reference: string;
    subject: string;
    body: string;
    status: string;
    priority: string;
    category: string;
    business_id: string;
    business_name: string;
    first_response_due_at: string;
  };
  comment: { id: string; body: string; internal: boolean; author_id: string | null; attachments: number } | null;
  change: { field: string; old_value: string | null; new_value: string | null } | null;
  actor_name: string | null;
  customer: Person;
  assignee: Person | null;
  /** The person an assignment event named (whoever holds the ticket now). */
  new_assignee: Person | null;
  managers: Person[];
}

/** Which e-mail a recipient gets. */
export type MessageKind =
  | 'opened_receipt'
  | 'opened_staff'
  | 'staff_reply'
  | 'customer_comment'
  | 'internal_note'
  | 'status_changed'
  | 'assigned'
  | 'sla_warning';

export type Audience = 'customer' | 'staff';

export interface Recipient {
  person: Person & { email: string };
  audience: Audience;
  message: MessageKind;
}

export function recipientsFor(context: TicketEventContext): Recipient[] {
  const { event, comment, customer } = context;
  const staff = context.assignee ? [context.assignee] : context.managers;
  const wanted: Array<{ person: Person | null; audience: Audience; message: MessageKind }> = [];
  const toStaff = (people: Person[], message: MessageKind) =>
    people.forEach((person) => wanted.push({ person, audience: 'staff', message }));
  const toCustomer = (message: MessageKind) => wanted.push({ person: customer, audience: 'customer', message });

  switch (event.kind) {
    case 'ticket_opened':
      toStaff(staff, 'opened_staff');
      toCustomer('opened_receipt');
      break;
    case 'comment_added':
      if (!comment) break;
      if (comment.internal) toStaff(staff, 'internal_note');
      else if (comment.author_id === customer.id) toStaff(staff, 'customer_comment');
      else toCustomer('staff_reply');
      break;
    case 'status_changed':
      toCustomer('status_changed');
      break;
    case 'assigned':
      if (context.new_assignee) toStaff([context.new_assignee], 'assigned');
      break;
    case 'sla_warning':
      toStaff(context.managers, 'sla_warning');
      break;
  }

  const seen = new Set<string>();
  const recipients: Recipient[] = [];
  for (const { person, audience, message } of wanted) {
    if (!person?.email || seen.has(person.id)) continue;
    // The author is not told about their own change; the receipt is the exception.
    if (person.id === event.actor_id && message !== 'opened_receipt') continue;
    // Internal notes reach staff only, even if the customer were somehow also staff.
    if (message === 'internal_note' && person.id === customer.id) continue;
    seen.add(person.id);
    recipients.push({ person: { ...person, email: person.email }, audience, message });
  }
  return recipients;
}

/** One e-mail per (event, recipient), however often the event is processed. */
export function dedupeKey(eventId: number, recipient: Recipient): string {
  return `ticket_event:${eventId}:${recipient.person.id}`;
}
