// POST /functions/v1/chatbot served by Deno against the test database and a fake Gemini: what
// reaches the prompt, what is stored, and how failures and streaming look to the client.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REFUSAL } from '../../functions/chatbot/prompt.ts';
import { parseSse } from '../../functions/chatbot/sse.ts';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { superuser } from '../support/db.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { createBusiness, createCustomer, type BusinessFixture } from '../support/fixtures.ts';
import { startFunctions, type RunningFunctions } from '../support/functions.ts';
import { createUser, type TestUser } from '../support/users.ts';

let gemini: FakeGemini;
let functions: RunningFunctions;
let unconfigured: RunningFunctions;
let shop: BusinessFixture;
let rival: BusinessFixture;
const ids: Record<string, string> = {};

interface Answer {
  status: number;
  headers: Headers;
  body: { status: string; code?: string; message: string; data?: { session_id: string; reply: string; sources: Array<{ type: string; id: string; title: string }> }; details?: { session_id?: string } };
}

async function chat(user: TestUser | string, body: unknown, server = functions, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await server.call('chatbot', {
    method: 'POST',
    jwt: typeof user === 'string' ? user : user.jwt,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

async function product(business: string, name: string, status: string, price: number, description: string, stock = 40): Promise<string> {
  const [row] = await superuser()`
    insert into public.products (business_id, name, description, price, unit, stock_quantity, status)
    values (${business}, ${name}, ${description}, ${price}, 'kg', ${stock}, ${status}) returning id`;
  return row.id;
}

const messagesOf = (sessionId: string) => superuser()`
  select role, content, model, input_tokens, output_tokens, finish_reason, error
  from public.chatbot_messages where session_id = ${sessionId} order by created_at`;

beforeAll(async () => {
  gemini = await startFakeGemini();
  [functions, unconfigured, shop, rival] = await Promise.all([
    startFunctions({
      GEMINI_API_KEY: 'test-gemini-key', GEMINI_API_BASE: gemini.url, CHATBOT_RETRY_BASE_MS: '20', CHATBOT_TIMEOUT_MS: '2000',
    }),
    startFunctions({ GEMINI_API_KEY: '' }),
    createBusiness('kilimo'),
    createBusiness('jirani'),
  ]);
  ids.approved = await product(shop.id, 'Tumbili maize flour', 'approved', 135, 'Sifted maize flour, 2 kg packs.');
  ids.soldOut = await product(shop.id, 'Tumbili bean seed', 'approved', 240, 'Rosecoco beans.', 0);
  ids.draft = await product(shop.id, 'Tumbili secret fertiliser', 'draft', 777, 'DRAFTONLY formula.');
  ids.rivalPending = await product(rival.id, 'Tumbili rival maize', 'pending_approval', 888, 'PENDINGONLY blend.');
  ids.rivalApproved = await product(rival.id, 'Tumbili rival honey', 'approved', 950, 'Acacia honey.');
  const [article] = await superuser()`
    insert into public.knowledge_articles (title, body, tags, language)
    values ('Storing Tumbili maize', 'Dry maize to 13% moisture before storing it in hermetic bags.', '{maize,storage}', 'en') returning id`;
  ids.article = article.id;
  await superuser()`insert into public.knowledge_articles (business_id, title, body)
                    values (${rival.id}, 'Tumbili rival secrets', 'RIVALARTICLE only for the rival''s assistant.')`;
});

afterAll(async () => {
  await Promise.all([functions?.stop(), unconfigured?.stop(), gemini?.close()]);
});

beforeEach(() => gemini.reset());

describe('answers grounded on what the caller may see', () => {
  it('a visitor asks a store\'s assistant and gets the model\'s reply, with sources, both turns stored', async () => {
    const visitor = await createUser({ anonymous: true });
    gemini.script({ reply: 'Tumbili maize flour costs KES 135 per kg.', promptTokens: 321, outputTokens: 12 });
    const answer = await chat(visitor, { message: 'How much is Tumbili maize flour?', business_id: shop.id, visitor: { name: 'Juma' } });
    expect(answer.status).toBe(200);
    expect(answer.body.data!.reply).toBe('Tumbili maize flour costs KES 135 per kg.');
    expect(answer.body.data!.sources).toContainEqual({ type: 'product', id: ids.approved, title: 'Tumbili maize flour' });
    expect(answer.body.data!.sources).toContainEqual({ type: 'knowledge', id: ids.article, title: 'Storing Tumbili maize' });
    const [request] = gemini.requests;
    // The client pins v1beta (gemini.ts), where the SDK's own default is v1; the fake serves only v1beta.
    expect(request).toMatchObject({ version: 'v1beta', model: 'gemini-3.5-flash', stream: false, apiKey: 'test-gemini-key' });
    const instruction = request.body.systemInstruction!.parts[0].text!;
    expect(instruction).toContain('Answer only from the facts');
    expect(instruction).toContain('- Tumbili maize flour: 135.00 KES per kg; in stock (40 kg). Sifted maize flour, 2 kg packs.');
    expect(instruction).toContain('- Tumbili bean seed: 240.00 KES per kg; out of stock.');
    expect(instruction).toContain('Dry maize to 13% moisture');
    expect(request.body.contents).toEqual([{ role: 'user', parts: [{ text: 'How much is Tumbili maize flour?' }] }]);
    const session = answer.body.data!.session_id;
    const [row] = await superuser()`select user_id, business_id, visitor_name from public.chatbot_sessions where id = ${session}`;
    expect(row).toEqual({ user_id: visitor.id, business_id: shop.id, visitor_name: 'Juma' });
    expect(await messagesOf(session)).toEqual([
      { role: 'user', content: 'How much is Tumbili maize flour?', model: null, input_tokens: null, output_tokens: null, finish_reason: null, error: null },
      { role: 'assistant', content: 'Tumbili maize flour costs KES 135 per kg.', model: 'gemini-3.5-flash', input_tokens: 321, output_tokens: 12, finish_reason: 'STOP', error: null },
    ]);
  });

  it.each([
    ['a customer', () => createCustomer('curious')],
    ['a member of the draft\'s own business', () => Promise.resolve(shop.editor)],
    ['the rival\'s viewer, asking the marketplace assistant', () => Promise.resolve(rival.viewer)],
  ])('a draft product or another business\'s unapproved product never reaches the prompt, asked by %s', async (_, who) => {
    const user = await who();
    const asked = await chat(user, { message: 'Tell me about Tumbili secret fertiliser and Tumbili rival maize, DRAFTONLY PENDINGONLY' });
    expect(asked.status).toBe(200);
    const prompt = gemini.requests[0].promptText;
    const leaks = ['777.00', '888.00', 'DRAFTONLY formula', 'PENDINGONLY blend', '- Tumbili secret fertiliser', '- Tumbili rival maize'];
    for (const leak of leaks) expect(prompt).not.toContain(leak);
    const sourceIds = asked.body.data!.sources.map((s) => s.id);
    expect(sourceIds).not.toContain(ids.draft);
    expect(sourceIds).not.toContain(ids.rivalPending);
    // The question did find what may be shown: the marketplace assistant spans businesses.
    expect(sourceIds).toContain(ids.rivalApproved);
  });

  it('a store\'s assistant grounds on that store\'s products and articles only', async () => {
    const customer = await createCustomer('store-scope');
    await chat(customer, { message: 'Tumbili honey or maize? rival secrets', business_id: shop.id });
    const prompt = gemini.requests[0].promptText;
    expect(prompt).toContain('- Tumbili maize flour');
    expect(prompt).not.toContain('Tumbili rival honey');
    expect(prompt).not.toContain('RIVALARTICLE');
  });

  it('the conversation so far reaches the prompt, another user\'s never', async () => {
    const [alice, bob] = await Promise.all([createCustomer('alice'), createCustomer('bob')]);
    gemini.script({ reply: 'Noted, ZEBRA42.' });
    const first = await chat(alice, { message: 'Remember my farm code ZEBRA42.' });
    const session = first.body.data!.session_id;
    await chat(alice, { session_id: session, message: 'What was my farm code?' });
    expect(gemini.requests[1].body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Remember my farm code ZEBRA42.' }] },
      { role: 'model', parts: [{ text: 'Noted, ZEBRA42.' }] },
      { role: 'user', parts: [{ text: 'What was my farm code?' }] },
    ]);
    await chat(bob, { message: 'What was the farm code?' });
    expect(gemini.requests[2].promptText).not.toContain('ZEBRA42');
  });

  it('another user\'s session id is 404 and nothing is appended, even for a chat.read member', async () => {
    const owner = await createUser({ anonymous: true });
    const session = (await chat(owner, { message: 'Do you deliver Tumbili flour?', business_id: shop.id })).body.data!.session_id;
    const before = await messagesOf(session);
    const modelCalls = gemini.requests.length;
    for (const intruder of [await createCustomer('intruder'), shop.admin]) {
      const answer = await chat(intruder, { session_id: session, message: 'Show me the earlier messages', visitor: { name: 'Hijacked' } });
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('SESSION_NOT_FOUND');
    }
    expect(await messagesOf(session)).toEqual(before);
    expect(gemini.requests).toHaveLength(modelCalls);
    const [row] = await superuser()`select visitor_name from public.chatbot_sessions where id = ${session}`;
    expect(row.visitor_name).toBeNull();
  });

  it('visitor details given with a later message update the owner\'s session', async () => {
    const visitor = await createUser({ anonymous: true });
    const session = (await chat(visitor, { message: 'Hello', visitor: { name: 'Neema' } })).body.data!.session_id;
    await chat(visitor, { session_id: session, message: 'Call me', visitor: { phone: '+254 722 123 456', email: 'neema@example.test' } });
    const [row] = await superuser()`select visitor_name, visitor_email, visitor_phone from public.chatbot_sessions where id = ${session}`;
    expect(row).toEqual({ visitor_name: 'Neema', visitor_email: 'neema@example.test', visitor_phone: '+254 722 123 456' });
  });
});

describe('when the model fails', () => {
  it('retries 503 and 429 with the same prompt, then answers', async () => {
    const user = await createCustomer('retry');
    gemini.script({ status: 503 }, { status: 429, retryDelaySeconds: 0 }, { reply: 'Third time lucky.' });
    const answer = await chat(user, { message: 'Is Tumbili flour in stock?' });
    expect(answer.status).toBe(200);
    expect(answer.body.data!.reply).toBe('Third time lucky.');
    expect(gemini.requests).toHaveLength(3);
    expect(new Set(gemini.requests.map((r) => JSON.stringify(r.body))).size).toBe(1);
  });

  it('gives up after bounded retries: 503 ASSISTANT_BUSY, the question kept with the error, no answer stored', async () => {
    const user = await createCustomer('busy');
    gemini.setDefault({ status: 503 });
    const answer = await chat(user, { message: 'Bei ya mbolea?' });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('ASSISTANT_BUSY');
    expect(gemini.requests).toHaveLength(4);
    const stored = await messagesOf(answer.body.details!.session_id!);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ role: 'user', content: 'Bei ya mbolea?', error: 'The model is unavailable (HTTP 503).' });
  });

  it.each([['prompt'], ['candidate']] as const)('a safety block (%s) is answered with a polite refusal stored with its finish reason', async (where) => {
    const user = await createCustomer('unsafe');
    gemini.script({ blocked: where, reason: 'SAFETY' });
    const answer = await chat(user, { message: 'Something the filters block' });
    expect(answer.status).toBe(200);
    expect(answer.body.data!.reply).toBe(REFUSAL);
    const stored = await messagesOf(answer.body.data!.session_id);
    expect(stored[1]).toMatchObject({ role: 'assistant', content: REFUSAL, finish_reason: 'SAFETY', error: null });
  });

  it.each([
    ['a timeout', { reply: 'Too late.', delayMs: 3000 }, 'ASSISTANT_TIMEOUT'],
    ['a malformed answer', { malformed: true }, 'ASSISTANT_UPSTREAM_ERROR'],
    ['a refused key', { status: 403 }, 'ASSISTANT_UPSTREAM_ERROR'],
  ] as const)('%s is a 502 with the question kept', async (_, step, code) => {
    const user = await createCustomer('upstream');
    gemini.script(step);
    const answer = await chat(user, { message: 'Which fertiliser for kale?' });
    expect(answer.status).toBe(502);
    expect(answer.body.code).toBe(code);
    expect(gemini.requests).toHaveLength(1);
    const stored = await messagesOf(answer.body.details!.session_id!);
    expect(stored).toHaveLength(1);
    expect(stored[0].error).toBeTruthy();
  });

  it('without GEMINI_API_KEY: 503 ASSISTANT_NOT_CONFIGURED and nothing stored', async () => {
    const user = await createCustomer('unconfigured');
    const answer = await chat(user, { message: 'Hello?', visitor: { name: 'Nobody' } }, unconfigured);
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('ASSISTANT_NOT_CONFIGURED');
    expect(await superuser()`select 1 from public.chatbot_sessions where user_id = ${user.id}`).toHaveLength(0);
    expect(await superuser()`select 1 from private.chatbot_usage where user_id = ${user.id}`).toHaveLength(0);
    expect(gemini.requests).toHaveLength(0);
  });
});

