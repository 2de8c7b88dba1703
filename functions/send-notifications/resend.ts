// The Resend e-mail API (POST {base}/emails), over fetch. Pure of Deno: vitest can use it.
import type { Email } from '../_shared/email.ts';

export interface ResendConfig {
  apiBase: string;
  apiKey: string;
  from: string;
  timeoutMs: number;
}

export type SendResult =
  | { ok: true; providerId: string }
  | { ok: false; status: number | null; error: string };

export type EmailSender = (message: { idempotencyKey: string; to: string; email: Email }) => Promise<SendResult>;

export function resendSender(config: ResendConfig, fetchImpl: typeof fetch = fetch): EmailSender {
  const url = `${config.apiBase.replace(/\/+$/, '')}/emails`;
  return async ({ idempotencyKey, to, email }) => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.apiKey}`,
          'content-type': 'application/json',
          // Resend answers a repeated key with the first result: a message retried after a
          // lost answer is not delivered twice.
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ from: config.from, to: [to], subject: email.subject, html: email.html, text: email.text }),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error)?.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : String((error as Error)?.message ?? error);
      return { ok: false, status: null, error: `Resend unreachable: ${reason}` };
    }
    const body = await response.text();
    if (!response.ok) {
      return { ok: false, status: response.status, error: `Resend answered ${response.status}: ${body.slice(0, 500)}` };
    }
    try {
      const id = (JSON.parse(body) as { id?: unknown }).id;
      if (typeof id === 'string' && id) return { ok: true, providerId: id };
    } catch {
      // Falls through: a 2xx without an id is recorded as sent without a provider id.
    }
    return { ok: true, providerId: '' };
  };
}
