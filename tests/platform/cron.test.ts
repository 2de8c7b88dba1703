// The pg_cron stand-in: schedules as pg_cron parses them, and a worker that runs due jobs as
// the role that scheduled them and records every run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDue, parseSchedule } from '../../scripts/lib/cron-schedule.ts';
import { type CronWorker, startCronWorker } from '../../scripts/lib/cron-worker.ts';
import { databaseUrl } from '../../scripts/lib/local-platform.ts';
import { connectAs, dbPort, superuser } from '../support/db.ts';

const at = (iso: string) => new Date(iso);

describe('cron schedules', () => {
  it.each([
    ['*/5 * * * *', '2026-11-24T10:15:00Z', true],
    ['*/5 * * * *', '2026-11-24T10:16:00Z', false],
    ['0 3 * * *', '2026-11-24T03:00:30Z', true],
    ['0 3 * * *', '2026-11-24T04:00:00Z', false],
    ['30 2 * * 0', '2026-11-29T02:30:00Z', true], // a Sunday
    ['30 2 * * 7', '2026-11-29T02:30:00Z', true],
    ['30 2 * * 1-5', '2026-11-29T02:30:00Z', false],
    ['0 0 1,15 * *', '2026-11-15T00:00:00Z', true],
  ])('%s fires at %s: %s', (schedule, when, expected) => {
    expect(isDue(parseSchedule(schedule), null, at(when))).toBe(expected);
  });

  it('a cron job runs once per matching minute', () => {
    const schedule = parseSchedule('* * * * *');
    expect(isDue(schedule, at('2026-11-24T10:15:01Z'), at('2026-11-24T10:15:40Z'))).toBe(false);
    expect(isDue(schedule, at('2026-11-24T10:15:59Z'), at('2026-11-24T10:16:00Z'))).toBe(true);
  });

  it('an interval job runs when the interval has passed since its last start', () => {
    const schedule = parseSchedule('30 seconds');
    expect(isDue(schedule, at('2026-11-24T10:00:00Z'), at('2026-11-24T10:00:29Z'))).toBe(false);
    expect(isDue(schedule, at('2026-11-24T10:00:00Z'), at('2026-11-24T10:00:30Z'))).toBe(true);
  });

  it.each(['60 seconds', '* * * *', '61 * * * *', '*/0 * * * *', 'every minute'])('refuses %s', (schedule) => {
    expect(() => parseSchedule(schedule)).toThrow();
  });
});

describe('cron worker', () => {
  let worker: CronWorker;
  beforeAll(async () => {
    await superuser()`create table if not exists public.platform_cron_probe (who text, at timestamptz default now())`;
    await superuser()`grant insert on public.platform_cron_probe to postgres`;
    worker = startCronWorker(databaseUrl('supabase_admin', dbPort()));
  });
  afterAll(() => worker.stop());

  async function runsOf(jobName: string, atLeast: number) {
    for (let i = 0; i < 100; i++) {
      const runs = await superuser()`
        select d.status, d.username, d.return_message from cron.job_run_details d join cron.job j using (jobid)
        where j.jobname = ${jobName} and d.status <> 'running' order by d.runid`;
      if (runs.length >= atLeast) return runs;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobName} did not run ${atLeast} times`);
  }

  it('runs a job scheduled by postgres as postgres and records the run', async () => {
    await connectAs('postgres')`select cron.schedule('probe-insert', '1 seconds', 'insert into public.platform_cron_probe (who) values (current_user)')`;
    const [run] = await runsOf('probe-insert', 1);
    expect(run).toMatchObject({ status: 'succeeded', username: 'postgres' });
    const [row] = await superuser()`select who from public.platform_cron_probe limit 1`;
    expect(row.who).toBe('postgres');
    await connectAs('postgres')`select cron.unschedule('probe-insert')`;
  });

  it('records a failing command as failed with its error', async () => {
    await connectAs('postgres')`select cron.schedule('probe-fail', '1 seconds', 'select 1/0')`;
    const [run] = await runsOf('probe-fail', 1);
    expect(run.status).toBe('failed');
    expect(run.return_message).toContain('division by zero');
    await connectAs('postgres')`select cron.unschedule('probe-fail')`;
  });

  it('refuses an invalid schedule and unknown jobs', async () => {
    await expect(connectAs('postgres')`select cron.schedule('bad', 'every minute', 'select 1')`).rejects.toThrow(/invalid schedule/);
    await expect(connectAs('postgres')`select cron.unschedule('no-such-job')`).rejects.toThrow(/could not find/);
  });
});
