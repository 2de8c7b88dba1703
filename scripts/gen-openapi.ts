// `npm run gen:openapi`: regenerate docs/openapi.json from the functions' own descriptions and
// zod schemas (scripts/lib/openapi.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/local-platform.ts';
import { buildOpenApi, OPENAPI_FILE } from './lib/openapi.ts';

writeFileSync(OPENAPI_FILE, await buildOpenApi());
console.log(`Wrote ${path.relative(ROOT, OPENAPI_FILE)}.`);
