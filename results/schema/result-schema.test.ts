import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resultJsonSchema } from './json-schema.ts';

describe('results JSON schema', () => {
  it('results.schema.json is up to date with the zod definitions (npm run schema regenerates it)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(fileURLToPath(new URL('./results.schema.json', import.meta.url)), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(resultJsonSchema())));
  });
});
