// The SMS for each customer order update, in Kiswahili or English (the profile's language).
// Short (one 160-character segment for usual names) and plain: no links, no HTML. Pure.
import type { Json } from '../_shared/database.types.ts';
import { formatMoney, type NotificationKind, orderReference } from './templates.ts';

export type SmsLanguage = 'sw' | 'en';

type Payload = Record<string, Json | undefined>;

const TEXTS: Record<SmsLanguage, Partial<Record<NotificationKind, (order: string, shop: string, total: string) => string>>> = {
  sw: {
    order_placed_customer: (o, s, t) => `Sokoni: Oda ${o} kwa ${s} (${t}) imepokelewa. Asante!`,
    order_paid: (o, s, t) => `Sokoni: Malipo ya ${t} ya oda ${o} kwa ${s} yamepokelewa.`,
    order_shipped: (o, s) => `Sokoni: Oda ${o} kutoka ${s} imesafirishwa.`,
    order_delivered: (o, s) => `Sokoni: Oda ${o} kutoka ${s} imefikishwa. Asante kwa kununua!`,
    order_cancelled: (o, s) => `Sokoni: Oda ${o} kwa ${s} imeghairiwa.`,
    order_refunded: (o, s, t) => `Sokoni: Oda ${o} kwa ${s} imerejeshewa pesa (${t}).`,
  },
  en: {
    order_placed_customer: (o, s, t) => `Sokoni: order ${o} with ${s} (${t}) received. Thank you!`,
    order_paid: (o, s, t) => `Sokoni: payment of ${t} for order ${o} with ${s} received.`,
    order_shipped: (o, s) => `Sokoni: order ${o} from ${s} has been shipped.`,
    order_delivered: (o, s) => `Sokoni: order ${o} from ${s} has been delivered. Thank you!`,
    order_cancelled: (o, s) => `Sokoni: order ${o} with ${s} was cancelled.`,
    order_refunded: (o, s, t) => `Sokoni: order ${o} with ${s} was refunded (${t}).`,
  },
};

/** The SMS text of a notification; throws for a kind that has none (it is then dead-lettered). */
export function renderSms(kind: NotificationKind, payload: Payload): string {
  const language: SmsLanguage = payload.language === 'en' ? 'en' : 'sw';
  const text = TEXTS[language][kind];
  if (!text) throw new Error(`no SMS template for ${kind}`);
  // Names are the business's own; long ones are cut so the message stays one segment.
  const shop = String(payload.business_name ?? 'Sokoni').replace(/\s+/g, ' ').trim().slice(0, 40);
  return text(orderReference(payload.order_id), shop, formatMoney(payload.total, payload.currency));
}
