// GET /functions/v1/health over HTTP, through the gateway, against the test database.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';
import { startFunctions, type RunningFunctions } from '../support/functions.ts';

let functions: RunningFunctions;

beforeAll(async () => {
  functions = await startFunctions();
});
afterAll(() => functions.stop());

const newestMigration = readdirSync(path.join(ROOT, 'supabase', 'migrations')).sort().at(-1)!.split('_')[0];

describe('health', () => {
  it('answers without a JWT (verify_jwt = false) with the newest applied migration', async () => {
    const res = await functions.call('health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await res.json();
    expect(body).toMatchObject({
      status: 'success',
      message: 'Sokoni is healthy.',
      data: { database: { reachable: true, latest_migration: newestMigration } },
    });
    expect(Date.parse(body.data.checked_at)).not.toBeNaN();
  });

  it('refuses other methods with 405 in the envelope', async () => {
    const res = await functions.call('health', { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ status: 'error', code: 'METHOD_NOT_ALLOWED', message: 'Use GET.' });
  });

  it('answers CORS preflights', async () => {
    const res = await functions.call('health', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('health without a database', () => {
  let offline: RunningFunctions;
  beforeAll(async () => {
    offline = await startFunctions({ SUPABASE_DB_URL: 'postgresql://postgres:postgres@127.0.0.1:9/postgres' });
  });
  afterAll(() => offline.stop());

  it('answers 503 DATABASE_UNAVAILABLE', async () => {
    const res = await offline.call('health');
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'error', code: 'DATABASE_UNAVAILABLE' });
    expect(body.details.database.reachable).toBe(false);
  });
});
