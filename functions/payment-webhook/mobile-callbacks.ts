// The mobile-money callbacks as the webhook reads them. ClickPesa signs its body with a checksum
// (clickpesa.ts); Daraja signs nothing, so its body is validated strictly: unknown fields,
// missing fields or a success without its amount and receipt are refused before anything is stored.
import { z } from 'zod';

const amount = z.union([z.string().regex(/^\d{1,12}(\.\d{1,2})?$/), z.number().nonnegative()]);

/** ClickPesa's webhook, current (`event`, `data.id`, `collectedAmount`) and older (`eventType`, `paymentId`, `amount`) shapes. */
export const clickPesaCallbackSchema = z.object({
  event: z.string().max(100).optional(),
  eventType: z.string().max(100).optional(),
  checksum: z.string().regex(/^[0-9a-fA-F]{64}$/),
  checksumMethod: z.string().max(40).optional(),
  data: z.looseObject({
    id: z.string().min(1).max(100).optional(),
    paymentId: z.string().min(1).max(100).optional(),
    status: z.string().max(40).optional(),
    orderReference: z.string().regex(/^[A-Za-z0-9]{1,100}$/, 'alphanumeric'),
    collectedAmount: amount.optional(),
    amount: amount.optional(),
    collectedCurrency: z.string().regex(/^[A-Z]{3}$/).optional(),
    currency: z.string().regex(/^[A-Z]{3}$/).optional(),
    paymentReference: z.string().max(100).nullish(),
  }).refine((data) => data.id !== undefined || data.paymentId !== undefined, { message: 'data.id or data.paymentId is required' }),
}).loose();

export type ClickPesaCallback = z.infer<typeof clickPesaCallbackSchema>;

export interface MobileClaim {
  eventId: string;
  eventType: string;
  reference: string;
  /** The amount the callback says was paid (successes only). */
  amount: string | null;
  currency: string | null;
  receipt: string | null;
}

export function clickPesaClaim(callback: ClickPesaCallback): MobileClaim {
  const { data } = callback;
  const eventType = callback.event ?? callback.eventType ?? 'PAYMENT';
  const succeeded = ['SUCCESS', 'SETTLED'].includes(String(data.status).toUpperCase()) || eventType === 'PAYMENT RECEIVED';
  const paid = data.collectedAmount ?? data.amount;
  return {
    eventId: (data.id ?? data.paymentId)!,
    eventType,
    reference: data.orderReference,
    amount: succeeded && paid !== undefined ? String(paid) : null,
    currency: succeeded ? (data.collectedCurrency ?? data.currency ?? null) : null,
    receipt: data.paymentReference ?? null,
  };
}

const item = z.strictObject({ Name: z.string().min(1).max(50), Value: z.union([z.string().max(100), z.number()]).optional() });

/** Daraja's STK callback, strictly. */
export const mpesaCallbackSchema = z.strictObject({
  Body: z.strictObject({
    stkCallback: z.strictObject({
      MerchantRequestID: z.string().min(1).max(100),
      CheckoutRequestID: z.string().regex(/^[A-Za-z0-9_]{1,100}$/),
      ResultCode: z.number().int().nonnegative(),
      ResultDesc: z.string().max(500),
      CallbackMetadata: z.strictObject({ Item: z.array(item).max(20) }).optional(),
    }),
  }),
}).superRefine((body, ctx) => {
  const callback = body.Body.stkCallback;
  if (callback.ResultCode !== 0) return;
  const names = new Map((callback.CallbackMetadata?.Item ?? []).map((entry) => [entry.Name, entry.Value]));
  const paid = names.get('Amount');
  if (typeof paid !== 'number' || !Number.isInteger(paid) || paid <= 0) {
    ctx.addIssue({ code: 'custom', path: ['Body', 'stkCallback', 'CallbackMetadata'], message: 'a successful callback carries its whole-shilling Amount' });
  }
  if (typeof names.get('MpesaReceiptNumber') !== 'string') {
    ctx.addIssue({ code: 'custom', path: ['Body', 'stkCallback', 'CallbackMetadata'], message: 'a successful callback carries its MpesaReceiptNumber' });
  }
});

export type MpesaCallback = z.infer<typeof mpesaCallbackSchema>;

export function mpesaClaim(body: MpesaCallback): MobileClaim & { resultCode: number } {
  const callback = body.Body.stkCallback;
  const names = new Map((callback.CallbackMetadata?.Item ?? []).map((entry) => [entry.Name, entry.Value]));
  const succeeded = callback.ResultCode === 0;
  return {
    eventId: callback.CheckoutRequestID,
    eventType: `stk result ${callback.ResultCode}`,
    reference: callback.CheckoutRequestID,
    amount: succeeded ? String(names.get('Amount')) : null,
    currency: succeeded ? 'KES' : null,
    receipt: succeeded ? String(names.get('MpesaReceiptNumber')) : null,
    resultCode: callback.ResultCode,
  };
}
