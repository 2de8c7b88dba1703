// A fake Gemini API on 127.0.0.1: models/<model>:generateContent and
// :streamGenerateContent?alt=sse under /v1beta, the version Google's Gemini API reference
// documents them (and systemInstruction) under; another version is a 404, so a client that
// drifts to the SDK's default (/v1) fails the tests. It answers from a script (replies, HTTP
// errors, safety blocks, malformed bodies, delays) and recording every request, parsed, so that
// tests can assert on the exact prompt.
import { startFakeServer, type RecordedRequest } from './fake-server.ts';

export type GeminiStep = (
  | { reply: string; finishReason?: string; promptTokens?: number; outputTokens?: number; delayMs?: number }
  | { status: 429 | 500 | 503 | 400 | 403; retryDelaySeconds?: number; delayMs?: number }
  | { blocked: 'prompt' | 'candidate'; reason?: string; delayMs?: number }
  | { malformed: true; delayMs?: number }
) & {
  /** Answers only once this settles: keeps a call in flight until the test lets it go. */
  hold?: Promise<unknown>;
};

export interface GeminiRequest {
  version: 'v1beta';
  model: string;
  stream: boolean;
  apiKey: string | undefined;
  body: {
    contents: Array<{ role?: string; parts: Array<{ text?: string }> }>;
    systemInstruction?: { parts: Array<{ text?: string }> };
  };
  /** Everything the model was given, instruction and turns, as one string. */
  promptText: string;
}

export interface FakeGemini {
  url: string;
  requests: GeminiRequest[];
  /** Answers the next requests with these steps, in order; then with the default. */
  script(...steps: GeminiStep[]): void;
  setDefault(step: GeminiStep): void;
  reset(): void;
  close(): Promise<void>;
}

const ROUTE = /^\/(v1beta)\/models\/([^/:?]+):(generateContent|streamGenerateContent)(\?alt=sse)?$/;

function chunksOf(text: string, parts: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / parts));
  const chunks: string[] = [];
  for (let at = 0; at < text.length; at += size) chunks.push(text.slice(at, at + size));
  return chunks.length ? chunks : [''];
}

function responsesFor(step: GeminiStep): object[] {
  if ('reply' in step) {
    return chunksOf(step.reply, 3).map((text, index, all) => ({
      candidates: [{
        content: { role: 'model', parts: [{ text }] },
        ...(index === all.length - 1 ? { finishReason: step.finishReason ?? 'STOP' } : {}),
      }],
      ...(index === all.length - 1
        ? { usageMetadata: { promptTokenCount: step.promptTokens ?? 120, candidatesTokenCount: step.outputTokens ?? 30, totalTokenCount: (step.promptTokens ?? 120) + (step.outputTokens ?? 30) } }
        : {}),
      modelVersion: 'fake-gemini',
    }));
  }
  if ('blocked' in step) {
    return step.blocked === 'prompt'
      ? [{ promptFeedback: { blockReason: step.reason ?? 'SAFETY' }, usageMetadata: { promptTokenCount: 50 } }]
      : [{ candidates: [{ content: { role: 'model', parts: [] }, finishReason: step.reason ?? 'SAFETY' }], usageMetadata: { promptTokenCount: 50 } }];
  }
  return [];
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: GeminiRequest[] = [];
  let queue: GeminiStep[] = [];
  let fallback: GeminiStep = { reply: 'This is the fake model speaking.' };
  const server = await startFakeServer((recorded: RecordedRequest) => {
    const route = ROUTE.exec(recorded.path);
    if (recorded.method !== 'POST' || !route) {
      return { status: 404, body: JSON.stringify({ error: { code: 404, message: `No route ${recorded.path}`, status: 'NOT_FOUND' } }) };
    }
    const stream = route[3] === 'streamGenerateContent';
    const body = JSON.parse(recorded.body) as GeminiRequest['body'];
    const apiKey = recorded.headers['x-goog-api-key'] as string | undefined;
    const text = (parts: Array<{ text?: string }> = []) => parts.map((part) => part.text ?? '').join('');
    requests.push({
      version: 'v1beta',
      model: decodeURIComponent(route[2]),
      stream,
      apiKey,
      body,
      promptText: [text(body.systemInstruction?.parts), ...body.contents.map((content) => text(content.parts))].join('\n'),
    });
    if (!apiKey) {
      return { status: 403, body: JSON.stringify({ error: { code: 403, message: 'Method doesn\'t allow unregistered callers.', status: 'PERMISSION_DENIED' } }) };
    }
    const step = queue.shift() ?? fallback;
    const delayMs = step.delayMs ?? 0;
    const hold = step.hold;
    if ('status' in step) {
      const details = step.retryDelaySeconds === undefined
        ? []
        : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${step.retryDelaySeconds}s` }];
      const status = { 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED' }[step.status];
      return { status: step.status, delayMs, hold, body: JSON.stringify({ error: { code: step.status, message: 'The fake model says no.', status, details } }) };
    }
    if ('malformed' in step) {
      return stream
        ? { status: 200, delayMs, hold, headers: { 'content-type': 'text/event-stream' }, body: 'data: {"candidates": [\r\n\r\n' }
        : { status: 200, delayMs, hold, body: '<html>Bad gateway</html>' };
    }
    const responses = responsesFor(step);
    return stream
      ? { status: 200, delayMs, hold, headers: { 'content-type': 'text/event-stream' }, body: responses.map((r) => `data: ${JSON.stringify(r)}\r\n\r\n`).join('') }
      : { status: 200, delayMs, hold, body: JSON.stringify(mergeForUnary(responses)) };
  });
  return {
    url: server.url,
    requests,
    script(...steps) {
      queue.push(...steps);
    },
    setDefault(step) {
      fallback = step;
    },
    reset() {
      queue = [];
      requests.length = 0;
      fallback = { reply: 'This is the fake model speaking.' };
    },
    close: () => server.close(),
  };
}

/** generateContent answers in one response: the streamed chunks joined. */
function mergeForUnary(responses: object[]): object {
  type Chunk = { candidates?: Array<{ content: { role: string; parts: Array<{ text?: string }> }; finishReason?: string }> };
  const chunks = responses as Chunk[];
  const last = chunks.at(-1) ?? {};
  if (!last.candidates) return last;
  const text = chunks.map((chunk) => chunk.candidates?.[0]?.content.parts.map((p) => p.text ?? '').join('') ?? '').join('');
  return { ...last, candidates: [{ ...last.candidates[0], content: { role: 'model', parts: text ? [{ text }] : [] } }] };
}
