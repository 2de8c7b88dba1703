// Reading Gemini's answers (GenerateContentResponse, REST and SSE alike) into what the chatbot
// stores, and the errors it can end in. Structural types, so this module needs no SDK.

export interface RawResponse {
  candidates?: Array<{
    content?: { parts?: Array<{ text?: string; thought?: boolean }> };
    finishReason?: string;
  }>;
  promptFeedback?: { blockReason?: string };
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
}

export interface ModelReply {
  text: string;
  finishReason: string | null;
  blocked: boolean;
  inputTokens: number | null;
  outputTokens: number | null;
}

/** busy: 429/500/503 (retried); rejected: any other HTTP error; timeout; malformed answer. */
export type UpstreamFailure = 'busy' | 'rejected' | 'timeout' | 'malformed';

export class UpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Finish reasons meaning a safety or policy filter stopped the answer. */
const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'RECITATION', 'IMAGE_SAFETY',
]);

/** The visible text of one response or chunk (thoughts are not part of the answer). */
export function textOf(raw: RawResponse): string {
  return (raw.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => !part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

/** Folds a whole response, or all chunks of a stream in order, into one reply. */
export function readReply(chunks: RawResponse[]): ModelReply {
  let text = '';
  let finishReason: string | null = null;
  let blockReason: string | null = null;
  let inputTokens: number | null = null;
  let outputTokens: number | null = null;
  let sawCandidate = false;
  for (const chunk of chunks) {
    if (typeof chunk !== 'object' || chunk === null) throw new UpstreamError('malformed', 'The model sent something that is not a response.');
    if (chunk.promptFeedback?.blockReason) blockReason = chunk.promptFeedback.blockReason;
    if (chunk.candidates?.length) sawCandidate = true;
    text += textOf(chunk);
    finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
    inputTokens = chunk.usageMetadata?.promptTokenCount ?? inputTokens;
    outputTokens = chunk.usageMetadata?.candidatesTokenCount ?? outputTokens;
  }
  if (blockReason) {
    return { text: '', finishReason: blockReason, blocked: true, inputTokens, outputTokens };
  }
  const blocked = finishReason !== null && BLOCKING_FINISH_REASONS.has(finishReason);
  if (!sawCandidate || (!blocked && text.trim() === '')) {
    throw new UpstreamError('malformed', 'The model answered without any text.');
  }
  return { text, finishReason, blocked, inputTokens, outputTokens };
}

/** Gemini's google.rpc.RetryInfo (`"retryDelay": "2s"`) in an error body, in milliseconds. */
export function retryDelayOf(errorBody: string): number | undefined {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(errorBody);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}
