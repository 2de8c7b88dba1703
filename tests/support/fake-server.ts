// A small HTTP server on 127.0.0.1 that records every request and answers from a script:
// the stand-in for Gemini, Stripe, Resend and webhook receivers in tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body's bytes, for binary uploads. */
  raw: Buffer;
}

export type Responder = (request: RecordedRequest) => {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Answers only once this settles (after delayMs): holds callers in flight until a test lets them go. */
  hold?: Promise<unknown>;
};

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Replaces how the server answers from now on. */
  respond(responder: Responder): void;
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export async function startFakeServer(responder: Responder = () => ({ status: 200, body: '{}' })): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let current = responder;
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: raw.toString('utf8'), raw };
      requests.push(recorded);
      waiters.splice(0).forEach((wake) => wake());
      const answer = current(recorded);
      setTimeout(() => {
        void Promise.resolve(answer.hold).catch(() => {}).then(() => {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body ?? '');
        });
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      current = next;
    },
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return requests;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
