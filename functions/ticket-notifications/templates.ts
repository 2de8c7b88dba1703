// The ticket e-mails, as HTML and plain text. Pure: no I/O. Every value from the ticket is user
// data and is escaped in HTML; customers get links to their ticket page, staff to the
// business's. A customer's e-mail never carries internal notes or status-change notes (which
// may be internal): recipients.ts never picks a customer for them, and nothing here reads them
// for the customer.
import type { MessageKind, Recipient, TicketEventContext } from './recipients.ts';
import { type Email, escapeHtml, type TemplateContext } from '../_shared/email.ts';

const STATUS_LABELS: Record<string, string> = {
  open: 'open',
  in_progress: 'in progress',
  waiting_on_customer: 'waiting for your reply',
  resolved: 'resolved',
  closed: 'closed',
};

export function statusLabel(status: string | null | undefined): string {
  return STATUS_LABELS[status ?? ''] ?? String(status ?? '');
}

/** "2026-11-30 14:05 UTC": unambiguous for readers in any time zone. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function ticketLink(siteUrl: string, ticketId: string, audience: Recipient['audience']): string {
  const base = siteUrl.replace(/\/+$/, '');
  return `${base}${audience === 'customer' ? '/tickets/' : '/business/tickets/'}${encodeURIComponent(ticketId)}`;
}

interface Body {
  paragraphs: string[];
  /** The comment or ticket text, quoted as written. */
  quote?: string;
}

function compose(message: MessageKind, context: TicketEventContext, recipient: Recipient): { subject: string; body: Body } {
  const { ticket, comment, change } = context;
  const ref = `[${ticket.reference}]`;
  const actor = context.actor_name ?? 'Someone';
  const attachments = comment?.attachments ? [`${comment.attachments} attachment${comment.attachments === 1 ? '' : 's'} on the ticket page.`] : [];
  switch (message) {
    case 'opened_receipt':
      return {
        subject: `${ref} We received your request: ${ticket.subject}`,
        body: { paragraphs: [`${ticket.business_name} received your ticket ${ticket.reference}, “${ticket.subject}”, and will answer you here.`] },
      };
    case 'opened_staff':
      return {
        subject: `${ref} New ticket: ${ticket.subject}`,
        body: {
          paragraphs: [`${context.customer.name} opened ${ticket.reference} (${ticket.category}, ${ticket.priority} priority). First response due ${formatTime(ticket.first_response_due_at)}.`],
          quote: ticket.body,
        },
      };
    case 'staff_reply':
      return {
        subject: `${ref} New reply from ${ticket.business_name}`,
        body: { paragraphs: [`${ticket.business_name} replied to your ticket “${ticket.subject}”:`, ...attachments], quote: comment?.body },
      };
    case 'customer_comment':
      return {
        subject: `${ref} ${context.customer.name} replied: ${ticket.subject}`,
        body: { paragraphs: [`${context.customer.name} replied on ${ticket.reference}:`, ...attachments], quote: comment?.body },
      };
    case 'internal_note':
      return {
        subject: `${ref} Internal note from ${actor}`,
        body: { paragraphs: [`${actor} added an internal note on ${ticket.reference} (not visible to the customer):`, ...attachments], quote: comment?.body },
      };
    case 'status_changed':
      return {
        subject: `${ref} Your ticket is now ${statusLabel(change?.new_value)}`,
        body: {
          paragraphs: [
            `Your ticket “${ticket.subject}” with ${ticket.business_name} went from ${statusLabel(change?.old_value)} to ${statusLabel(change?.new_value)}.`,
            ...(change?.new_value === 'resolved' ? ['Reply within 7 days if it is not solved, or rate the help you got.'] : []),
          ],
        },
      };
    case 'assigned':
      return {
        subject: `${ref} Assigned to you: ${ticket.subject}`,
        body: {
          paragraphs: [`${actor} assigned ${ticket.reference} (${ticket.priority} priority) to you. First response due ${formatTime(ticket.first_response_due_at)}.`],
        },
      };
    case 'sla_warning':
      return {
        subject: `${ref} First response due ${formatTime(ticket.first_response_due_at)}`,
        body: {
          paragraphs: [
            `${ticket.reference} (${ticket.priority} priority), “${ticket.subject}”, has no reply yet and its first response is due ${formatTime(ticket.first_response_due_at)}.`,
            recipient.person.id === context.assignee?.id ? 'It is assigned to you.' : context.assignee ? `It is assigned to ${context.assignee.name}.` : 'Nobody is assigned yet.',
          ],
        },
      };
  }
}

export function renderTicketEmail(context: TicketEventContext, recipient: Recipient, template: TemplateContext): Email {
  const { subject, body } = compose(recipient.message, context, recipient);
  const greeting = `Hello ${recipient.person.name || 'there'},`;
  const link = ticketLink(template.siteUrl, context.ticket.id, recipient.audience);
  const label = recipient.audience === 'customer' ? 'View your ticket' : 'Open the ticket';
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"><title>', escapeHtml(subject), '</title></head>',
    '<body style="font-family:sans-serif;color:#222">',
    `<p>${escapeHtml(greeting)}</p>`,
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    body.quote ? `<blockquote style="white-space:pre-wrap;border-left:3px solid #ccc;padding-left:8px">${escapeHtml(body.quote)}</blockquote>` : '',
    `<p><a href="${escapeHtml(link)}">${escapeHtml(label)}</a></p>`,
    `<p style="color:#777">${escapeHtml(context.ticket.reference)} · ${escapeHtml(context.ticket.business_name)}</p>`,
    '<p>— Sokoni</p></body></html>',
  ].join('');
  const text = [
    greeting,
    '',
    ...body.paragraphs.flatMap((p) => [p, '']),
    ...(body.quote ? [...body.quote.split(/\r?\n/).map((line) => `> ${line}`), ''] : []),
    `${label}: ${link}`,
    '',
    `${context.ticket.reference} · ${context.ticket.business_name}`,
    '— Sokoni',
  ].join('\r\n');
  return { subject, html, text };
}
