// POST /functions/v1/chatbot — the marketplace's and the stores' assistant, grounded on what the
// caller may see (read as the caller through RLS), with every turn stored.
import { type Claims, callerOf, jwksVerifier, requireUser, type TokenVerifier } from '../_shared/auth.ts';
import { readJsonBody } from '../_shared/body.ts';
import { corsHeaders } from '../_shared/cors.ts';
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { envInt, envText } from '../_shared/env.ts';
import { HttpError } from '../_shared/errors.ts';
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

  /** Session, grounding and history, all read (and the session written) as the caller. */
  function converse(claims: Claims, userId: string, input: ChatRequest): Promise<Conversation> {
    return db.asCaller(claims, async (tx) => {
      let session: { id: string; business_id: string | null } | undefined;
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
          insert into public.chatbot_sessions (business_id, visitor_name, visitor_email, visitor_phone)
          values (${businessId}, ${input.visitor?.name ?? null}, ${input.visitor?.email ?? null}, ${input.visitor?.phone ?? null})
          returning id, business_id`;
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
                 where m.session_id = ${session.id} and m.error is null
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

  async function storeReply(sessionId: string, reply: ModelReply): Promise<string> {
    const content = reply.blocked ? REFUSAL : reply.text;
    await serviceDb`insert into public.chatbot_messages (session_id, role, content, model, input_tokens, output_tokens, finish_reason)
             values (${sessionId}, 'assistant', ${content}, ${config.model}, ${reply.inputTokens}, ${reply.outputTokens},
                     ${reply.finishReason})`;
    return content;
  }

  return handle(log, async (req) => {
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const caller = await callerOf(req, verify);
    const user = requireUser(caller);
    const input = await readJsonBody(req, chatRequestSchema, { example: '{"message": "…"}' });
    if (!model) {
      throw new HttpError(503, 'ASSISTANT_NOT_CONFIGURED', 'The assistant is not configured on this project (no Gemini API key).');
    }

    const [{ retry_after }] = await serviceDb<{ retry_after: number }[]>`
      select private.take_chatbot_quota(${user.id}, ${now()}, ${config.perMinute}, ${config.perDay}) as retry_after`;
    if (retry_after > 0) {
      throw new HttpError(429, 'RATE_LIMITED', `You have sent too many messages. Try again in ${retry_after} seconds.`,
        { retry_after_seconds: retry_after }, { 'retry-after': String(retry_after) });
    }

    const conversation = await converse(caller.claims, user.id, input);
    const prompt = buildPrompt({
      storeName: conversation.storeName,
      question: input.message,
      products: conversation.products,
      articles: conversation.articles,
      history: conversation.history,
      budget: config.budget,
    });
    // The caller's ownership was checked above, as the caller; messages are the service's to write.
    const [{ id: messageId }] = await serviceDb<{ id: string }[]>`
      insert into public.chatbot_messages (session_id, role, content)
      values (${conversation.sessionId}, 'user', ${input.message}) returning id`;

    const timeout = AbortSignal.timeout(config.timeoutMs);
    const request = (signal: AbortSignal): ModelRequest => ({
      model: config.model,
      systemInstruction: prompt.systemInstruction,
      contents: prompt.contents,
      signal,
    });

    if ((req.headers.get('accept') ?? '').includes('text/event-stream')) {
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
    const text = await storeReply(conversation.sessionId, reply);
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
          const text = await storeReply(sessionId, reply);
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
