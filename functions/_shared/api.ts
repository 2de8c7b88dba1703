// How a function describes its endpoints for docs/openapi.json (`npm run gen:openapi`): paths,
// methods, who may call, the request (bodies as the function's own zod schemas), and what
// `data` holds on success. The error codes are read from the function's source, not listed here.
// Each function's description lives in its own api.ts, never imported by the function itself.
import type { z } from 'zod';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'query' | 'header' | 'path';
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface Endpoint {
  method: 'get' | 'post';
  /** Under /functions/v1, e.g. /checkout. */
  path: string;
  summary: string;
  description?: string;
  /**
   * user: a signed-in user's access token (anonymous sign-ins included); service_role: the
   * service key; public: any project key, or none where verify_jwt is off; stripe: Stripe's
   * Stripe-Signature header; clickpesa: the body's checksum; mpesa: the secret callback path.
   */
  caller: 'user' | 'service_role' | 'public' | 'stripe' | 'clickpesa' | 'mpesa';
  parameters?: Parameter[];
  /** A JSON body, validated by this zod schema. */
  body?: { schema: z.ZodType; required: boolean; description?: string };
  /** Successful answers by status: the envelope's `data`, or another content type. */
  responses: Record<string, { description: string; data?: JsonSchema; content?: Record<string, { schema: JsonSchema }> }>;
}

export const uuid: JsonSchema = { type: 'string', format: 'uuid' };
