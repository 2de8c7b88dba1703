// Offline e-mail: a participant who has not read a message from the other side 10 minutes after
// it arrived gets one chat_unread e-mail through the notifications outbox, at most one an hour
// per conversation, and the e-mail never quotes a message. The cron job's clock is its `at`
// argument, moved forward here instead of waiting.
import { beforeAll, describe, expect, it } from 'vitest';
import { renderEmail } from '../../functions/send-notifications/templates.ts';
import { connectAs, superuser } from '../support/db.ts';
import { createCustomer } from '../support/fixtures.ts';
import { createUser } from '../support/users.ts';
import { type ChatWorld, createChatWorld, ok, rpc, send, startConversation } from './fixtures.ts';

let w: ChatWorld;

beforeAll(async () => {
  w = await createChatWorld('chat-mail');
});

/** Runs the job as cron does (as postgres, which scheduled it), `minutes` from now; returns how many e-mails it queued. */
async function runJob(minutes: number): Promise<number> {
  const [row] = await connectAs('postgres')`select private.queue_chat_unread_emails(now() + make_interval(mins => ${minutes})) as n`;
  return row.n;
}

function emailsFor(conversationId: string) {
  return superuser()`
    select recipient, payload from private.notifications
    where kind = 'chat_unread' and payload ->> 'conversation_id' = ${conversationId}
    order by created_at, recipient`;
}

describe('chat_unread e-mails', () => {
  it('the job is scheduled every minute', async () => {
    const [job] = await superuser()`select schedule, command from cron.job where jobname = 'chat-unread-emails'`;
    expect(job).toEqual({ schedule: '* * * * *', command: 'select private.queue_chat_unread_emails()' });
  });

  it("members who have not read a customer's message for 10 minutes get one e-mail; the customer does not", async () => {
    const customer = await createCustomer('mail-first');
    const secret = 'My M-Pesa PIN is 4321';
    const id = (await startConversation(customer, w.business, secret)).id;
    await ok(rpc(w.business.approver, 'mark_read', { conversation_id: id, up_to_seq: 1 }), 'mark_read');
    await runJob(9);
    expect(await emailsFor(id)).toEqual([]);
    await runJob(11);
    const emails = await emailsFor(id);
    expect(emails.map((e) => e.recipient).sort()).toEqual(
      [w.business.admin, w.business.editor, w.business.viewer].map((u) => u.email!.toLowerCase()).sort(),
    );
    expect(emails[0].payload).toMatchObject({
      conversation_id: id, business_id: w.business.id, for_business: true, from_name: 'mail-first buyer', unread_count: 1,
    });
    // Never the message itself, nor anyone's address or internal notes.
    for (const email of emails) {
      const text = JSON.stringify(email.payload);
      expect(text).not.toContain('4321');
      expect(text).not.toContain(customer.email!);
      const rendered = renderEmail('chat_unread', email.payload, { siteUrl: 'https://shop.example' });
      expect(rendered.text + rendered.html).not.toContain('4321');
      expect(rendered.text).toContain(`https://shop.example/business/${w.business.id}/chats/${id}`);
    }
  });

  it('at most one e-mail an hour per participant and conversation', async () => {
    const customer = await createCustomer('mail-hourly');
    const id = (await startConversation(customer, w.business, 'first')).id;
    await runJob(11);
    expect(await emailsFor(id)).toHaveLength(4);
    await send(customer, id, 'second');
    await runJob(12);
    await runJob(40);
    expect(await emailsFor(id)).toHaveLength(4);
    await runJob(72);
    const emails = await emailsFor(id);
    expect(emails).toHaveLength(8);
    expect(emails.at(-1)!.payload.unread_count).toBe(2);
  });

  it("the customer is e-mailed about the business's unread reply; members are not e-mailed about a colleague's", async () => {
    const customer = await createCustomer('mail-reply');
    const id = (await startConversation(customer, w.business)).id;
    await send(w.business.editor, id, 'Your order ships tomorrow');
    await runJob(11);
    const emails = await emailsFor(id);
    expect(emails.map((e) => e.recipient)).toEqual([customer.email!.toLowerCase()]);
    const [business] = await superuser()`select name from public.businesses where id = ${w.business.id}`;
    expect(emails[0].payload).toMatchObject({ for_business: false, from_name: business.name, business_name: business.name, unread_count: 1 });
    const rendered = renderEmail('chat_unread', emails[0].payload, { siteUrl: 'https://shop.example' });
    expect(rendered.text).toContain(`https://shop.example/chats/${id}`);
  });

  it('nobody is e-mailed about what they read in time', async () => {
    const customer = await createCustomer('mail-read');
    const id = (await startConversation(customer, w.business)).id;
    await send(w.business.editor, id, 'Read me');
    await ok(rpc(customer, 'mark_read', { conversation_id: id, up_to_seq: 1 }), 'mark_read');
    await runJob(11);
    expect(await emailsFor(id)).toEqual([]);
  });

  it('an anonymous customer, who has no address, gets no e-mail', async () => {
    const guest = await createUser({ anonymous: true });
    const id = (await startConversation(guest, w.business)).id;
    await send(w.business.editor, id, 'Hello guest');
    await runJob(11);
    expect(await emailsFor(id)).toEqual([]);
  });

  it('a deleted message is not a reason to e-mail', async () => {
    const customer = await createCustomer('mail-deleted');
    const id = (await startConversation(customer, w.business)).id;
    const message = await send(w.business.editor, id, 'oops');
    await ok(rpc(w.business.editor, 'delete_message', { message_id: message.id }), 'delete');
    await runJob(11);
    expect(await emailsFor(id)).toEqual([]);
  });
});
