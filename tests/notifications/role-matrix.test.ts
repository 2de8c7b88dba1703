// notifications × every actor × select/insert/update/delete: the outbox is private (not in
// the Data API) and no API role, service_role included, is granted anything on it, so even
// SQL run as those roles is refused; notification preferences are read and written by their
// owner (and the service role). Writes run with `Prefer: tx=rollback`.
import { beforeAll } from 'vitest';
import { superuser } from '../support/db.ts';
import { createBusiness, createCustomer } from '../support/fixtures.ts';
import { describeMatrix, type MatrixCase, outcomes, type World } from '../support/matrix.ts';
import { queueMessages } from './fixtures.ts';

let world: World;
let notificationId: string;

beforeAll(async () => {
  const [business, otherBusiness, customer, otherCustomer] = await Promise.all([
    createBusiness('outbox'), createBusiness('outbox-rival'), createCustomer(), createCustomer(),
  ]);
  world = { business, otherBusiness, customer, otherCustomer };
  // Addressed to the customer: even the recipient does not read the outbox.
  [notificationId] = await queueMessages(1, customer.email!);
  await superuser()`insert into public.notification_preferences (user_id, kind, channel) values (${customer.id}, 'order_shipped', 'sms')`;
});

const refusedToAll = outcomes([], { users: 'denied', anon: 'denied' });

const ownerOnly = outcomes(['customer', 'serviceRole'], { users: 'filtered', anon: 'denied' });

const cases: MatrixCase[] = [
  {
    table: 'notifications', operation: 'select',
    run: (tx) => tx`select id, recipient, payload from private.notifications where id = ${notificationId}`,
    expected: refusedToAll,
  },
  {
    table: 'notifications', operation: 'insert',
    run: (tx) => tx`insert into private.notifications (kind, recipient, payload, dedupe_key)
                    values ('order_paid', 'victim@example.test', '{}', ${`matrix:${Date.now()}`}) returning id`,
    expected: refusedToAll,
  },
  {
    table: 'notifications', operation: 'update',
    run: (tx) => tx`update private.notifications set recipient = 'attacker@example.test' where id = ${notificationId} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'notifications', operation: 'delete',
    run: (tx) => tx`delete from private.notifications where id = ${notificationId} returning id`,
    expected: refusedToAll,
  },
  {
    table: 'notification_preferences', operation: 'select',
    run: (tx) => tx`select kind, channel from public.notification_preferences where user_id = ${world.customer.id}`,
    expected: ownerOnly,
  },
  {
    table: 'notification_preferences', operation: 'insert',
    run: (tx) => tx`insert into public.notification_preferences (user_id, kind, channel)
                    values (${world.customer.id}, 'order_paid', 'none') returning user_id`,
    expected: outcomes(['customer', 'serviceRole'], { users: 'denied', anon: 'denied' }),
  },
  {
    table: 'notification_preferences', operation: 'update',
    run: (tx) => tx`update public.notification_preferences set channel = 'none'
                    where user_id = ${world.customer.id} and kind = 'order_shipped' returning user_id`,
    expected: ownerOnly,
  },
  {
    table: 'notification_preferences', operation: 'delete',
    run: (tx) => tx`delete from public.notification_preferences
                    where user_id = ${world.customer.id} and kind = 'order_shipped' returning user_id`,
    expected: ownerOnly,
  },
];

describeMatrix(cases, () => world);
