// `npm run token -- --email <address>` or `-- --user <uuid>`: prints a fresh access token for a
// user of the running local stack. The Docker-free stack has no Auth server to sign in with;
// this issues what Supabase Auth would at sign-in (a new session, GoTrue's claims, the custom
// access token hook, the local JWT secret), for client apps to hand to supabase-js.
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { issueAccessToken } from './lib/access-token.ts';
import { databaseUrl, DEFAULT_DB_PORT } from './lib/local-platform.ts';

const USAGE = 'usage: npm run token -- --email <address> | --user <uuid>';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let values: { email?: string; user?: string };
try {
  ({ values } = parseArgs({ options: { email: { type: 'string' }, user: { type: 'string' } } }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (!values.email === !values.user) fail(USAGE);

const auth = postgres(databaseUrl('supabase_auth_admin', DEFAULT_DB_PORT), { max: 1, onnotice: () => {}, connect_timeout: 5 });
try {
  let userId = values.user;
  if (values.email) {
    const [row] = await auth`select id from auth.users where lower(email) = lower(${values.email})`;
    if (!row) fail(`No user with the e-mail ${values.email} (the demo accounts are listed in the README).`);
    userId = row.id;
  } else if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId!)) {
    fail(`--user takes a user id (uuid), not ${JSON.stringify(userId)}.\n${USAGE}`);
  }
  const [exists] = await auth`select 1 from auth.users where id = ${userId!}`;
  if (!exists) fail(`No user with the id ${userId}.`);
  const token = await issueAccessToken(auth, userId!);
  const expires = new Date(Number(token.claims.exp) * 1000).toISOString();
  console.error(`access token for ${token.email ?? token.id} (user ${token.id}), valid until ${expires}:`);
  console.log(token.jwt);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') fail(`The local database on port ${DEFAULT_DB_PORT} does not answer: start it with \`npm start\`.`);
  throw error;
} finally {
  await auth.end();
}
