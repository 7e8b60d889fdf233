import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { booleanArrayLiteral, integerArrayLiteral, textArrayLiteral } from './array-literal.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('array literals, as PostgreSQL parses them', () => {
  it('text: any strings (quotes, backslashes, commas, braces, NULL, unicode) come back unchanged', async () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'a',
        'Z',
        ' ',
        ',',
        '"',
        '\\',
        '{',
        '}',
        "'",
        'é',
        '漢',
        'N',
        'U',
        'L',
        '\t',
      ),
      minLength: 1,
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 20 }), async (values) => {
        const { rows } = await db.client.query<{ v: string[] }>('SELECT $1::VARCHAR(100)[] AS v', [
          textArrayLiteral(values),
        ]);
        expect(rows[0]?.v).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it('integers and booleans', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 2_147_483_647 })),
        fc.array(fc.boolean()),
        async (ints, bools) => {
          const { rows } = await db.client.query<{ i: number[]; b: boolean[] }>(
            'SELECT $1::INT[] AS i, $2::BOOLEAN[] AS b',
            [integerArrayLiteral(ints), booleanArrayLiteral(bools)],
          );
          expect(rows[0]).toEqual({ i: ints, b: bools });
        },
      ),
      { numRuns: 100 },
    );
  });
});
