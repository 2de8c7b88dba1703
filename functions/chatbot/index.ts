// POST /functions/v1/chatbot — the marketplace's and the stores' assistant, grounded on what the
// caller may see (read as the caller through RLS), with every turn stored.
import { type Claims, callerOf, jwksVerifier, requireUser, type TokenVerifier } from '../_shared/auth.ts';
import { readJsonBody } from '../_shared/body.ts';
import { corsHeaders } from '../_shared/cors.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { envInt, envText } from '../_shared/env.ts';
import { HttpError } from '../_shared/errors.ts';
import { idempotencyKeyOf } from '../_shared/idempotency.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { createGeminiClient } from './gemini.ts';
import { type ChatRequest, chatRequestSchema } from './input.ts';
import type { ModelClient, ModelRequest } from './model.ts';
import {
  type ArticleFact, buildPrompt, DEFAULT_BUDGET, type ProductFact, type PromptBudget, questionTerms, REFUSAL, type Source,
  type Turn,
} from './prompt.ts';
import { type ModelReply, type RawResponse, readReply, textOf, UpstreamError } from './reply.ts';
import { DEFAULT_RETRY_POLICY, nextDelayMs, type RetryPolicy } from './retry.ts';
import { sseEvent } from './sse.ts';

export interface ChatbotConfig {
  model: string;
  perMinute: number;
  perDay: number;
  timeoutMs: number;
  retry: RetryPolicy;
  budget: PromptBudget;
}

export const DEFAULT_CONFIG: ChatbotConfig = {
  model: 'gemini-3.5-flash',
  perMinute: 20,
  perDay: 200,
  timeoutMs: 20_000,
  retry: DEFAULT_RETRY_POLICY,
  budget: DEFAULT_BUDGET,
};

export interface ChatbotDeps {
  db: Db;
  verify: TokenVerifier;
  /** null when GEMINI_API_KEY is not set: the assistant answers 503 and stores nothing. */
  model: ModelClient | null;
  config?: Partial<ChatbotConfig>;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  log?: Logger;
}

const PRODUCTS_IN_PROMPT = 8;
/** A keyed message older than the model's deadline plus this, and unanswered, died with its attempt. */
const IN_FLIGHT_GRACE_MS = 30_000;

function wantsStream(req: Request): boolean {
  return (req.headers.get('accept') ?? '').includes('text/event-stream');
}
const ARTICLES_IN_PROMPT = 3;
const HISTORY_TURNS = 20;

interface Conversation {
  sessionId: string;
  storeName: string | null;
  products: ProductFact[];
  articles: ArticleFact[];
  history: Turn[];
}

