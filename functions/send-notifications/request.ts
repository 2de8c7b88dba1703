// What POST /functions/v1/send-notifications accepts: the ids the database webhook just queued,
// or nothing (the periodic sweep: whatever is due).
import { z } from 'zod';

export const sendRequestSchema = z.strictObject({
  ids: z.array(z.uuid()).min(1).max(500).optional(),
});
