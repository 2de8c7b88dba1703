// `npm run gen:types`: regenerate functions/_shared/database.types.ts from what the migrations
// build, in a throwaway database (no running stack needed).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/local-platform.ts';
import { startScratchDatabase } from './lib/scratch-database.ts';
import { generateTypes, TYPES_FILE } from './lib/types.ts';

const db = await startScratchDatabase();
try {
  writeFileSync(TYPES_FILE, await generateTypes(db.port));
} finally {
  await db.stop();
}
console.log(`Wrote ${path.relative(ROOT, TYPES_FILE)}.`);