export function createChatbotHandler(deps: ChatbotDeps) {
  const { db, verify, model } = deps;
  // Service: the quota and the stored turns are the service's bookkeeping. Whose session it is
  // is decided as the caller (converse) before any of them is written.
  const { serviceDb } = db;
  const config = { ...DEFAULT_CONFIG, ...deps.config };
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const log = deps.log ?? jsonLogger('chatbot');

  /**
   * Session, grounding and history, all read (and the session written) as the caller. A keyed
   * first message opens its session once: a retry (or a duplicate racing it) continues it.
   * `retrying`: the message being asked again, left out of its own history.
   */
  function converse(claims: Claims, userId: string, input: ChatRequest, key: string | null, retrying: string | null): Promise<Conversation> {
    return db.asCaller(claims, async (tx) => {
      let session: { id: string; business_id: string | null } | undefined;
      if (!input.session_id && key) {
        [session] = await tx<{ id: string; business_id: string | null }[]>`
          select id, business_id from public.chatbot_sessions where user_id = ${userId} and client_id = ${key}`;
      }
      if (input.session_id) {
        // Owners only: members with chat.read may read a session, but not talk in it.
        [session] = await tx<{ id: string; business_id: string | null }[]>`
          select id, business_id from public.chatbot_sessions where id = ${input.session_id} and user_id = ${userId}`;
        if (!session) throw new HttpError(404, 'SESSION_NOT_FOUND', 'You have no chatbot session with this id.');
        if (input.visitor) {
          await tx`update public.chatbot_sessions
                   set visitor_name = coalesce(${input.visitor.name ?? null}, visitor_name),
                       visitor_email = coalesce(${input.visitor.email ?? null}, visitor_email),
                       visitor_phone = coalesce(${input.visitor.phone ?? null}, visitor_phone)
                   where id = ${session.id}`;
        }
      }
      const businessId = session ? session.business_id : input.business_id ?? null;
      let storeName: string | null = null;
      if (businessId) {
        const [business] = await tx<{ name: string }[]>`select name from public.businesses where id = ${businessId}`;
        if (!business) throw new HttpError(404, 'BUSINESS_NOT_FOUND', 'There is no business with this id.');
        storeName = business.name;
      }
      if (!session) {
        [session] = await tx<{ id: string; business_id: string | null }[]>`
          insert into public.chatbot_sessions (business_id, visitor_name, visitor_email, visitor_phone, client_id)
          values (${businessId}, ${input.visitor?.name ?? null}, ${input.visitor?.email ?? null}, ${input.visitor?.phone ?? null}, ${key})
          on conflict (user_id, client_id) do nothing
          returning id, business_id`;
        if (!session) {
          // A duplicate of this request opened it first (this insert waited for its commit).
          [session] = await tx<{ id: string; business_id: string | null }[]>`
            select id, business_id from public.chatbot_sessions where user_id = ${userId} and client_id = ${key}`;
        }
      }
      // Facts (best first) and history in one round trip. Answered turns only: a question the model never
      // answered would leave the history lopsided.
      const [grounding] = await tx<{ products: ProductFact[] | null; articles: ArticleFact[] | null; history: Turn[] | null }[]>`
        with query as (select private.question_tsquery(${questionTerms(input.message)}::text[]) as q)
        select
          (select json_agg(json_build_object('id', p.id, 'name', p.name, 'description', p.description,
                                             'price', p.price::text, 'currency', p.currency, 'unit', p.unit,
                                             'stock_quantity', p.stock_quantity) order by p.ordinality)
           from query, private.assistant_products(query.q, ${businessId}::uuid, ${PRODUCTS_IN_PROMPT}) with ordinality p
           where query.q is not null) as products,
          (select json_agg(json_build_object('id', k.id, 'title', k.title, 'body', k.body, 'language', k.language) order by k.ordinality)
           from query, private.assistant_knowledge(query.q, ${businessId}::uuid, ${ARTICLES_IN_PROMPT}) with ordinality k
           where query.q is not null) as articles,
          (select json_agg(json_build_object('role', m.role, 'content', m.content) order by m.created_at)
           from (select m.role, m.content, m.created_at from public.chatbot_messages m
                 where m.session_id = ${session.id} and m.error is null and m.id is distinct from ${retrying}::uuid
                 order by m.created_at desc limit ${HISTORY_TURNS}) m) as history`;
      return {
        sessionId: session.id,
        storeName,
        products: grounding.products ?? [],
        articles: grounding.articles ?? [],
        history: grounding.history ?? [],
      };
    });
  }

  /** Calls the model, retrying 429/500/503 with backoff within the policy's budget. */
  async function withRetries<T>(call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    let waited = 0;
    for (let attempt = 1;; attempt++) {
      try {
        return await call(signal);
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.failure !== 'busy') throw error;
        const delay = nextDelayMs(config.retry, attempt, waited, random(), error.retryAfterMs);
        log({ level: 'warn', event: 'model_busy', attempt, status: error.status, retry_in_ms: delay });
        if (delay === null) throw error;
        waited += delay;
        await sleep(delay);
      }
    }
  }

  function failureResponse(error: unknown, sessionId: string): HttpError {
    if (error instanceof UpstreamError && error.failure === 'busy') {
      return new HttpError(503, 'ASSISTANT_BUSY', 'The assistant is busy. Your message is saved; please try again shortly.',
        { session_id: sessionId }, { 'retry-after': '30' });
    }
    if (error instanceof UpstreamError && error.failure === 'timeout') {
      return new HttpError(502, 'ASSISTANT_TIMEOUT', 'The assistant did not answer in time. Your message is saved.', { session_id: sessionId });
    }
    return new HttpError(502, 'ASSISTANT_UPSTREAM_ERROR', 'The assistant gave an answer that could not be used. Your message is saved.',
      { session_id: sessionId });
  }

  async function recordError(messageId: string, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    await serviceDb`update public.chatbot_messages set error = ${message.slice(0, 2000)} where id = ${messageId}`;
  }

  /** The answer to `messageId`, with its sources; a question asked again loses its old error. */
  async function storeReply(sessionId: string, messageId: string, reply: ModelReply, sources: Source[]): Promise<string> {
    const content = reply.blocked ? REFUSAL : reply.text;
    await serviceDb`
      with answered as (update public.chatbot_messages set error = null where id = ${messageId} and error is not null)
      insert into public.chatbot_messages (session_id, role, content, model, input_tokens, output_tokens, finish_reason, reply_to, sources)
      values (${sessionId}, 'assistant', ${content}, ${config.model}, ${reply.inputTokens}, ${reply.outputTokens},
              ${reply.finishReason}, ${messageId}, ${serviceDb.json(sources as never)})`;
    return content;
  }

  interface PriorMessage {
    id: string;
    session_id: string;
    content: string;
    error: string | null;
    created_at: Date;
    reply: string | null;
    sources: Source[] | null;
    finish_reason: string | null;
  }

  /** The caller's message sent earlier with this idempotency key, and its answer if any. */
  async function priorMessage(claims: Claims, userId: string, key: string): Promise<PriorMessage | undefined> {
    const [prior] = await db.asCaller(claims, (tx) => tx<PriorMessage[]>`
      select m.id, m.session_id, m.content, m.error, m.created_at, r.content as reply, r.sources, r.finish_reason
      from public.chatbot_sessions s
      join public.chatbot_messages m on m.session_id = s.id and m.client_id = ${key} and m.role = 'user'
      left join public.chatbot_messages r on r.reply_to = m.id
      where s.user_id = ${userId}`, { readOnly: true });
    return prior;
  }

  /** The stored answer of a message sent again, as it was first given. */
  function replay(req: Request, prior: PriorMessage): Response {
    const data = { session_id: prior.session_id, reply: prior.reply!, sources: prior.sources ?? [] };
    if (!wantsStream(req)) return success(data, 'The assistant already answered this message.');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(sseEvent('session', { session_id: data.session_id, sources: data.sources }));
        controller.enqueue(sseEvent('done', { ...data, finish_reason: prior.finish_reason }));
        controller.close();
      },
    });
    return new Response(body, { headers: { ...corsHeaders, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } });
  }

  /**
   * What a retry with a known key gets: the stored answer, a refusal while the first attempt
   * may still be answering, or (after a failure, or an attempt that died) the same message asked
   * again. Undefined: ask.
   */
  function settlePrior(req: Request, input: ChatRequest, prior: PriorMessage): Response | undefined {
    if (prior.content !== input.message || (input.session_id && input.session_id !== prior.session_id)) {
      throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for another message; use a new key.');
    }
    if (prior.reply !== null) return replay(req, prior);
    const stillAnswering = now().getTime() - new Date(prior.created_at).getTime() < config.timeoutMs + IN_FLIGHT_GRACE_MS;
    if (prior.error === null && stillAnswering) {
      throw new HttpError(409, 'MESSAGE_IN_PROGRESS', 'This message is still being answered; try again in a few seconds.',
        { session_id: prior.session_id }, { 'retry-after': '5' });
    }
    return undefined;
  }

  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const caller = await callerOf(req, verify);
    const user = requireUser(caller);
    const input = await readJsonBody(req, chatRequestSchema, { example: '{"message": "…"}' });
    const key = idempotencyKeyOf(req.headers, input.client_id);
    if (!model) {
      throw new HttpError(503, 'ASSISTANT_NOT_CONFIGURED', 'The assistant is not configured on this project (no Gemini API key).');
    }
    // A retry is answered from what the first attempt stored, before it costs quota.
    const prior = key ? await priorMessage(caller.claims, user.id, key) : undefined;
    if (prior) {
      const settled = settlePrior(req, input, prior);
      if (settled) return settled;
    }

    const [{ retry_after }] = await serviceDb<{ retry_after: number }[]>`
      select private.take_chatbot_quota(${user.id}, ${now()}, ${config.perMinute}, ${config.perDay}) as retry_after`;
    if (retry_after > 0) {
      throw new HttpError(429, 'RATE_LIMITED', `You have sent too many messages. Try again in ${retry_after} seconds.`,
        { retry_after_seconds: retry_after }, { 'retry-after': String(retry_after) });
    }

    const conversation = await converse(caller.claims, user.id, prior ? { ...input, session_id: prior.session_id } : input, key, prior?.id ?? null);
    const prompt = buildPrompt({
      storeName: conversation.storeName,
      question: input.message,
      products: conversation.products,
      articles: conversation.articles,
      history: conversation.history,
      budget: config.budget,
    });
    // The caller's ownership was checked above, as the caller; messages are the service's to write.
    let messageId = prior?.id;
    if (!messageId) {
      const [posted] = await serviceDb<{ id: string }[]>`
        insert into public.chatbot_messages (session_id, role, content, client_id)
        values (${conversation.sessionId}, 'user', ${input.message}, ${key})
        on conflict (session_id, client_id) do nothing
        returning id`;
      if (!posted) {
        // A duplicate of this request, racing it, posted the message first and is answering it.
        throw new HttpError(409, 'MESSAGE_IN_PROGRESS', 'This message is still being answered; try again in a few seconds.',
          { session_id: conversation.sessionId }, { 'retry-after': '5' });
      }
      messageId = posted.id;
    }

    const timeout = AbortSignal.timeout(config.timeoutMs);
    const request = (signal: AbortSignal): ModelRequest => ({
      model: config.model,
      systemInstruction: prompt.systemInstruction,
      contents: prompt.contents,
      signal,
    });

    if (wantsStream(req)) {
      let chunks: AsyncIterable<RawResponse>;
      try {
        chunks = await withRetries((signal) => model.stream(request(signal)), timeout);
      } catch (error) {
        await recordError(messageId, error);
        throw failureResponse(error, conversation.sessionId);
      }
      return streamReply(conversation.sessionId, prompt.sources, chunks, messageId);
    }

    let reply: ModelReply;
    try {
      reply = readReply([await withRetries((signal) => model.generate(request(signal)), timeout)]);
    } catch (error) {
      await recordError(messageId, error);
      throw failureResponse(error, conversation.sessionId);
    }
    const text = await storeReply(conversation.sessionId, messageId, reply, prompt.sources);
    return success({ session_id: conversation.sessionId, reply: text, sources: prompt.sources }, 'The assistant answered.');
  });

  /** Relays the model's chunks as `delta` events, then stores the whole reply and sends `done`. */
  function streamReply(sessionId: string, sources: Source[], chunks: AsyncIterable<RawResponse>, messageId: string): Response {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        let open = true;
        // A client that goes away must not stop the reply from being read to the end and stored.
        const send = (event: string, data: unknown) => {
          if (!open) return;
          try {
            controller.enqueue(sseEvent(event, data));
          } catch {
            open = false;
          }
        };
        send('session', { session_id: sessionId, sources });
        const received: RawResponse[] = [];
        try {
          for await (const chunk of chunks) {
            received.push(chunk);
            const text = textOf(chunk);
            if (text) send('delta', { text });
          }
          const reply = readReply(received);
          const text = await storeReply(sessionId, messageId, reply, sources);
          send('done', { session_id: sessionId, reply: text, sources, finish_reason: reply.finishReason });
        } catch (error) {
          await recordError(messageId, error).catch(() => {});
          const failure = failureResponse(error, sessionId);
          log({ level: 'error', event: 'stream_failed', message: (error as Error)?.message });
          send('error', { code: failure.code, message: failure.message, session_id: sessionId });
        }
        if (open) controller.close();
      },
    });
    return new Response(body, {
      headers: { ...corsHeaders, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    });
  }
}

if (import.meta.main) {
  const apiKey = envText('GEMINI_API_KEY');
  const positive = { min: 1, max: 1_000_000_000 };
  serve(createChatbotHandler({
    db: connectDatabase(),
    verify: jwksVerifier(envText('SUPABASE_JWKS', '{"keys":[]}')),
    model: apiKey
      ? createGeminiClient({ apiKey, baseUrl: envText('GEMINI_API_BASE') })
      : null,
    config: {
      model: envText('GEMINI_MODEL', DEFAULT_CONFIG.model),
      perMinute: envInt('CHATBOT_RATE_PER_MINUTE', DEFAULT_CONFIG.perMinute, positive),
      perDay: envInt('CHATBOT_RATE_PER_DAY', DEFAULT_CONFIG.perDay, positive),
      timeoutMs: envInt('CHATBOT_TIMEOUT_MS', DEFAULT_CONFIG.timeoutMs, positive),
      retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: envInt('CHATBOT_RETRY_BASE_MS', DEFAULT_RETRY_POLICY.baseDelayMs, positive) },
    },
  }));
}
