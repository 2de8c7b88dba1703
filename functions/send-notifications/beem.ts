// Beem's SMS API (POST {base}/v1/send, Basic auth with the API key and secret), over fetch. Pure
// of Deno: vitest can use it. Beem takes no idempotency key: delivery is at most once (the outbox
// dead-letters an SMS whose send was interrupted, private.claim_notifications).
import type { SendResult } from './resend.ts';

export interface BeemConfig {
  apiBase: string;
  apiKey: string;
  secretKey: string;
  senderId: string;
  timeoutMs: number;
}

export type SmsSender = (message: { to: string; text: string }) => Promise<SendResult>;

export function beemSender(config: BeemConfig, fetchImpl: typeof fetch = fetch): SmsSender {
  const url = `${config.apiBase.replace(/\/+$/, '')}/v1/send`;
  const basic = btoa(`${config.apiKey}:${config.secretKey}`);
  return async ({ to, text }) => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          source_addr: config.senderId,
          encoding: 0,
          schedule_time: '',
          message: text,
          recipients: [{ recipient_id: '1', dest_addr: to }],
        }),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error)?.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : String((error as Error)?.message ?? error);
      return { ok: false, status: null, error: `Beem unreachable: ${reason}` };
    }
    const body = await response.text();
    let json: { successful?: unknown; request_id?: unknown; code?: unknown; message?: unknown; valid?: unknown } = {};
    try {
      json = JSON.parse(body);
    } catch {
      // A body that is not JSON is reported as is below.
    }
    if (!response.ok || json.successful !== true) {
      return { ok: false, status: response.ok ? 400 : response.status, error: `Beem answered ${response.status}: ${body.slice(0, 500)}` };
    }
    return { ok: true, providerId: json.request_id === undefined ? '' : String(json.request_id) };
  };
}
