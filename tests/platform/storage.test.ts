// The storage helper enforces what the Storage API enforces: bucket limits outside Postgres,
// RLS on storage.objects for private buckets, and no RLS for public-bucket reads.
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAs, superuser } from '../support/db.ts';
import { storageAs } from '../support/storage.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { asServiceRole } from '../support/postgrest.ts';
import { apiKeys } from '../../scripts/lib/local-platform.ts';

const PRIVATE = 'platform-private';
const PUBLIC = 'platform-public';
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  const admin = connectAs('postgres');
  await admin`insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
              values (${PRIVATE}, ${PRIVATE}, false, 1024, ${['image/png', 'text/*']}),
                     (${PUBLIC}, ${PUBLIC}, true, null, null)
              on conflict (id) do nothing`;
  for (const [name, command, using] of [
    ['Platform probe: owners read their folder', 'select', 'using'],
    ['Platform probe: owners update their folder', 'update', 'using'],
    ['Platform probe: owners delete their folder', 'delete', 'using'],
  ] as const) {
    await admin.unsafe(`drop policy if exists "${name}" on storage.objects`);
    await admin.unsafe(`create policy "${name}" on storage.objects for ${command} to authenticated
      ${using} (bucket_id in ('${PRIVATE}', '${PUBLIC}') and (storage.foldername(name))[1] = (select auth.uid())::text)`);
  }
  await admin.unsafe(`drop policy if exists "Platform probe: owners upload to their folder" on storage.objects`);
  await admin.unsafe(`create policy "Platform probe: owners upload to their folder" on storage.objects for insert to authenticated
    with check (bucket_id in ('${PRIVATE}', '${PUBLIC}') and (storage.foldername(name))[1] = (select auth.uid())::text)`);
  owner = await createUser();
  stranger = await createUser();
});

describe('storage helper', () => {
  it('uploads into the caller’s own folder and refuses another folder with 403', async () => {
    const ok = await storageAs(owner).upload(PRIVATE, `${owner.id}/a.png`, { contentType: 'image/png', size: 10 });
    expect(ok.error).toBeNull();
    const denied = await storageAs(stranger).upload(PRIVATE, `${owner.id}/b.png`, { contentType: 'image/png', size: 10 });
    expect(denied.error?.statusCode).toBe(403);
  });

  it('enforces the bucket size limit and MIME types from the bucket row', async () => {
    const big = await storageAs(owner).upload(PRIVATE, `${owner.id}/big.png`, { contentType: 'image/png', size: 2048 });
    expect(big.error?.statusCode).toBe(413);
    const gif = await storageAs(owner).upload(PRIVATE, `${owner.id}/x.gif`, { contentType: 'image/gif', size: 10 });
    expect(gif.error?.statusCode).toBe(415);
    const text = await storageAs(owner).upload(PRIVATE, `${owner.id}/notes.txt`, { contentType: 'text/plain', size: 10 });
    expect(text.error).toBeNull();
  });

  it('a second upload to the same path conflicts unless it is an upsert', async () => {
    const path = `${owner.id}/same.png`;
    expect((await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 1 })).error).toBeNull();
    expect((await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 1 })).error?.statusCode).toBe(409);
    expect((await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 2, upsert: true })).error).toBeNull();
  });

  it('private downloads and listings follow RLS', async () => {
    const path = `${owner.id}/private.png`;
    await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 1 });
    expect((await storageAs(owner).download(PRIVATE, path)).error).toBeNull();
    expect((await storageAs(stranger).download(PRIVATE, path)).error?.statusCode).toBe(404);
    expect((await storageAs(stranger).list(PRIVATE, `${owner.id}/`)).data).toEqual([]);
    expect((await storageAs(owner).list(PRIVATE, `${owner.id}/`)).data).toContain(path);
  });

  it('public buckets are readable by anyone without RLS', async () => {
    const path = `${owner.id}/public.png`;
    await storageAs(owner).upload(PUBLIC, path, { contentType: 'image/png', size: 1 });
    const anonKey = (await apiKeys()).anonKey;
    const anon = { jwt: anonKey, claims: { role: 'anon' } };
    expect((await storageAs(anon).download(PUBLIC, path)).error).toBeNull();
    expect((await storageAs(stranger).download(PUBLIC, path)).error).toBeNull();
  });

  it('deletes only what RLS lets the caller delete', async () => {
    const path = `${owner.id}/delete-me.png`;
    await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 1 });
    expect((await storageAs(stranger).remove(PRIVATE, [path])).data).toEqual([]);
    expect((await storageAs(owner).remove(PRIVATE, [path])).data).toEqual([path]);
  });

  it('a plain SQL delete on storage.objects is refused', async () => {
    const path = `${owner.id}/sql-delete.png`;
    await storageAs(owner).upload(PRIVATE, path, { contentType: 'image/png', size: 1 });
    const result = await asServiceRole((tx) => tx`delete from storage.objects where bucket_id = ${PRIVATE} and name = ${path}`);
    expect(result.error).not.toBeNull();
    const [row] = await superuser()`select count(*)::int as n from storage.objects where bucket_id = ${PRIVATE} and name = ${path}`;
    expect(row.n).toBe(1);
  });
});
