// The e-mail for each notification kind, as HTML and plain text. Pure: no I/O, no Deno, so
// vitest checks it directly. Everything from the payload is user data and is escaped in HTML.
import type { Database, Json } from '../_shared/database.types.ts';
import { type Email, escapeHtml, type TemplateContext } from '../_shared/email.ts';

export type NotificationKind = Database['public']['Enums']['notification_kind'];

type Payload = Record<string, Json | undefined>;

interface OrderLine {
  product_name: string;
  unit: string;
  quantity: number;
  unit_price: number | string;
  line_total: number | string;
}

export function formatMoney(amount: unknown, currency: unknown): string {
  const value = Number(amount);
  return `${String(currency ?? '')} ${Number.isFinite(value) ? value.toFixed(2) : '?'}`.trim();
}

/** The short reference customers and staff quote: the first 8 characters of the order id. */
export function orderReference(orderId: unknown): string {
  return String(orderId ?? '').slice(0, 8).toUpperCase();
}

function text(payload: Payload, key: string): string {
  const value = payload[key];
  return value === null || value === undefined ? '' : String(value);
}

function link(siteUrl: string, path: string): string {
  return `${siteUrl.replace(/\/+$/, '')}${path}`;
}

/** A paragraph list rendered twice: escaped HTML and plain text. */
interface Body {
  greeting: string;
  paragraphs: string[];
  lines?: OrderLine[];
  total?: string;
  action?: { label: string; url: string };
}

function renderHtml(subject: string, body: Body): string {
  const rows = (body.lines ?? []).map((line) =>
    `<tr><td>${escapeHtml(line.product_name)}</td><td>${escapeHtml(line.quantity)} × ${escapeHtml(line.unit)}</td>` +
    `<td style="text-align:right">${escapeHtml(Number(line.line_total).toFixed(2))}</td></tr>`
  ).join('');
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>', escapeHtml(subject), '</title></head>',
    '<body style="font-family:sans-serif;color:#222">',
    `<p>${escapeHtml(body.greeting)}</p>`,
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    rows ? `<table cellpadding="4"><tbody>${rows}</tbody></table>` : '',
    body.total ? `<p><strong>Total: ${escapeHtml(body.total)}</strong></p>` : '',
    body.action ? `<p><a href="${escapeHtml(body.action.url)}">${escapeHtml(body.action.label)}</a></p>` : '',
    '<p>— Sokoni</p></body></html>',
  ].join('');
}

function renderText(body: Body): string {
  const lines = (body.lines ?? []).map((line) =>
    `- ${line.product_name}: ${line.quantity} × ${line.unit} = ${Number(line.line_total).toFixed(2)}`
  );
  return [
    body.greeting,
    '',
    ...body.paragraphs.flatMap((p) => [p, '']),
    ...(lines.length ? [...lines, ''] : []),
    ...(body.total ? [`Total: ${body.total}`, ''] : []),
    ...(body.action ? [`${body.action.label}: ${body.action.url}`, ''] : []),
    '— Sokoni',
  ].join('\r\n');
}

function orderBody(payload: Payload, context: TemplateContext, greeting: string, paragraphs: string[], forBusiness = false): Body {
  const id = text(payload, 'order_id');
  return {
    greeting,
    paragraphs,
    lines: Array.isArray(payload.items) ? payload.items as unknown as OrderLine[] : [],
    total: formatMoney(payload.total, payload.currency),
    action: {
      label: forBusiness ? 'Open the order' : 'View your order',
      url: link(context.siteUrl, forBusiness ? `/business/orders/${encodeURIComponent(id)}` : `/orders/${encodeURIComponent(id)}`),
    },
  };
}

