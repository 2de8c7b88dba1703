// Request bodies: JSON parsed once, the same way in every function. A body that is not JSON is
// 400 INVALID_JSON; JSON that does not fit the schema is 400 INVALID_INPUT with every issue.
// zod is imported for its types only (see errors.ts).
import type { z } from 'zod';
import { HttpError, parseInput } from './errors.ts';

export interface JsonOptions {
  /** An empty body reads as this value instead of being refused. */
  whenEmpty?: unknown;
  /** What the body should look like, for the error message (`{"message": "…"}`). */
  example?: string;
}

/** JSON text parsed, or 400 INVALID_JSON. */
export function parseJson(text: string, options: JsonOptions = {}): unknown {
  if (options.whenEmpty !== undefined && text.trim() === '') return options.whenEmpty;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', `The body must be JSON${options.example ? `: ${options.example}` : ''}.`);
  }
}

/** The request's JSON body as `schema` parses it. */
export async function readJsonBody<Schema extends z.ZodType>(req: Request, schema: Schema, options: JsonOptions = {}): Promise<z.output<Schema>> {
  return parseInput(schema, parseJson(await req.text(), options));
}
