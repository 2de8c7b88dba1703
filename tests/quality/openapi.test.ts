// docs/openapi.json is what `npm run gen:openapi` makes of the functions today, and it covers
// every function, every error code each can answer, and their request schemas.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, errorCodesOf, OPENAPI_FILE } from '../../scripts/lib/openapi.ts';
import { functionConfigs } from '../../scripts/lib/project-config.ts';

type Operation = {
  security: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: { allOf?: Array<{ properties?: { code?: { enum: string[] } } }> } }> }>;
};

describe('docs/openapi.json', async () => {
  const generated = await buildOpenApi();
  const document = JSON.parse(generated) as { openapi: string; paths: Record<string, Record<string, Operation>> };

  it('is current: regenerate it with `npm run gen:openapi` after changing a function', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(generated);
  });

  it('is OpenAPI 3.1 and describes every function in config.toml', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set(Object.keys(document.paths).map((p) => p.split('/')[1]));
    expect([...documented].sort()).toEqual(functionConfigs().map((fn) => fn.name).sort());
  });

  it('lists every error code a function throws, under its status', () => {
    const listed = (name: string, status: number) => Object.entries(document.paths)
      .filter(([p]) => p.split('/')[1] === name)
      .flatMap(([, ops]) => Object.values(ops))
      .flatMap((op) => op.responses[String(status)]?.content?.['application/json']?.schema.allOf?.[1]?.properties?.code?.enum ?? []);
    for (const fn of functionConfigs()) {
      for (const [status, codes] of errorCodesOf(fn.name)) expect(listed(fn.name, status)).toEqual(expect.arrayContaining(codes));
    }
    expect(listed('checkout', 503)).toContain('PAYMENTS_NOT_CONFIGURED');
    expect(listed('chatbot', 409)).toEqual(['IDEMPOTENCY_KEY_REUSED', 'MESSAGE_IN_PROGRESS']);
  });

  it('request bodies are the functions\' own zod schemas (strict where the function is strict)', () => {
    const chat = document.paths['/chatbot'].post.requestBody!.content['application/json'].schema as {
      properties: Record<string, unknown>; required: string[]; additionalProperties: boolean;
    };
    expect(Object.keys(chat.properties).sort()).toEqual(['business_id', 'client_id', 'message', 'session_id', 'visitor']);
    expect(chat.required).toEqual(['message']);
    expect(chat.additionalProperties).toBe(false);
    expect(document.paths['/checkout'].post.requestBody!.content['application/json'].schema).toMatchObject({
      required: ['shipping_address', 'payment_method'],
      properties: { payment_method: { enum: ['manual', 'stripe', 'clickpesa', 'mpesa'] } },
    });
  });

  it('says who may call: user tokens, the service key, or nobody in particular', () => {
    expect(document.paths['/checkout'].post.security).toEqual([{ userToken: [] }]);
    expect(document.paths['/send-notifications'].post.security).toEqual([{ serviceRoleKey: [] }]);
    expect(document.paths['/health'].get.security).toEqual([]);
  });
});
