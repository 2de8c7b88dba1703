// ModelClient over the official Google Gen AI SDK. The SDK makes one attempt per call (our retry
// policy decides about more); its errors become UpstreamErrors the handler maps to HTTP.
import { ApiError, GoogleGenAI } from '@google/genai';
import type { ModelClient, ModelRequest } from './model.ts';
import { type RawResponse, retryDelayOf, UpstreamError } from './reply.ts';
import { isRetryableStatus } from './retry.ts';

export interface GeminiOptions {
  apiKey: string;
  /** GEMINI_API_BASE: another host for the API (a proxy, or a fake in tests). */
  baseUrl?: string;
}

/**
 * The Gemini API version the assistant calls. @google/genai 3.3.0 defaults to `v1`; Google's
 * Gemini API reference documents generateContent, streamGenerateContent and systemInstruction
 * under `v1beta`, the version its own examples call, so the client pins it rather than follow
 * an SDK default that may change with the next release.
 */
export const GEMINI_API_VERSION = 'v1beta';

function upstreamError(error: unknown, signal: AbortSignal): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (signal.aborted) return new UpstreamError('timeout', 'The model did not answer in time.');
  if (error instanceof ApiError) {
    return isRetryableStatus(error.status)
      ? new UpstreamError('busy', `The model is unavailable (HTTP ${error.status}).`, error.status, retryDelayOf(error.message))
      : new UpstreamError('rejected', `The model refused the request (HTTP ${error.status}).`, error.status);
  }
  if (error instanceof SyntaxError) return new UpstreamError('malformed', 'The model sent an answer that is not valid JSON.');
  return new UpstreamError('malformed', `The model could not be reached: ${(error as Error)?.message ?? error}.`);
}

function parameters(request: ModelRequest) {
  return {
    model: request.model,
    contents: request.contents,
    config: { systemInstruction: request.systemInstruction, abortSignal: request.signal },
  };
}

export function createGeminiClient(options: GeminiOptions): ModelClient {
  const ai = new GoogleGenAI({
    apiKey: options.apiKey,
    httpOptions: { baseUrl: options.baseUrl, apiVersion: GEMINI_API_VERSION },
  });
  return {
    async generate(request) {
      try {
        return await ai.models.generateContent(parameters(request)) as RawResponse;
      } catch (error) {
        throw upstreamError(error, request.signal);
      }
    },
    async stream(request) {
      let chunks: AsyncGenerator<RawResponse>;
      try {
        chunks = await ai.models.generateContentStream(parameters(request)) as AsyncGenerator<RawResponse>;
      } catch (error) {
        throw upstreamError(error, request.signal);
      }
      return (async function* () {
        try {
          yield* chunks;
        } catch (error) {
          throw upstreamError(error, request.signal);
        }
      })();
    },
  };
}
