// What the function accepts: Supabase's database webhook payload for a new ticket event, or an
// empty body (the periodic sweep).
import { z } from 'zod';

export const webhookPayload = z.object({
  type: z.literal('INSERT'),
  table: z.literal('ticket_events'),
  schema: z.literal('private'),
  // Only the id is used: the event itself is loaded from the database.
  record: z.looseObject({ id: z.number().int().positive() }),
  old_record: z.null(),
}).strict();

export const sweepRequest = z.object({}).strict();

export const requestBody = z.union([webhookPayload, sweepRequest]);

export type RequestBody = z.output<typeof requestBody>;
