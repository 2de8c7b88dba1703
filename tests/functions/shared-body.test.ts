// The one JSON-body reader every function uses: not JSON is INVALID_JSON, JSON that does not fit
// is INVALID_INPUT with every issue, an empty body is refused unless the function allows it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJson, readJsonBody } from '../../functions/_shared/body.ts';
import { HttpError } from '../../functions/_shared/errors.ts';

const schema = z.strictObject({ message: z.string().min(1), count: z.number().int().optional() });
const post = (body: string) => new Request('http://local/fn', { method: 'POST', body });

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('readJsonBody', () => {
  it('returns the body as the schema parses it', async () => {
    expect(await readJsonBody(post('{"message":"hello","count":2}'), schema)).toEqual({ message: 'hello', count: 2 });
  });

  it.each(['{oops', '', 'undefined'])('a body that is not JSON (%j) is 400 INVALID_JSON', async (body) => {
    expect(await failure(readJsonBody(post(body), schema, { example: '{"message": "…"}' }))).toMatchObject({
      status: 400, code: 'INVALID_JSON', message: 'The body must be JSON: {"message": "…"}.',
    });
  });

  it('JSON that does not fit is 400 INVALID_INPUT naming each field', async () => {
    const error = await failure(readJsonBody(post('{"message":"","count":1.5,"price":1}'), schema));
    expect(error).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect((error.details as Array<{ path: string }>).map((issue) => issue.path).sort()).toEqual(['', 'count', 'message']);
  });

  it('an empty body reads as `whenEmpty` where the function allows one', async () => {
    expect(await readJsonBody(post('  '), z.strictObject({ ids: z.array(z.string()).optional() }), { whenEmpty: {} })).toEqual({});
    expect(parseJson('', { whenEmpty: null })).toBeNull();
  });
});
