// Private channel authorization through RLS on realtime.messages, probed as Realtime does.
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAs } from '../support/db.ts';
import { authorizeChannel } from '../support/realtime.ts';
import { asUser } from '../support/postgrest.ts';
import { createUser, type TestUser } from '../support/users.ts';

let member: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  member = await createUser();
  outsider = await createUser();
  const admin = connectAs('postgres');
  await admin`drop policy if exists "Platform probe: users read their own topic" on realtime.messages`;
  await admin`create policy "Platform probe: users read their own topic" on realtime.messages for select to authenticated
              using ((select realtime.topic()) = 'probe:' || (select auth.uid())::text)`;
  await admin`drop policy if exists "Platform probe: users write their own topic" on realtime.messages`;
  await admin`create policy "Platform probe: users write their own topic" on realtime.messages for insert to authenticated
              with check ((select realtime.topic()) = 'probe:' || (select auth.uid())::text and extension = 'broadcast')`;
});

describe('realtime helper', () => {
  it('realtime.topic() reads the topic Realtime sets on join', async () => {
    const { data } = await asUser(member, async (tx) => {
      await tx`select set_config('realtime.topic', 'room:1', true)`;
      return tx`select realtime.topic() as topic`;
    });
    expect(data?.[0].topic).toBe('room:1');
  });

  it('a user may read and write their own private topic', async () => {
    expect(await authorizeChannel(member, `probe:${member.id}`)).toEqual({ read: true, write: true });
  });

  it('another user may neither read nor write it', async () => {
    expect(await authorizeChannel(outsider, `probe:${member.id}`)).toEqual({ read: false, write: false });
  });

  it('policies can tell presence from broadcast', async () => {
    expect(await authorizeChannel(member, `probe:${member.id}`, 'presence')).toEqual({ read: true, write: false });
  });

  it('probes leave no rows behind', async () => {
    await authorizeChannel(member, `probe:${member.id}`);
    const [row] = await connectAs('supabase_admin')`select count(*)::int as n from realtime.messages where topic = ${`probe:${member.id}`}`;
    expect(row.n).toBe(0);
  });
});
