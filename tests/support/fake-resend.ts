// A fake Resend API (POST /emails → {id}) that records what it receives; tests switch it to
// failing (500s, timeouts) and back.
import { randomUUID } from 'node:crypto';
import { type FakeServer, type RecordedRequest, startFakeServer } from './fake-server.ts';

export interface SentEmail {
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

export interface FakeResend extends FakeServer {
  /** Answers 200 {id} to POST /emails. */
  healthy(): void;
  /** Answers every request with this status and a Resend-style error body. */
  failing(status: number): void;
  /** Never answers in time (the sender's timeout applies). */
  hanging(delayMs: number): void;
  /** Accepted messages (2xx answers), in arrival order. */
  delivered(): SentEmail[];
}

function parse(request: RecordedRequest): SentEmail {
  const body = JSON.parse(request.body) as Omit<SentEmail, 'idempotencyKey' | 'authorization'>;
  return {
    ...body,
    idempotencyKey: request.headers['idempotency-key'] as string | undefined,
    authorization: request.headers.authorization,
  };
}

export async function startFakeResend(): Promise<FakeResend> {
  const accepted = new Set<RecordedRequest>();
  const ok = (request: RecordedRequest) => {
    if (request.method !== 'POST' || request.path !== '/emails') {
      return { status: 404, body: JSON.stringify({ name: 'not_found', message: 'Not found', statusCode: 404 }) };
    }
    accepted.add(request);
    return { status: 200, body: JSON.stringify({ id: randomUUID() }) };
  };
  const server = await startFakeServer(ok);
  return {
    ...server,
    healthy: () => server.respond(ok),
    failing: (status) =>
      server.respond(() => ({
        status,
        body: JSON.stringify({ name: 'application_error', message: `failing with ${status}`, statusCode: status }),
      })),
    hanging: (delayMs) => server.respond(() => ({ status: 200, body: '{"id":"too-late"}', delayMs })),
    delivered: () => server.requests.filter((r) => accepted.has(r)).map(parse),
  };
}
