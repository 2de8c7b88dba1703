// Delivers requests queued by the pg_net stand-in (net.http_post / net.http_get), the way
// pg_net's background worker does: only rows of committed transactions are ever visible,
// each request is sent once, and its outcome lands in net._http_response. No retries.
import postgres from 'postgres';

export const NET_QUEUE_CHANNEL = 'net_http_request_queue';
const BATCH = 50;
const SWEEP_MS = 1000;

interface QueuedRequest {
  id: number;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
}

export interface NetWorker {
  stop(): Promise<void>;
}

export async function startNetWorker(
  dbUrl: string,
  log: (event: Record<string, unknown>) => void = () => {},
): Promise<NetWorker> {
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });
  let stopped = false;
  let draining: Promise<void> | null = null;
  let again = false;

  async function deliver(request: QueuedRequest): Promise<void> {
    let response: { status: number; contentType: string | null; headers: Record<string, string>; content: string } | null = null;
    let timedOut = false;
    let error: string | null = null;
    try {
      const res = await fetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        body: request.method === 'GET' || request.body === null ? undefined : new Uint8Array(request.body),
        signal: AbortSignal.timeout(request.timeout_milliseconds),
      });
      response = {
        status: res.status,
        contentType: res.headers.get('content-type'),
        headers: Object.fromEntries(res.headers),
        content: await res.text(),
      };
    } catch (caught) {
      const err = caught as Error;
      timedOut = err.name === 'TimeoutError';
      error = timedOut ? `Timeout of ${request.timeout_milliseconds} ms reached` : err.message;
    }
    await sql`
      insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
      values (${request.id}, ${response?.status ?? null}, ${response?.contentType ?? null},
              ${response ? sql.json(response.headers) : null}, ${response?.content ?? null}, ${timedOut}, ${error})`;
    log({ event: 'net.delivered', id: request.id, url: request.url, status: response?.status, error });
  }

  async function drainOnce(): Promise<number> {
    // Claiming deletes the rows, so a request is never sent twice even with several workers.
    const claimed = await sql<QueuedRequest[]>`
      delete from net.http_request_queue
      where id in (select id from net.http_request_queue order by id limit ${BATCH} for update skip locked)
      returning id, method::text as method, url, headers, body, timeout_milliseconds`;
    await Promise.all(claimed.map(deliver));
    return claimed.length;
  }

  function drain(): Promise<void> {
    if (draining) {
      again = true;
      return draining;
    }
    draining = (async () => {
      try {
        do {
          again = false;
          while (!stopped && (await drainOnce()) === BATCH);
        } while (again && !stopped);
      } catch (error) {
        if (!stopped) log({ event: 'net.error', error: (error as Error).message });
      } finally {
        draining = null;
      }
    })();
    return draining;
  }

  const listener = await sql.listen(NET_QUEUE_CHANNEL, () => void drain());
  const sweep = setInterval(() => void drain(), SWEEP_MS);
  void drain();

  return {
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await draining;
      await listener.unlisten();
      await sql.end({ timeout: 2 });
    },
  };
}
