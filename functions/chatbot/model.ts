// The chatbot's view of the model: one call, or a stream whose connection is established
// (and whose HTTP errors are known) before the first chunk is read.
import type { GeminiContent } from './prompt.ts';
import type { RawResponse } from './reply.ts';

export interface ModelRequest {
  model: string;
  systemInstruction: string;
  contents: GeminiContent[];
  signal: AbortSignal;
}

export interface ModelClient {
  generate(request: ModelRequest): Promise<RawResponse>;
  stream(request: ModelRequest): Promise<AsyncIterable<RawResponse>>;
}
