// pg_cron's schedule syntax: five cron fields (minute hour day-of-month month day-of-week, with
// `*`, `*/n`, `a-b`, `a-b/n` and lists) or an interval of 1-59 seconds.
export type Schedule =
  | { kind: 'seconds'; every: number }
  | { kind: 'cron'; minute: Set<number>; hour: Set<number>; day: Set<number>; month: Set<number>; weekday: Set<number>; anyDay: boolean; anyWeekday: boolean };

const FIELDS: Array<[min: number, max: number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

function parseField(text: string, [min, max]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`invalid cron field: ${text}`);
    const from = match[1] === '*' ? min : Number(match[2]);
    const to = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] ? max : from;
    const step = match[4] ? Number(match[4]) : 1;
    if (from < min || to > max || from > to || step < 1) throw new Error(`cron field out of range: ${text}`);
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

export function parseSchedule(schedule: string): Schedule {
  const seconds = /^\s*(\d{1,2})\s+seconds?\s*$/.exec(schedule);
  if (seconds) {
    const every = Number(seconds[1]);
    if (every < 1 || every > 59) throw new Error(`interval must be 1-59 seconds: ${schedule}`);
    return { kind: 'seconds', every };
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`a cron schedule has five fields: ${schedule}`);
  const [minute, hour, day, month, weekday] = fields.map((field, i) => parseField(field, FIELDS[i]));
  // Sunday is 0 or 7.
  if (weekday.has(7)) weekday.add(0);
  return { kind: 'cron', minute, hour, day, month, weekday, anyDay: fields[2] === '*', anyWeekday: fields[4] === '*' };
}

/** Does a cron schedule fire in the minute that contains `at` (UTC, as pg_cron on Supabase)? */
export function firesInMinute(schedule: Extract<Schedule, { kind: 'cron' }>, at: Date): boolean {
  const dayMatches = schedule.day.has(at.getUTCDate());
  const weekdayMatches = schedule.weekday.has(at.getUTCDay());
  // Like cron: when both day fields are restricted, either may match.
  const dateMatches = schedule.anyDay || schedule.anyWeekday ? dayMatches && weekdayMatches : dayMatches || weekdayMatches;
  return schedule.minute.has(at.getUTCMinutes()) && schedule.hour.has(at.getUTCHours()) &&
    schedule.month.has(at.getUTCMonth() + 1) && dateMatches;
}

/** Is a job due at `now`, given when it last started (null: never)? */
export function isDue(schedule: Schedule, lastStart: Date | null, now: Date): boolean {
  if (schedule.kind === 'seconds') return lastStart === null || now.getTime() - lastStart.getTime() >= schedule.every * 1000;
  const minuteStart = Math.floor(now.getTime() / 60_000) * 60_000;
  return firesInMinute(schedule, now) && (lastStart === null || lastStart.getTime() < minuteStart);
}
