// `npm run gen:types`: regenerate functions/_shared/database.types.ts from the local database.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { withLocalDatabase } from './lib/local-database.ts';
import { ROOT } from './lib/local-platform.ts';
import { generateTypes, TYPES_FILE } from './lib/types.ts';

writeFileSync(TYPES_FILE, await withLocalDatabase(generateTypes));
console.log(`Wrote ${path.relative(ROOT, TYPES_FILE)}.`);
