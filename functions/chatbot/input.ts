// What POST /functions/v1/chatbot accepts.
import { z } from 'zod';
import { idempotencyKeySchema } from '../_shared/idempotency.ts';

export const MAX_MESSAGE_CHARS = 2000;

const optionalText = (max: number) => z.string().trim().min(1).max(max).optional();

export const visitorSchema = z.strictObject({
  name: optionalText(200),
  email: z.string().trim().max(320).email().optional(),
  phone: z.string().trim().regex(/^\+?[0-9 ()-]{6,32}$/, 'Give a phone number of 6 to 32 digits.').optional(),
});

export const chatRequestSchema = z.strictObject({
  session_id: z.string().uuid().optional(),
  message: z.string().trim().min(1, 'Write a message.').max(MAX_MESSAGE_CHARS, `Keep the message under ${MAX_MESSAGE_CHARS} characters.`),
  business_id: z.string().uuid().optional(),
  visitor: visitorSchema.optional(),
  /** The idempotency key (or send it as the Idempotency-Key header): a retry is posted once. */
  client_id: idempotencyKeySchema.optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type Visitor = z.infer<typeof visitorSchema>;
