// The chatbot's pure modules: prompt and token budget, reading Gemini's answers, retry policy,
// server-sent events, input validation.
import { describe, expect, it } from 'vitest';
import { chatRequestSchema } from '../../functions/chatbot/input.ts';
import { buildPrompt, estimateTokens, type ProductFact, questionTerms, type Turn } from '../../functions/chatbot/prompt.ts';
import { readReply, retryDelayOf, UpstreamError } from '../../functions/chatbot/reply.ts';
import { DEFAULT_RETRY_POLICY, isRetryableStatus, nextDelayMs } from '../../functions/chatbot/retry.ts';
import { parseSse, sseEvent } from '../../functions/chatbot/sse.ts';

const product = (i: number): ProductFact => ({
  id: `p${i}`, name: `Hybrid maize seed ${i}`, description: 'Drought-tolerant, 90 days to harvest. '.repeat(8),
  price: '450.00', currency: 'KES', unit: 'kg', stock_quantity: i % 2 ? 12 : 0,
});

describe('questionTerms', () => {
  it('keeps the words that can match a product and drops stop words in English and Swahili', () => {
    expect(questionTerms('How much is the Hybrid maize seed?')).toEqual(['hybrid', 'maize', 'seed']);
    expect(questionTerms('Bei ya mbolea ni ngapi?')).toEqual(['mbolea']);
  });

  it('bounds the number of terms however long the question', () => {
    expect(questionTerms(Array.from({ length: 100 }, (_, i) => `word${i}`).join(' '))).toHaveLength(12);
  });
});

