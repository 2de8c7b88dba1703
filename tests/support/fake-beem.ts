// A fake Beem SMS API (POST /v1/send) on 127.0.0.1, in Beem's wire format: Basic auth with the
// API key and secret, recipients [{recipient_id, dest_addr}] with dest_addr 255… / 254… digits,
// answering {successful, request_id, code: 100, message, valid, invalid, duplicates}; errors as
// Beem sends them ({code, message} with successful false).
import { type FakeServer, startFakeServer } from './fake-server.ts';

export const BEEM_APP = { apiKey: 'beem_test_key', secretKey: 'beem_test_secret', senderId: 'SOKONI' };

export interface SentSms {
  to: string;
  message: string;
  sourceAddr: string;
}

export interface FakeBeem extends FakeServer {
  delivered(): SentSms[];
  /** Every following request answers this (null: healthy). */
  failWith(status: number | null): void;
}

export async function startFakeBeem(): Promise<FakeBeem> {
  const sent: SentSms[] = [];
  let failure: number | null = null;
  let requestId = 10_000;
  const server = await startFakeServer((request) => {
    if (failure !== null) return { status: failure, body: JSON.stringify({ successful: false, code: 0, message: 'Service unavailable' }) };
    if (request.method !== 'POST' || request.path !== '/v1/send') return { status: 404, body: JSON.stringify({ message: 'Not Found' }) };
    const expected = `Basic ${Buffer.from(`${BEEM_APP.apiKey}:${BEEM_APP.secretKey}`).toString('base64')}`;
    if (request.headers.authorization !== expected) return { status: 401, body: JSON.stringify({ code: 120, message: 'Invalid Authentication Parameters' }) };
    const body = JSON.parse(request.body) as Record<string, unknown>;
    const recipients = body.recipients as Array<{ recipient_id?: unknown; dest_addr?: unknown }> | undefined;
    if (body.source_addr !== BEEM_APP.senderId) return { status: 400, body: JSON.stringify({ code: 111, message: 'Invalid Sender Id' }) };
    if (typeof body.message !== 'string' || body.message === '' || body.encoding !== 0) {
      return { status: 400, body: JSON.stringify({ code: 114, message: 'Invalid message or encoding' }) };
    }
    if (!Array.isArray(recipients) || recipients.length === 0 ||
        recipients.some((r) => typeof r.recipient_id !== 'string' || typeof r.dest_addr !== 'string' || !/^(255|254)\d{9}$/.test(r.dest_addr))) {
      return { status: 400, body: JSON.stringify({ code: 113, message: 'Invalid phone number' }) };
    }
    for (const r of recipients) sent.push({ to: String(r.dest_addr), message: body.message, sourceAddr: String(body.source_addr) });
    return {
      status: 200,
      body: JSON.stringify({ successful: true, request_id: ++requestId, code: 100, message: 'Message Submitted Successfully', valid: recipients.length, invalid: 0, duplicates: 0 }),
    };
  });
  return {
    ...server,
    delivered: () => [...sent],
    failWith(status) {
      failure = status;
    },
  };
}
