// `npm run db:reset`: rebuild the local database from migrations and seed (supabase db reset).
import { applyPlatform, resetDatabase } from './lib/database-setup.ts';
import { withLocalDatabase } from './lib/local-database.ts';

await withLocalDatabase(async (port) => {
  await applyPlatform(port);
  await resetDatabase(port);
});
console.log('Local database rebuilt from supabase/migrations and supabase/seed.sql.');
