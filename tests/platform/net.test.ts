// The pg_net stand-in: requests leave only after their transaction commits, never after a
// rollback, and each response is recorded in net._http_response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, superuser } from '../support/db.ts';
import { startFakeServer, type FakeServer } from '../support/fake-server.ts';

let receiver: FakeServer;

beforeAll(async () => {
  receiver = await startFakeServer(() => ({ status: 202, body: '{"ok":true}' }));
});
afterAll(() => receiver.close());

async function waitForResponse(id: number) {
  for (let i = 0; i < 100; i++) {
    const [row] = await superuser()`select status_code, content, timed_out, error_msg from net._http_response where id = ${id}`;
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no response recorded for request ${id}`);
}

describe('net.http_post', () => {
  it('is delivered after commit with its body and headers, and the response is recorded', async () => {
    const sql = connectAs('postgres');
    const [{ id }] = await sql.begin(async (tx) => {
      const rows = await tx`select net.http_post(
        url := ${receiver.url + '/hook'},
        body := '{"hello":"world"}'::jsonb,
        params := '{"a":"1"}'::jsonb,
        headers := '{"Content-Type":"application/json","X-Probe":"yes"}'::jsonb) as id`;
      // Nothing leaves while the transaction is open.
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.requests.filter((r) => r.path.startsWith('/hook'))).toHaveLength(0);
      return rows;
    });
    const response = await waitForResponse(Number(id));
    expect(response).toMatchObject({ status_code: 202, content: '{"ok":true}', timed_out: false });
    const delivered = receiver.requests.find((r) => r.path === '/hook?a=1');
    expect(delivered).toBeDefined();
    expect(JSON.parse(delivered!.body)).toEqual({ hello: 'world' });
    expect(delivered!.headers['x-probe']).toBe('yes');
  });

  it('is never delivered from a rolled-back transaction', async () => {
    const sql = connectAs('postgres');
    const rolledBack = sql.begin(async (tx) => {
      await tx`select net.http_post(url := ${receiver.url + '/rolled-back'}, body := '{}'::jsonb)`;
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    // A committed request sent afterwards proves the worker ran in the meantime.
    const [{ id }] = await sql`select net.http_post(url := ${receiver.url + '/after'}, body := '{}'::jsonb) as id`;
    await waitForResponse(Number(id));
    expect(receiver.requests.some((r) => r.path === '/rolled-back')).toBe(false);
  });

  it('records a connection failure instead of retrying', async () => {
    const [{ id }] = await connectAs('postgres')`select net.http_post(url := 'http://127.0.0.1:9/nothing', body := '{}'::jsonb) as id`;
    const response = await waitForResponse(Number(id));
    expect(response.status_code).toBeNull();
    expect(response.error_msg).toBeTruthy();
  });

  it('supabase_functions.http_request sends the database webhook payload', async () => {
    const admin = connectAs('postgres');
    await admin`create table if not exists public.platform_webhook_probe (id int primary key, note text)`;
    await admin`drop trigger if exists platform_webhook_probe on public.platform_webhook_probe`;
    await admin.unsafe(`create trigger platform_webhook_probe after insert on public.platform_webhook_probe
      for each row execute function supabase_functions.http_request('${receiver.url}/webhook', 'POST', '{"Content-Type":"application/json"}', '{}', '5000')`);
    await admin`insert into public.platform_webhook_probe values (1, 'hi')`;
    await expect.poll(() => receiver.requests.some((r) => r.path === '/webhook'), { timeout: 5000 }).toBe(true);
    const delivered = receiver.requests.find((r) => r.path === '/webhook')!;
    expect(JSON.parse(delivered.body)).toEqual({
      type: 'INSERT',
      table: 'platform_webhook_probe',
      schema: 'public',
      record: { id: 1, note: 'hi' },
      old_record: null,
    });
  });
});
