// The chat-attachments bucket through the Storage API's checks: every actor × upload, download,
// list and delete, for objects at <conversation_id>/<uploader_id>/<file>; then attachments in
// messages must be files the sender uploaded to that conversation.
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../scripts/lib/local-platform.ts';
import { createCustomer } from '../support/fixtures.ts';
import { ACTORS, type Actor } from '../support/matrix.ts';
import type { Caller } from '../support/postgrest.ts';
import { storageAs } from '../support/storage.ts';
import { type ChatWorld, createChatWorld, rpc, send, startConversation } from './fixtures.ts';

const BUCKET = 'chat-attachments';
const jpeg = { contentType: 'image/jpeg', size: 300_000 };
let w: ChatWorld;
let conversation: string;
let customerFile: string;
let callers: Record<Actor, Caller & { claims: { sub?: unknown } }>;

function decode(jwt: string): Caller {
  return { jwt, claims: JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) };
}

beforeAll(async () => {
  w = await createChatWorld('chat-files');
  conversation = (await startConversation(w.customer, w.business, 'See the photo')).id;
  customerFile = `${conversation}/${w.customer.id}/leaf.jpg`;
  const upload = await storageAs(w.customer).upload(BUCKET, customerFile, jpeg);
  if (upload.error) throw new Error(upload.error.message);
  const keys = await apiKeys();
  callers = {
    anon: decode(keys.anonKey), serviceRole: decode(keys.serviceRoleKey),
    customer: w.customer, otherCustomer: w.otherCustomer, viewer: w.business.viewer, editor: w.business.editor,
    approver: w.business.approver, admin: w.business.admin, otherAdmin: w.otherBusiness.admin,
  };
});

const expected: Record<string, Record<Actor, boolean>> = {
  // Into their own folder of the conversation: whoever may send there.
  'upload to their own folder': {
    anon: false, customer: true, otherCustomer: false, viewer: false, editor: true, approver: true, admin: true, otherAdmin: false, serviceRole: true,
  },
  // Into the customer's folder: only the customer (and service_role).
  "upload to the customer's folder": {
    anon: false, customer: true, otherCustomer: false, viewer: false, editor: false, approver: false, admin: false, otherAdmin: false, serviceRole: true,
  },
  "download the customer's file": {
    anon: false, customer: true, otherCustomer: false, viewer: true, editor: true, approver: true, admin: true, otherAdmin: false, serviceRole: true,
  },
  'list the conversation folder': {
    anon: false, customer: true, otherCustomer: false, viewer: true, editor: true, approver: true, admin: true, otherAdmin: false, serviceRole: true,
  },
};

describe.each(Object.entries(expected))('chat-attachments: %s', (operation, allowed) => {
  it.each(ACTORS)('%s', async (actor) => {
    const caller = callers[actor];
    const client = storageAs(caller);
    let ok: boolean;
    if (operation === 'upload to their own folder') {
      const folder = caller.claims.sub ? String(caller.claims.sub) : 'nobody';
      ok = (await client.upload(BUCKET, `${conversation}/${folder}/${actor}-${Date.now()}.jpg`, jpeg)).error === null;
    } else if (operation === "upload to the customer's folder") {
      ok = (await client.upload(BUCKET, `${conversation}/${w.customer.id}/${actor}-${Date.now()}.jpg`, jpeg)).error === null;
    } else if (operation === "download the customer's file") {
      ok = (await client.download(BUCKET, customerFile)).error === null;
    } else {
      ok = ((await client.list(BUCKET, `${conversation}/`)).data ?? []).includes(customerFile);
    }
    expect(ok).toBe(allowed[actor]);
  });
});

