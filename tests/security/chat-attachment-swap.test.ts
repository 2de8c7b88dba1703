// Threat: rewriting a chat's evidence after the fact. A sender attached a photo (damaged goods,
// an invoice) to a message; later — long after the 15-minute edit window, without any
// `edited_at` — they replaced the bytes behind the attachment's path (a Storage upsert, a delete
// and a new upload under the same name, or a move of other bytes onto it), so the other side's
// message now shows something else. A path that a live message names is never written again.
import { beforeAll, describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { storageAs } from '../support/storage.ts';
import { type ChatWorld, createChatWorld, send, startConversation } from '../chat/fixtures.ts';

const BUCKET = 'chat-attachments';
const photo = { contentType: 'image/jpeg', size: 300_000 };
const other = { contentType: 'image/jpeg', size: 12_345, upsert: true };
let w: ChatWorld;
let conversation: string;

beforeAll(async () => {
  w = await createChatWorld('chat-swap');
  conversation = (await startConversation(w.customer, w.business)).id;
});

/** Uploads a file as the sender and sends it; the message is then made older than the edit window. */
async function sentAttachment(sender: ChatWorld['customer'], name: string): Promise<string> {
  const path = `${conversation}/${sender.id}/${name}`;
  expect((await storageAs(sender).upload(BUCKET, path, photo)).error).toBeNull();
  const message = await send(sender, conversation, 'The box arrived crushed', { attachments: [path] });
  await superuser()`update public.chat_messages set created_at = created_at - interval '1 day' where id = ${message.id}`;
  return path;
}

async function bytesSize(path: string): Promise<number> {
  const { data } = await storageAs(w.customer).download(BUCKET, path);
  return (data!.metadata as { size: number }).size;
}

describe('the bytes behind a sent chat attachment never change', () => {
  it.each([
    ['the customer', () => w.customer],
    ['a chat.reply member', () => w.business.editor],
  ])('%s cannot replace a sent attachment with an upsert (403)', async (_who, sender) => {
    const path = await sentAttachment(sender(), `upsert-${Date.now()}.jpg`);
    const replaced = await storageAs(sender()).upload(BUCKET, path, other);
    expect(replaced.error?.statusCode).toBe(403);
    expect(await bytesSize(path)).toBe(photo.size);
  });

  it('deleting a sent attachment and uploading new bytes under its name is refused (403)', async () => {
    const path = await sentAttachment(w.customer, `delete-${Date.now()}.jpg`);
    // Deleting their own upload stays allowed (the message then shows a missing file)…
    expect((await storageAs(w.customer).remove(BUCKET, [path])).data).toEqual([path]);
    // …but the name stays taken by the message.
    const again = await storageAs(w.customer).upload(BUCKET, path, { contentType: 'image/jpeg', size: 12_345 });
    expect(again.error?.statusCode).toBe(403);
  });

  it('moving other bytes onto the name of a sent attachment is refused', async () => {
    const path = await sentAttachment(w.customer, `move-${Date.now()}.jpg`);
    await storageAs(w.customer).remove(BUCKET, [path]);
    const decoy = `${conversation}/${w.customer.id}/decoy-${Date.now()}.jpg`;
    expect((await storageAs(w.customer).upload(BUCKET, decoy, other)).error).toBeNull();
    expect((await storageAs(w.customer).move(BUCKET, decoy, path)).error).not.toBeNull();
    expect((await storageAs(w.business.editor).download(BUCKET, path)).error?.statusCode).toBe(404);
  });

  it('a file no message names yet can still be replaced by its uploader (upsert before sending)', async () => {
    const path = `${conversation}/${w.customer.id}/draft-${Date.now()}.jpg`;
    expect((await storageAs(w.customer).upload(BUCKET, path, photo)).error).toBeNull();
    expect((await storageAs(w.customer).upload(BUCKET, path, other)).error).toBeNull();
    expect(await bytesSize(path)).toBe(other.size);
  });
});