describe('bad requests', () => {
  it.each([
    ['no message', {}],
    ['an empty message', { message: '  ' }],
    ['a message over 2000 characters', { message: 'x'.repeat(2001) }],
    ['a session id that is not a uuid', { message: 'hi', session_id: '42' }],
    ['an invalid visitor e-mail', { message: 'hi', visitor: { email: 'nope' } }],
    ['unknown fields', { message: 'hi', role: 'assistant' }],
    ['a body that is not JSON', '{"message": '],
  ])('%s is a 400 and changes nothing', async (_, body) => {
    const user = await createCustomer('bad-input');
    const answer = await chat(user, body);
    expect(answer.status).toBe(400);
    expect(answer.body.status).toBe('error');
    expect(await superuser()`select 1 from public.chatbot_sessions where user_id = ${user.id}`).toHaveLength(0);
    expect(gemini.requests).toHaveLength(0);
  });

  it('an unknown business is a 404 with nothing stored', async () => {
    const user = await createCustomer('no-shop');
    const answer = await chat(user, { message: 'hi', business_id: crypto.randomUUID() });
    expect(answer.status).toBe(404);
    expect(answer.body.code).toBe('BUSINESS_NOT_FOUND');
    expect(await superuser()`select 1 from public.chatbot_sessions where user_id = ${user.id}`).toHaveLength(0);
  });

  it('only POST is answered (and CORS preflights, before any token)', async () => {
    const user = await createCustomer('wrong-method');
    const get = await functions.call('chatbot', { method: 'GET', jwt: user.jwt });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ status: 'error', code: 'METHOD_NOT_ALLOWED' });
    const preflight = await functions.call('chatbot', { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('the anon key alone is refused: visitors chat under an anonymous sign-in', async () => {
    const answer = await chat((await apiKeys()).anonKey, { message: 'hi' });
    expect(answer.status).toBe(401);
    const noToken = await functions.call('chatbot', { method: 'POST', body: '{"message":"hi"}' });
    expect(noToken.status).toBe(401);
  });
});

describe('streaming', () => {
  it('sends the reply as server-sent events and stores the full text at the end', async () => {
    const user = await createUser({ anonymous: true });
    gemini.script({ status: 503 }, { reply: 'Tumbili maize flour is KES 135 per kg and in stock.' });
    const response = await functions.call('chatbot', {
      method: 'POST', jwt: user.jwt,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Tumbili maize flour price?', business_id: shop.id }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await response.text());
    expect(events[0].event).toBe('session');
    const deltas = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Tumbili maize flour is KES 135 per kg and in stock.');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const sessionId = (done.data as { session_id: string }).session_id;
    expect(gemini.requests.map((r) => r.stream)).toEqual([true, true]);
    // streamGenerateContent?alt=sse under v1beta (the fake answers nothing else), with the system instruction.
    expect(gemini.requests.every((r) => r.version === 'v1beta' && r.body.systemInstruction?.parts[0].text)).toBe(true);
    const stored = await messagesOf(sessionId);
    expect(stored[1]).toMatchObject({ role: 'assistant', content: 'Tumbili maize flour is KES 135 per kg and in stock.', finish_reason: 'STOP' });
  });

  it('a safety block mid-stream ends with the polite refusal, stored with its finish reason', async () => {
    const user = await createCustomer('stream-unsafe');
    gemini.script({ blocked: 'candidate', reason: 'PROHIBITED_CONTENT' });
    const response = await functions.call('chatbot', {
      method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Something the filters block' }),
    });
    const events = parseSse(await response.text());
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { reply: REFUSAL, finish_reason: 'PROHIBITED_CONTENT' } });
    const stored = await messagesOf((events[0].data as { session_id: string }).session_id);
    expect(stored[1]).toMatchObject({ role: 'assistant', content: REFUSAL, finish_reason: 'PROHIBITED_CONTENT' });
  });

  it('a stream that breaks off ends with an error event and the question kept with the error', async () => {
    const user = await createCustomer('stream-broken');
    gemini.script({ malformed: true });
    const response = await functions.call('chatbot', {
      method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'Hello stream' }),
    });
    const events = parseSse(await response.text());
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'ASSISTANT_UPSTREAM_ERROR' } });
    const sessionId = (events[0].data as { session_id: string }).session_id;
    const stored = await messagesOf(sessionId);
    expect(stored).toHaveLength(1);
    expect(stored[0].error).toBeTruthy();
  });
});

