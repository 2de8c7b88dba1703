// `npm run db:reset`: rebuild the local database from migrations and seed (supabase db reset).
import { resetDatabase } from './lib/database-setup.ts';
import { withLocalDatabase } from './lib/local-database.ts';

await withLocalDatabase(resetDatabase);
console.log('Local database rebuilt from supabase/migrations and supabase/seed.sql.');