function compose(kind: Exclude<NotificationKind, 'ticket_message'>, payload: Payload, context: TemplateContext): { subject: string; body: Body } {
  const ref = orderReference(payload.order_id);
  const business = text(payload, 'business_name');
  const customerGreeting = `Hello ${text(payload, 'customer_name') || 'there'},`;
  switch (kind) {
    case 'order_placed_customer':
      return {
        subject: `Your order ${ref} from ${business}`,
        body: orderBody(payload, context, customerGreeting, [`Thank you for your order ${ref} from ${business}. We will let you know when it moves along.`]),
      };
    case 'order_placed_business':
      return {
        subject: `New order ${ref}`,
        body: orderBody(payload, context, `Hello ${business},`, [`${text(payload, 'customer_name') || 'A customer'} placed order ${ref}.`], true),
      };
    case 'order_paid':
      return { subject: `Payment received for order ${ref}`, body: orderBody(payload, context, customerGreeting, [`We received the payment for your order ${ref} from ${business}.`]) };
    case 'order_shipped':
      return { subject: `Order ${ref} has shipped`, body: orderBody(payload, context, customerGreeting, [`${business} has shipped your order ${ref}.`]) };
    case 'order_delivered':
      return { subject: `Order ${ref} was delivered`, body: orderBody(payload, context, customerGreeting, [`Your order ${ref} from ${business} was delivered. Enjoy!`]) };
    case 'order_cancelled':
      return { subject: `Order ${ref} was cancelled`, body: orderBody(payload, context, customerGreeting, [`Your order ${ref} from ${business} was cancelled. Any payment taken will be returned.`]) };
    case 'order_refunded':
      return { subject: `Order ${ref} was refunded`, body: orderBody(payload, context, customerGreeting, [`${business} refunded your order ${ref}.`]) };
    case 'product_approved':
    case 'product_rejected': {
      const approved = kind === 'product_approved';
      const product = text(payload, 'product_name');
      const reason = text(payload, 'rejection_reason');
      return {
        subject: approved ? `“${product}” is approved` : `“${product}” needs changes`,
        body: {
          greeting: `Hello ${text(payload, 'submitter_name') || 'there'},`,
          paragraphs: approved
            ? [`${product} is approved and now visible to customers of ${business}.`]
            : [`${product} was not approved for ${business}.`, ...(reason ? [`Reason: ${reason}`] : [])],
          action: { label: 'Open the product', url: link(context.siteUrl, `/business/products/${encodeURIComponent(text(payload, 'product_id'))}`) },
        },
      };
    }
    case 'invitation_created':
      return {
        subject: `Join ${business} on Sokoni`,
        body: {
          greeting: 'Hello,',
          paragraphs: [
            `${text(payload, 'inviter_name') || 'Someone'} invited you to join ${business} as ${text(payload, 'role')}.`,
            `The invitation expires on ${text(payload, 'expires_at').slice(0, 10)}.`,
          ],
          action: { label: 'Accept the invitation', url: link(context.siteUrl, `/invitations/accept?token=${encodeURIComponent(text(payload, 'token'))}`) },
        },
      };
    case 'chat_unread': {
      // Never quotes a message: the mailbox is not the conversation, and the message may since
      // have been edited or deleted.
      const count = Number(payload.unread_count) || 1;
      const from = text(payload, 'from_name') || business;
      const id = encodeURIComponent(text(payload, 'conversation_id'));
      return {
        subject: `${count === 1 ? 'A new message' : `${count} new messages`} from ${from}`,
        body: {
          greeting: `Hello ${text(payload, 'recipient_name') || 'there'},`,
          paragraphs: [`${from} sent you ${count === 1 ? 'a message' : `${count} messages`} you have not read yet.`],
          action: payload.for_business === true
            ? { label: 'Open the conversation', url: link(context.siteUrl, `/business/${encodeURIComponent(text(payload, 'business_id'))}/chats/${id}`) }
            : { label: 'Open the conversation', url: link(context.siteUrl, `/chats/${id}`) },
        },
      };
    }
  }
}

/** Ticket e-mails arrive rendered by ticket-notifications, which alone knows who may read what. */
function prerendered(payload: Payload): Email {
  const { subject, html, text: plain } = payload;
  if (typeof subject !== 'string' || typeof html !== 'string' || typeof plain !== 'string' || !subject) {
    throw new Error('a ticket_message payload needs subject, html and text');
  }
  return { subject, html, text: plain };
}

export function renderEmail(kind: NotificationKind, payload: Payload, context: TemplateContext): Email {
  if (kind === 'ticket_message') return prerendered(payload);
  const { subject, body } = compose(kind, payload, context);
  return { subject, html: renderHtml(subject, body), text: renderText(body) };
}