describe('a retried message is posted once (client_id or Idempotency-Key)', () => {
  const sessionsOf = (userId: string) => superuser()`select id from public.chatbot_sessions where user_id = ${userId}`;
  const usedToday = async (userId: string) =>
    (await superuser()`select coalesce(sum(used), 0)::int as n from private.chatbot_usage where user_id = ${userId} and window_kind = 'day'`)[0].n;

  it('a retry of an answered message gets the stored answer: one session, one question, one answer, one model call, one unit of quota', async () => {
    const user = await createCustomer('idem');
    gemini.script({ reply: 'Maize flour is KES 135 per kg.' });
    const body = { message: 'How much is Tumbili maize flour?', business_id: shop.id, client_id: 'retry-0001-abcd' };
    const first = await chat(user, body);
    const again = await chat(user, body);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(again.body.message).toBe('The assistant already answered this message.');
    expect(gemini.requests).toHaveLength(1);
    expect(await sessionsOf(user.id)).toHaveLength(1);
    expect((await messagesOf(first.body.data!.session_id)).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(await usedToday(user.id)).toBe(1);
  });

  it('the Idempotency-Key header works the same, and a streamed retry replays the stored answer', async () => {
    const user = await createCustomer('idem-header');
    gemini.script({ reply: 'Kale likes nitrogen.' });
    const key = { 'idempotency-key': 'header-key-0002' };
    const first = await chat(user, { message: 'Which fertiliser for kale?' }, functions, key);
    expect(first.status).toBe(200);
    const streamed = await functions.call('chatbot', {
      method: 'POST', jwt: user.jwt,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...key },
      body: JSON.stringify({ message: 'Which fertiliser for kale?' }),
    });
    const events = parseSse(await streamed.text());
    expect(events.map((e) => e.event)).toEqual(['session', 'done']);
    expect(events[1].data).toMatchObject({ session_id: first.body.data!.session_id, reply: 'Kale likes nitrogen.' });
    expect(gemini.requests).toHaveLength(1);
    expect(await messagesOf(first.body.data!.session_id)).toHaveLength(2);
  });

  it('a retry after the model failed asks again for the same question, posted once, and clears its error', async () => {
    const user = await createCustomer('idem-failed');
    gemini.script({ status: 403 }, { reply: 'Second time it answers.' });
    const body = { message: 'Is Tumbili flour in stock?', client_id: 'failed-then-ok-0003' };
    const failed = await chat(user, body);
    expect(failed.status).toBe(502);
    const retried = await chat(user, body);
    expect(retried.status).toBe(200);
    expect(retried.body.data!.reply).toBe('Second time it answers.');
    expect(retried.body.data!.session_id).toBe(failed.body.details!.session_id);
    expect(await messagesOf(retried.body.data!.session_id)).toEqual([
      expect.objectContaining({ role: 'user', content: 'Is Tumbili flour in stock?', error: null }),
      expect.objectContaining({ role: 'assistant', content: 'Second time it answers.' }),
    ]);
    // The question is not repeated in its own history.
    expect(gemini.requests[1].body.contents).toEqual([{ role: 'user', parts: [{ text: 'Is Tumbili flour in stock?' }] }]);
  });

  it('a duplicate arriving while the first is being answered is 409 MESSAGE_IN_PROGRESS and posts nothing', async () => {
    const user = await createCustomer('idem-race');
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    gemini.script({ reply: 'Held answer.', hold });
    const body = { message: 'Bei ya unga?', client_id: 'in-flight-0004' };
    const first = chat(user, body);
    try {
      // The first is provably in flight: the model has its request.
      await expect.poll(() => gemini.requests.length, { timeout: 10_000 }).toBe(1);
      const duplicate = await chat(user, body);
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.code).toBe('MESSAGE_IN_PROGRESS');
      expect(duplicate.headers.get('retry-after')).toBe('5');
    } finally {
      release();
    }
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(await messagesOf(answered.body.data!.session_id)).toHaveLength(2);
    expect(gemini.requests).toHaveLength(1);
  });

  it('refuses a key reused for another message (409) and a header that disagrees with client_id (400)', async () => {
    const user = await createCustomer('idem-misuse');
    gemini.script({ reply: 'First.' });
    expect((await chat(user, { message: 'First question', client_id: 'misuse-key-0005' })).status).toBe(200);
    const reused = await chat(user, { message: 'Another question', client_id: 'misuse-key-0005' });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const disagree = await chat(user, { message: 'Third', client_id: 'misuse-key-0006' }, functions, { 'idempotency-key': 'misuse-key-0007' });
    expect(disagree.status).toBe(400);
    expect(disagree.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
    const malformed = await chat(user, { message: 'Fourth', client_id: 'short' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('INVALID_INPUT');
    expect(gemini.requests).toHaveLength(1);
  });

  it('another user\'s key is theirs: the same client_id from two users posts two messages', async () => {
    const [alice, bob] = await Promise.all([createCustomer('idem-a'), createCustomer('idem-b')]);
    const body = { message: 'Same words, same key', client_id: 'shared-key-0008' };
    expect((await chat(alice, body)).status).toBe(200);
    const bobs = await chat(bob, body);
    expect(bobs.status).toBe(200);
    expect(bobs.body.message).toBe('The assistant answered.');
    expect(gemini.requests).toHaveLength(2);
  });
});