describe('buildPrompt', () => {
  it('states the rules and gives price, unit and availability of each product with its source', () => {
    const prompt = buildPrompt({ storeName: 'Shamba Bora', question: 'maize?', products: [product(1), product(2)], articles: [], history: [] });
    expect(prompt.systemInstruction).toContain('assistant of Shamba Bora');
    expect(prompt.systemInstruction).toContain('Answer only from the facts');
    expect(prompt.systemInstruction).toContain('Never reveal');
    expect(prompt.systemInstruction).toContain('language of the user');
    expect(prompt.systemInstruction).toContain('- Hybrid maize seed 1: 450.00 KES per kg; in stock (12 kg).');
    expect(prompt.systemInstruction).toContain('- Hybrid maize seed 2: 450.00 KES per kg; out of stock.');
    expect(prompt.sources).toEqual([
      { type: 'product', id: 'p1', title: 'Hybrid maize seed 1' },
      { type: 'product', id: 'p2', title: 'Hybrid maize seed 2' },
    ]);
    expect(prompt.contents).toEqual([{ role: 'user', parts: [{ text: 'maize?' }] }]);
  });

  it('stops adding facts and old turns at the budget, keeping the newest turns in order', () => {
    const history: Turn[] = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} `.repeat(40) }));
    const budget = { totalTokens: 1500, factTokens: 400 };
    const prompt = buildPrompt({
      storeName: null, question: 'maize?', products: Array.from({ length: 20 }, (_, i) => product(i)), articles: [], history, budget,
    });
    expect(prompt.estimatedTokens).toBeLessThanOrEqual(budget.totalTokens);
    expect(prompt.sources.length).toBeGreaterThan(0);
    expect(prompt.sources.length).toBeLessThan(20);
    const turns = prompt.contents.slice(0, -1).map((c) => c.parts[0].text);
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.at(-1)).toBe(history[39].content);
    expect(turns[0]).toBe(history[40 - turns.length].content);
    expect(prompt.contents.at(-2)!.role).toBe('model');
  });

  it('estimates about four characters a token', () => {
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('abcdefghi')).toBe(3);
  });
});

describe('readReply', () => {
  it('joins streamed chunks and takes the usage and finish reason of the last', () => {
    const reply = readReply([
      { candidates: [{ content: { parts: [{ text: 'Hel' }] } }] },
      { candidates: [{ content: { parts: [{ text: 'thinking', thought: true }, { text: 'lo' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 2 } },
    ]);
    expect(reply).toEqual({ text: 'Hello', finishReason: 'STOP', blocked: false, inputTokens: 7, outputTokens: 2 });
  });

  it('treats a blocked prompt or a safety finish as blocked', () => {
    expect(readReply([{ promptFeedback: { blockReason: 'SAFETY' } }])).toMatchObject({ blocked: true, finishReason: 'SAFETY' });
    expect(readReply([{ candidates: [{ finishReason: 'PROHIBITED_CONTENT' }] }])).toMatchObject({ blocked: true, finishReason: 'PROHIBITED_CONTENT' });
  });

  it('calls an answer without candidates or text malformed', () => {
    for (const chunks of [[{}], [{ candidates: [{ finishReason: 'STOP' }] }], []]) {
      expect(() => readReply(chunks)).toThrow(UpstreamError);
    }
  });

  it('reads the retry delay Gemini puts in its error details', () => {
    expect(retryDelayOf('{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}')).toBe(2000);
    expect(retryDelayOf('{"error":{}}')).toBeUndefined();
  });
});

describe('retry policy', () => {
  it('retries 429, 500 and 503 only', () => {
    expect([429, 500, 503, 400, 403, 404, undefined].map(isRetryableStatus)).toEqual([true, true, true, false, false, false, false]);
  });

  it('backs off exponentially and gives up at the attempt limit or the time budget', () => {
    const policy = { maxAttempts: 4, baseDelayMs: 500, budgetMs: 10_000 };
    expect(nextDelayMs(policy, 1, 0, 1)).toBe(500);
    expect(nextDelayMs(policy, 2, 500, 1)).toBe(1000);
    expect(nextDelayMs(policy, 2, 500, 0)).toBe(500);
    expect(nextDelayMs(policy, 4, 1500, 1)).toBeNull();
    expect(nextDelayMs(policy, 1, 0, 1, 11_000)).toBeNull();
    expect(nextDelayMs(policy, 1, 0, 0, 3000)).toBe(3000);
  });

  it('never waits more than the default budget in all', () => {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const delay = nextDelayMs(DEFAULT_RETRY_POLICY, attempt, waited, 0.999, 4000);
      if (delay === null) break;
      waited += delay;
    }
    expect(waited).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.budgetMs);
    expect(waited).toBeGreaterThan(0);
  });
});

describe('server-sent events', () => {
  it('encodes events that parse back, newlines in the text included', () => {
    const body = [sseEvent('delta', { text: 'line one\nline two' }), sseEvent('done', { reply: 'ok' })]
      .map((bytes) => new TextDecoder().decode(bytes)).join('');
    expect(body.startsWith('event: delta\ndata: ')).toBe(true);
    expect(parseSse(body)).toEqual([{ event: 'delta', data: { text: 'line one\nline two' } }, { event: 'done', data: { reply: 'ok' } }]);
  });
});

describe('chat request validation', () => {
  it('accepts a message of 1 to 2000 characters with optional session, business and visitor', () => {
    expect(chatRequestSchema.safeParse({ message: 'x'.repeat(2000) }).success).toBe(true);
    expect(chatRequestSchema.safeParse({
      message: 'Habari', session_id: crypto.randomUUID(), business_id: crypto.randomUUID(),
      visitor: { name: 'Amina', email: 'amina@example.test', phone: '+254 700 000 000' },
    }).success).toBe(true);
  });

  it.each([
    [{}], [{ message: '' }], [{ message: '   ' }], [{ message: 'x'.repeat(2001) }], [{ message: 'hi', session_id: 'abc' }],
    [{ message: 'hi', visitor: { email: 'not-an-email' } }], [{ message: 'hi', extra: true }], [{ message: 42 }],
  ])('refuses %j', (body) => {
    expect(chatRequestSchema.safeParse(body).success).toBe(false);
  });
});
