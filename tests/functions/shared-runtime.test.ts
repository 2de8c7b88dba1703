// The functions' environment rules and logs, run under Deno as the functions are: one rule for
// every variable, and every log line of a request carrying its request id (Supabase's
// sb-request-id when sent), with the stack of every 500.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/local-platform.ts';

const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');
const shared = (file: string) => JSON.stringify(path.join(ROOT, 'functions', '_shared', file));

/** Runs TypeScript under Deno with the project's import map; resolves with stdout and the exit code. */
function deno(code: string, env: Record<string, string> = {}): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DENO, ['eval', '--quiet', '--ext=ts', code], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DENO_NO_UPDATE_CHECK: '1', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ out, err, code }));
  });
}

const lines = (out: string) => out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('envInt and envText', () => {
  const read = `import { envInt, envText } from ${shared('env.ts')};
    const range = { min: 1, max: 500 };
    console.log(JSON.stringify({ size: envInt('SIZE', 50, range), name: envText('NAME', 'fallback') ?? null, none: envText('NONE') ?? null }));`;

  it('unset or empty variables take their defaults', async () => {
    const { out, code } = await deno(read, { SIZE: '', NAME: '' });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ size: 50, name: 'fallback', none: null });
  });

  it('a value in range is used', async () => {
    expect(JSON.parse((await deno(read, { SIZE: '200', NAME: 'given' })).out)).toEqual({ size: 200, name: 'given', none: null });
  });

  it.each(['abc', '2.5', '0', '501'])('a malformed or out-of-range integer (%s) stops the function, naming the variable', async (value) => {
    const { code, err } = await deno(read, { SIZE: value });
    expect(code).not.toBe(0);
    expect(err).toContain(`SIZE must be an integer from 1 to 500, not "${value}"`);
  });
});

describe('request ids and stacks in the logs', () => {
  const serveOnce = (headers: string) => `import { handle } from ${shared('http.ts')};
    import { jsonLogger } from ${shared('log.ts')};
    const log = jsonLogger('probe');
    const later: Promise<void>[] = [];
    const handler = handle(log, async (req) => {
      const path = new URL(req.url).pathname;
      log({ event: 'working', path });
      // Work that goes on after the response (a background job) keeps the id too.
      later.push(new Promise((resolve) => setTimeout(() => { log({ event: 'background', path }); resolve(); }, 10)));
      if (new URL(req.url).pathname === '/fail') throw new Error('boom in the handler');
      return new Response('ok');
    });
    await handler(new Request('http://local/ok', { headers: ${headers} }));
    await handler(new Request('http://local/fail', { headers: ${headers} }));
    await Promise.all(later);`;

  it('every line of a request carries Supabase\'s sb-request-id when sent, and a 500 logs its stack', async () => {
    const { out, code, err } = await deno(serveOnce(`{ 'sb-request-id': 'req-from-supabase-1' }`));
    expect(code, err).toBe(0);
    const logged = lines(out);
    expect(logged.map((line) => line.event)).toEqual(['working', 'request', 'working', 'unhandled_error', 'request', 'background', 'background']);
    expect(logged.every((line) => line.request_id === 'req-from-supabase-1')).toBe(true);
    const failure = logged.find((line) => line.event === 'unhandled_error')!;
    expect(failure).toMatchObject({ level: 'error', message: 'boom in the handler' });
    expect(String(failure.stack)).toMatch(/Error: boom in the handler\n\s+at /);
    expect(logged.filter((line) => line.event === 'request').map((line) => line.status)).toEqual([200, 500]);
  });

  it('without the header each request gets its own id, shared by all its lines', async () => {
    const logged = lines((await deno(serveOnce('{}'))).out);
    const idsOf = (path: string) => new Set(logged.filter((line) => line.path === path).map((line) => line.request_id));
    const ok = idsOf('/ok');
    const fail = idsOf('/fail');
    // working and background lines of each request share one id
    expect(ok.size).toBe(1);
    expect(fail.size).toBe(1);
    const [okId] = ok;
    const [failId] = fail;
    expect(okId).toMatch(/^[0-9a-f-]{36}$/);
    expect(failId).not.toBe(okId);
    // the request and error lines carry them too
    expect(logged.slice(0, 2).every((line) => line.request_id === okId)).toBe(true);
    expect(logged.slice(2, 5).every((line) => line.request_id === failId)).toBe(true);
  });
});
