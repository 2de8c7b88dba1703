// The database webhook: after a transaction that queued e-mails commits, net.http_post asks
// send-notifications to deliver them, with the URL and service key read from Vault. Also the
// scheduled jobs (the sweep, the export cleanup), which call the functions the same way; they
// share this file because Vault is shared by the whole test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, superuser } from '../support/db.ts';
import { type FakeServer, startFakeServer } from '../support/fake-server.ts';
import { uniqueEmail } from '../support/users.ts';
import { lockVault } from '../support/vault.ts';
import { queueMessages } from './fixtures.ts';

let functionsGateway: FakeServer;
let releaseVault: (() => Promise<void>) | undefined;

async function setSecret(name: string, value: string) {
  await superuser()`delete from vault.secrets where name = ${name}`;
  await superuser()`select vault.create_secret(${value}, ${name})`;
}

async function removeSecrets() {
  await superuser()`delete from vault.secrets where name in ('functions_base_url', 'service_role_key')`;
}

beforeAll(async () => {
  releaseVault = await lockVault();
  functionsGateway = await startFakeServer(() => ({ status: 200, body: '{"status":"success"}' }));
  await setSecret('functions_base_url', `${functionsGateway.url}/functions/v1/`);
  await setSecret('service_role_key', 'service-key-from-vault');
});
afterAll(async () => {
  await removeSecrets();
  await functionsGateway?.close();
  await releaseVault?.();
});

function requestsFor(ids: string[]) {
  return functionsGateway.requests.filter((r) => {
    const body = JSON.parse(r.body || '{}') as { ids?: string[] };
    return body.ids?.some((id) => ids.includes(id));
  });
}

async function waitForRequestFor(ids: string[]) {
  await expect.poll(() => requestsFor(ids).length, { timeout: 5000 }).toBeGreaterThan(0);
  return requestsFor(ids);
}

describe('database webhook', () => {
  it('posts the ids one statement queued to send-notifications with the service key, once', async () => {
    const ids = await queueMessages(3, uniqueEmail('hooked'));
    const [request] = await waitForRequestFor(ids);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/functions/v1/send-notifications');
    expect(request.headers.authorization).toBe('Bearer service-key-from-vault');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body).ids.sort()).toEqual([...ids].sort());
    expect(requestsFor(ids)).toHaveLength(1);
  });

  it('a bulk insert of more than 500 messages asks for a sweep (body {}) instead of listing ids', async () => {
    const before = functionsGateway.requests.length;
    await queueMessages(501, uniqueEmail('bulk'));
    await expect.poll(
      () => functionsGateway.requests.slice(before).some((r) => r.path === '/functions/v1/send-notifications' && r.body === '{}'),
      { timeout: 5000 },
    ).toBe(true);
  });

  it('waits for the commit and sends nothing for a rolled-back transaction', async () => {
    let queued: string[] = [];
    await expect(superuser().begin(async (tx) => {
      const rows = await tx`
        insert into private.notifications (kind, recipient, payload, dedupe_key)
        values ('order_paid', ${uniqueEmail('rolled')}, '{}', ${`rollback:${Date.now()}`}) returning id`;
      queued = rows.map((r) => r.id);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    // A later committed message proves the delivery worker ran in the meantime.
    const later = await queueMessages(1, uniqueEmail('later'));
    await waitForRequestFor(later);
    expect(requestsFor(queued)).toHaveLength(0);
  });

  it('nothing is posted while the transaction is still open', async () => {
    const ids = await superuser().begin(async (tx) => {
      const rows = await tx`
        insert into private.notifications (kind, recipient, payload, dedupe_key)
        values ('order_paid', ${uniqueEmail('open')}, '{}', ${`open:${Date.now()}`}) returning id`;
      const inserted = rows.map((r) => r.id as string);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(requestsFor(inserted)).toHaveLength(0);
      return inserted;
    });
    await waitForRequestFor(ids);
  });

  it('skips quietly when Vault has no URL or key, and the messages stay pending for the sweep', async () => {
    await removeSecrets();
    let skipped: string[];
    try {
      skipped = await queueMessages(1, uniqueEmail('unconfigured'));
    } finally {
      await setSecret('functions_base_url', `${functionsGateway.url}/functions/v1`);
      await setSecret('service_role_key', 'service-key-from-vault');
    }
    const after = await queueMessages(1, uniqueEmail('configured'));
    await waitForRequestFor(after);
    expect(requestsFor(skipped)).toHaveLength(0);
    const [row] = await superuser()`select status from private.notifications where id = ${skipped[0]}`;
    expect(row.status).toBe('pending');
  });

  it('a duplicate event (same dedupe key) queues and posts nothing', async () => {
    const key = `dup:${Date.now()}`;
    const insert = () => superuser()`
      insert into private.notifications (kind, recipient, payload, dedupe_key)
      select 'order_paid', 'dup@example.test', '{}', ${key}
      on conflict (dedupe_key) do nothing returning id`;
    const [first] = await insert();
    expect(await insert()).toHaveLength(0);
    await waitForRequestFor([first.id]);
    const [{ count }] = await superuser()`select count(*)::int from private.notifications where dedupe_key = ${key}`;
    expect(count).toBe(1);
  });
});

describe('scheduled jobs', () => {
  async function job(name: string) {
    const [row] = await superuser()`select schedule, command, username, active from cron.job where jobname = ${name}`;
    return row;
  }

  it('the sweep runs every minute as postgres and asks send-notifications for whatever is due', async () => {
    const sweep = await job('send-notifications-sweep');
    expect(sweep).toMatchObject({ schedule: '* * * * *', username: 'postgres', active: true });
    const before = functionsGateway.requests.length;
    await connectAs('postgres').unsafe(sweep.command);
    await expect.poll(
      () => functionsGateway.requests.slice(before).some((r) => r.path === '/functions/v1/send-notifications' && r.body === '{}'),
      { timeout: 5000 },
    ).toBe(true);
  });

  it('the export cleanup runs hourly and asks orders-export to remove expired files', async () => {
    const cleanup = await job('remove-expired-exports');
    expect(cleanup).toMatchObject({ schedule: '17 * * * *', username: 'postgres', active: true });
    const before = functionsGateway.requests.length;
    await connectAs('postgres').unsafe(cleanup.command);
    await expect.poll(
      () => functionsGateway.requests.slice(before).find((r) => r.path === '/functions/v1/orders-export/cleanup')?.headers.authorization,
      { timeout: 5000 },
    ).toBe('Bearer service-key-from-vault');
  });
});
