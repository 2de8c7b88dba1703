// Runs the jobs of the pg_cron stand-in (sql/platform/70_cron.sql) the way pg_cron's
// background worker does: each due job in its own transaction as the role that scheduled it,
// one run at a time per job, every run recorded in cron.job_run_details.
import postgres from 'postgres';
import { isDue, parseSchedule } from './cron-schedule.ts';

const TICK_MS = 1000;

interface Job {
  jobid: number;
  schedule: string;
  command: string;
  username: string;
  last_start: Date | null;
}

export interface CronWorker {
  stop(): Promise<void>;
}

export function startCronWorker(
  dbUrl: string,
  log: (event: Record<string, unknown>) => void = () => {},
  now: () => Date = () => new Date(),
): CronWorker {
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });
  const running = new Set<number>();
  let stopped = false;
  let ticking: Promise<void> = Promise.resolve();

  async function run(job: Job): Promise<void> {
    running.add(job.jobid);
    const [{ runid }] = await sql`
      insert into cron.job_run_details (jobid, database, username, command, status, start_time)
      values (${job.jobid}, current_database(), ${job.username}, ${job.command}, 'running', ${now()})
      returning runid`;
    let status = 'succeeded';
    let message = '';
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(`set local role "${job.username.replace(/"/g, '""')}"`);
        const result = await tx.unsafe(job.command);
        message = `${result.command ?? ''} ${result.count ?? ''}`.trim();
      });
    } catch (error) {
      status = 'failed';
      message = (error as Error).message;
    }
    await sql`update cron.job_run_details set status = ${status}, return_message = ${message}, end_time = ${now()}
              where runid = ${runid}`;
    log({ event: 'cron.run', jobid: job.jobid, status, message });
    running.delete(job.jobid);
  }

  async function tick(): Promise<void> {
    const jobs = await sql<Job[]>`
      select j.jobid, j.schedule, j.command, j.username,
             (select max(d.start_time) from cron.job_run_details d where d.jobid = j.jobid) as last_start
      from cron.job j where j.active`;
    for (const job of jobs) {
      if (stopped || running.has(job.jobid)) continue;
      try {
        if (isDue(parseSchedule(job.schedule), job.last_start, now())) void run(job);
      } catch (error) {
        log({ event: 'cron.invalid_schedule', jobid: job.jobid, error: (error as Error).message });
      }
    }
  }

  const timer = setInterval(() => {
    ticking = ticking.then(tick).catch((error) => {
      if (!stopped) log({ event: 'cron.error', error: (error as Error).message });
    });
  }, TICK_MS);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      while (running.size > 0) await new Promise((r) => setTimeout(r, 20));
      await sql.end({ timeout: 2 });
    },
  };
}
