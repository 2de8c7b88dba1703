// GET /functions/v1/health — is the database reachable, and which migration is the newest.
import { connectDatabase, type Db } from '../_shared/database.ts';
import { success } from '../_shared/envelope.ts';
import { HttpError } from '../_shared/errors.ts';
import { handle, serve } from '../_shared/http.ts';
import { jsonLogger, type Logger } from '../_shared/log.ts';
import { checkHealth } from './check.ts';

export interface HealthDeps {
  db: Db;
  now?: () => Date;
  log?: Logger;
}

export function createHealthHandler({ db, now = () => new Date(), log = jsonLogger('health') }: HealthDeps) {
  return handle(log, async (req) => {
    if (req.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'Use GET.');
    // Service: the migration history is no caller's to read, and anyone may ask for health.
    const report = await checkHealth(db.serviceDb, now);
    if (!report.database.reachable) {
      throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'The database is not reachable.', report);
    }
    return success(report, 'Sokoni is healthy.');
  });
}

if (import.meta.main) serve(createHealthHandler({ db: connectDatabase() }));
