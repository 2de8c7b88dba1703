// Per-user rate limits, counted atomically in Postgres: concurrent requests never slip past.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConnection, superuser, type Sql } from '../support/db.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { createCustomer } from '../support/fixtures.ts';
import { whileLocked } from '../support/locks.ts';
import { startFunctions, type RunningFunctions } from '../support/functions.ts';

let gemini: FakeGemini;
let functions: RunningFunctions;

beforeAll(async () => {
  gemini = await startFakeGemini();
  functions = await startFunctions({
    GEMINI_API_KEY: 'test-gemini-key', GEMINI_API_BASE: gemini.url,
    CHATBOT_RATE_PER_MINUTE: '5', CHATBOT_RATE_PER_DAY: '50',
  });
});

afterAll(async () => {
  await Promise.all([functions?.stop(), gemini?.close()]);
});

const usage = (userId: string) => superuser()`
  select window_kind, used from private.chatbot_usage where user_id = ${userId} order by window_kind`;

describe('chatbot rate limits', () => {
  it('of 12 concurrent messages from one user, exactly the 5 a minute allowed go through; the rest get 429 with Retry-After', async () => {
    const user = await createCustomer('eager');
    // Today's row, inserted empty and uncommitted, holds the requests until the function's whole
    // pool (5 connections) waits on it.
    const responses = await whileLocked(
      (tx) => tx`insert into private.chatbot_usage (user_id, window_kind, window_start, used)
                 values (${user.id}, 'day', date_trunc('day', now(), 'UTC'), 0)`,
      () => Promise.all(Array.from({ length: 12 }, (_, i) => functions.call('chatbot', {
        method: 'POST', jwt: user.jwt, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: `Question number ${i} about maize` }),
      }))),
      { query: 'take_chatbot_quota', count: 5 },
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    for (const response of responses.filter((r) => r.status === 429)) {
      const seconds = Number(response.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(await response.json()).toMatchObject({ code: 'RATE_LIMITED' });
    }
    await Promise.all(responses.filter((r) => r.status === 200).map((r) => r.text()));
    expect(await usage(user.id)).toEqual([{ window_kind: 'day', used: 5 }, { window_kind: 'minute', used: 5 }]);
    expect(await superuser()`select count(*)::int as n from public.chatbot_messages m join public.chatbot_sessions s on s.id = m.session_id
                             where s.user_id = ${user.id} and m.role = 'user'`).toEqual([{ n: 5 }]);
  });

  it('one user\'s limit does not touch another\'s', async () => {
    const [first, second] = await Promise.all([createCustomer('limit-a'), createCustomer('limit-b')]);
    const send = (jwt: string) => functions.call('chatbot', {
      method: 'POST', jwt, headers: { 'content-type': 'application/json' }, body: '{"message":"hi"}',
    }).then(async (r) => (await r.text(), r.status));
    for (let i = 0; i < 5; i++) expect(await send(first.jwt)).toBe(200);
    expect(await send(first.jwt)).toBe(429);
    expect(await send(second.jwt)).toBe(200);
  });
});

describe('private.take_chatbot_quota', () => {
  let connections: Sql[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.end()));
  });

  it('counts the day across minutes and gives back the day\'s unit when the minute refuses', async () => {
    const user = await createCustomer('quota');
    const take = async (at: string) =>
      (await superuser()`select private.take_chatbot_quota(${user.id}, ${at}::timestamptz, 2, 3) as wait`)[0].wait as number;
    expect(await take('2026-11-24T10:00:01Z')).toBe(0);
    expect(await take('2026-11-24T10:00:02Z')).toBe(0);
    expect(await take('2026-11-24T10:00:50Z')).toBe(10);
    expect(await take('2026-11-24T10:01:00Z')).toBe(0);
    expect(await take('2026-11-24T10:02:00Z')).toBe(14 * 3600 - 120);
    expect(await take('2026-11-25T00:00:00Z')).toBe(0);
    // Past windows are gone: only the current minute and day remain.
    const rows = await superuser()`select window_kind, window_start, used from private.chatbot_usage where user_id = ${user.id} order by window_kind`;
    expect(rows).toEqual([
      { window_kind: 'day', window_start: new Date('2026-11-25T00:00:00Z'), used: 1 },
      { window_kind: 'minute', window_start: new Date('2026-11-25T00:00:00Z'), used: 1 },
    ]);
  });

  it('holds under real concurrent connections', async () => {
    const user = await createCustomer('quota-race');
    connections = Array.from({ length: 8 }, () => newConnection('postgres'));
    // The day's row, inserted empty and uncommitted, holds all eight until every one waits on it.
    const waits = await whileLocked(
      (tx) => tx`insert into private.chatbot_usage (user_id, window_kind, window_start, used)
                 values (${user.id}, 'day', '2026-11-24T00:00:00Z', 0)`,
      () => Promise.all(connections.map((sql) =>
        sql`select private.take_chatbot_quota(${user.id}, '2026-11-24T10:00:30Z', 3, 100) as wait`.then((rows) => rows[0].wait as number)
      )),
      { query: 'take_chatbot_quota', count: 8 },
    );
    expect(waits.filter((w) => w === 0)).toHaveLength(3);
    expect(waits.filter((w) => w === 30)).toHaveLength(5);
  });

  it('refuses a limit below 1', async () => {
    const user = await createCustomer('quota-bad');
    await expect(superuser()`select private.take_chatbot_quota(${user.id}, now(), 0, 10)`).rejects.toMatchObject({ code: '22023' });
  });
});