describe('chat-attachments: delete', () => {
  it.each(ACTORS.filter((a) => a !== 'customer' && a !== 'serviceRole'))('%s cannot delete the customer\'s file', async (actor) => {
    expect((await storageAs(callers[actor]).remove(BUCKET, [customerFile])).data ?? []).toEqual([]);
  });

  it('the uploader deletes their own file', async () => {
    const path = `${conversation}/${w.customer.id}/to-delete.jpg`;
    await storageAs(w.customer).upload(BUCKET, path, jpeg);
    expect((await storageAs(w.customer).remove(BUCKET, [path])).data).toEqual([path]);
  });
});

describe('chat-attachments: limits and paths', () => {
  it('files over 10 MiB are refused (413)', async () => {
    const result = await storageAs(w.customer).upload(BUCKET, `${conversation}/${w.customer.id}/big.jpg`, { contentType: 'image/jpeg', size: 10 * 1024 * 1024 + 1 });
    expect(result.error?.statusCode).toBe(413);
  });

  it.each(['image/png', 'image/webp', 'image/gif'])('%s is accepted', async (contentType) => {
    expect((await storageAs(w.customer).upload(BUCKET, `${conversation}/${w.customer.id}/ok-${contentType.slice(6)}`, { contentType, size: 1000 })).error).toBeNull();
  });

  it.each(['application/pdf', 'image/svg+xml'])('%s is refused (415)', async (contentType) => {
    expect((await storageAs(w.customer).upload(BUCKET, `${conversation}/${w.customer.id}/bad`, { contentType, size: 1000 })).error?.statusCode).toBe(415);
  });

  it.each([
    ['loose in the conversation folder', () => `${conversation}/loose.jpg`],
    ['below their own folder', () => `${conversation}/${w.customer.id}/deep/x.jpg`],
    ['in a conversation that does not exist', () => `${crypto.randomUUID()}/${w.customer.id}/x.jpg`],
    ['in a folder that is not a uuid', () => `inbox/${w.customer.id}/x.jpg`],
  ])('the customer cannot upload %s', async (_label, path) => {
    expect((await storageAs(w.customer).upload(BUCKET, path(), jpeg)).error?.statusCode).toBe(403);
  });

  it('nobody uploads to a closed conversation', async () => {
    const customer = await createCustomer('chat-files-closed');
    const id = (await startConversation(customer, w.business)).id;
    await rpc(w.business.editor, 'close_conversation', { conversation_id: id });
    expect((await storageAs(customer).upload(BUCKET, `${id}/${customer.id}/late.jpg`, jpeg)).error?.statusCode).toBe(403);
  });
});

describe('attachments in messages', () => {
  it('a file the sender uploaded to the conversation is attached; readers download it', async () => {
    const path = `${conversation}/${w.business.editor.id}/invoice.png`;
    expect((await storageAs(w.business.editor).upload(BUCKET, path, { contentType: 'image/png', size: 5000 })).error).toBeNull();
    const message = await send(w.business.editor, conversation, 'Here is the invoice', { attachments: [path] });
    expect(message.attachments).toEqual([path]);
    expect((await storageAs(w.customer).download(BUCKET, path)).error).toBeNull();
  });

  it('an attachment-only message needs no body', async () => {
    const path = `${conversation}/${w.customer.id}/only.jpg`;
    await storageAs(w.customer).upload(BUCKET, path, jpeg);
    const [row] = (await rpc(w.customer, 'send_message', { conversation_id: conversation, body: null, attachments: [path] })).data!;
    expect(row).toMatchObject({ body: null, attachments: [path] });
  });

  it("another participant's upload cannot be attached by someone else (400)", async () => {
    const result = await rpc(w.business.editor, 'send_message', { conversation_id: conversation, body: 'mine now', attachments: [customerFile] });
    expect(result.error?.status).toBe(400);
  });

  it('a file of another conversation cannot be attached (400)', async () => {
    const other = (await startConversation(w.customer, w.otherBusiness)).id;
    const result = await rpc(w.customer, 'send_message', { conversation_id: other, body: 'moved', attachments: [customerFile] });
    expect(result.error?.status).toBe(400);
  });
});
