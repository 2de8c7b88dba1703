// Threat: the platform as a mail relay. Anyone with a confirmed account can create a business
// and, as its admin, invite any address with a business and inviter name of their choosing;
// every invitation (a replacement too) is an e-mail from the marketplace. A business may send
// at most 50 invitations per UTC day; beyond that invite_member answers 429 and sends nothing.
import { describe, expect, it } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness } from '../support/fixtures.ts';
import { asUser } from '../support/postgrest.ts';
import { uniqueEmail, type TestUser } from '../support/users.ts';

const invite = (admin: TestUser, businessId: string, email = uniqueEmail('relay')) =>
  asUser(admin, (tx) => tx`select id from public.invite_member(business_id := ${businessId}, email := ${email}, role := 'viewer')`);

async function invitationMails(businessId: string): Promise<number> {
  const [row] = await superuser()`
    select count(*)::int as n from private.notifications where kind = 'invitation_created' and payload ->> 'business_id' = ${businessId}`;
  return row.n;
}

describe('the platform as a mail relay', () => {
  it('the 51st invitation of a day (replacements included) is refused with 429 and sends nothing', async () => {
    const shop = await createBusiness('relay');
    const victim = uniqueEmail('victim');
    // Re-inviting one address replaces the pending invitation, but each is a new e-mail.
    for (let i = 0; i < 50; i++) expect((await invite(shop.admin, shop.id, victim)).error).toBeNull();
    expect(await invitationMails(shop.id)).toBe(50);
    const refused = await invite(shop.admin, shop.id, victim);
    expect(refused.error).toMatchObject({ code: 'PT429', status: 429 });
    const another = await invite(shop.admin, shop.id);
    expect(another.error).toMatchObject({ code: 'PT429', status: 429 });
    expect(await invitationMails(shop.id)).toBe(50);
    const [pending] = await superuser()`select count(*)::int as n from public.invitations where business_id = ${shop.id}`;
    expect(pending.n).toBe(1);
  });

  it('each business has its own budget, and yesterday\'s count does not carry over', async () => {
    const [spent, fresh] = await Promise.all([createBusiness('relay-spent'), createBusiness('relay-fresh')]);
    await superuser()`
      insert into private.invitation_usage (business_id, day, sent)
      values (${spent.id}, (now() at time zone 'UTC')::date, 50), (${fresh.id}, (now() at time zone 'UTC')::date - 1, 50)`;
    expect((await invite(spent.admin, spent.id)).error).toMatchObject({ status: 429 });
    expect((await invite(fresh.admin, fresh.id)).error).toBeNull();
    const usage = await superuser()`select day::text, sent from private.invitation_usage where business_id = ${fresh.id}`;
    expect(usage).toEqual([{ day: expect.any(String), sent: 1 }]);
  });
});
