// Regenerates results.schema.json from the zod definitions: `npm run schema`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resultJsonSchema } from './json-schema.ts';

const target = fileURLToPath(new URL('./results.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(resultJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
