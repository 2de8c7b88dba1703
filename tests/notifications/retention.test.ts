// Sent and dead messages do not pile up: a daily purge with a configurable retention removes
// them, and never touches a message still waiting or being sent.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectAs, superuser } from '../support/db.ts';
import { uniqueEmail } from '../support/users.ts';

type Status = 'pending' | 'sending' | 'sent' | 'dead';

async function message(status: Status, daysAgo: number): Promise<string> {
  const at = new Date(Date.now() - daysAgo * 86_400_000);
  const [{ id }] = await superuser()`
    insert into private.notifications (kind, recipient, dedupe_key, status, attempts, sent_at, locked_until, created_at, updated_at)
    values ('order_paid', ${uniqueEmail('retention')}, ${`retention-${randomUUID()}`}, ${status}, 1,
            ${status === 'sent' ? at : null}, ${status === 'sending' ? new Date(Date.now() + 60_000) : null}, ${at}, ${at})
    returning id`;
  return id;
}

async function remaining(ids: string[]): Promise<string[]> {
  const rows = await superuser()`select id from private.notifications where id = any(${ids}::uuid[])`;
  return rows.map((row) => row.id as string);
}

/** Runs the scheduled job as pg_cron does: its command, as the role that scheduled it. */
async function runPurgeJob(): Promise<void> {
  const [job] = await superuser()`select command, username from cron.job where jobname = 'purge-notifications' and username = 'postgres'`;
  await superuser().begin(async (tx) => {
    await tx.unsafe(`set local role "${job.username}"`);
    await tx.unsafe(job.command);
  });
}

describe('notification retention', () => {
  it('is scheduled daily where pg_cron exists: sent kept 30 days, dead 90, by default', async () => {
    const jobs = await superuser()`select schedule, command, username from cron.job where jobname = 'purge-notifications'`;
    expect(jobs).toEqual([{
      schedule: '25 3 * * *',
      command: `select private.purge_notifications('30 days'::interval, '90 days'::interval)`,
      username: 'postgres',
    }]);
  });

  it('the job removes sent and dead messages past their retention, and nothing waiting or in flight', async () => {
    const ids = {
      oldSent: await message('sent', 31),
      recentSent: await message('sent', 29),
      oldDead: await message('dead', 91),
      recentDead: await message('dead', 60),
      oldPending: await message('pending', 400),
      oldSending: await message('sending', 400),
    };
    await runPurgeJob();
    expect((await remaining(Object.values(ids))).sort()).toEqual(
      [ids.recentSent, ids.recentDead, ids.oldPending, ids.oldSending].sort(),
    );
  });

  it('the retention is configurable: rescheduling changes what the next run keeps', async () => {
    const sent = await message('sent', 10);
    const dead = await message('dead', 10);
    try {
      // As an operator would, from the SQL editor: connected as postgres.
      await connectAs('postgres')`select private.schedule_notification_purge('7 days', '14 days')`;
      await runPurgeJob();
      expect(await remaining([sent, dead])).toEqual([dead]);
    } finally {
      await connectAs('postgres')`select private.schedule_notification_purge()`;
    }
  });

  it.each([['zero', '0 days', '90 days'], ['negative', '30 days', '-1 day'], ['missing', null, '90 days']])(
    'refuses a %s retention (22023) and keeps the schedule', async (_label, sentRetention, deadRetention) => {
      const before = await superuser()`select command from cron.job where jobname = 'purge-notifications'`;
      await expect(superuser()`select private.schedule_notification_purge(${sentRetention}::interval, ${deadRetention}::interval)`)
        .rejects.toMatchObject({ code: '22023' });
      await expect(superuser()`select private.purge_notifications(${sentRetention}::interval, ${deadRetention}::interval)`)
        .rejects.toMatchObject({ code: '22023' });
      expect(await superuser()`select command from cron.job where jobname = 'purge-notifications'`).toEqual(before);
    },
  );

  it('is no client\'s to call, not even service_role\'s', async () => {
    const [row] = await superuser()`
      select bool_or(has_function_privilege(r, 'private.purge_notifications(interval, interval)', 'execute')
                     or has_function_privilege(r, 'private.schedule_notification_purge(interval, interval)', 'execute')) as any
      from unnest(array['anon', 'authenticated', 'service_role']) r`;
    expect(row.any).toBe(false);
  });
});
