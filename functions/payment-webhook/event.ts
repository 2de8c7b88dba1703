// The part of a Stripe event the webhook reads before storing it whole.
import { z } from 'zod';

export const eventSchema = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
