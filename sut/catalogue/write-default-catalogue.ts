// Regenerates default-catalogue.json from generateCatalogue(): `npm run catalogue`.
import { writeFileSync } from 'node:fs';
import { DEFAULT_CATALOGUE_PATH, generateCatalogue } from './goal-catalogue.ts';

writeFileSync(DEFAULT_CATALOGUE_PATH, `${JSON.stringify(generateCatalogue(), null, 2)}\n`);
process.stdout.write(`wrote ${DEFAULT_CATALOGUE_PATH}\n`);
