import { describe, expect, it } from 'vitest';
import { increment } from '../../scripts/testing/row-fixtures.ts';
import {
  batchProblems,
  incrementsFromArrays,
  InvalidBatchError,
  toBatchParameters,
  type BatchParameters,
} from './progress-increment.ts';

describe('batch validation', () => {
  it('accepts a well-formed batch and the empty batch', () => {
    expect(batchProblems([increment({ userId: 'u', goalId: 'g' })])).toEqual([]);
    expect(batchProblems([])).toEqual([]);
  });

  it.each([
    ['an empty user id', { userId: '' }, /userId must be a non-empty string/],
    [
      'a null goal id',
      { goalId: null as unknown as string },
      /goalId must be a non-empty string, got null/,
    ],
    [
      'a 101-character challenge id',
      { challengeId: 'c'.repeat(101) },
      /challengeId is 101 characters; at most 100/,
    ],
    [
      'a fractional delta',
      { delta: 1.5 },
      /delta must be an integer from 1 to 2147483647, got 1.5/,
    ],
    ['a zero delta', { delta: 0 }, /delta must be an integer/],
    ['a delta beyond INT', { delta: 2 ** 31 }, /delta must be an integer/],
    ['a NaN target', { targetValue: Number.NaN }, /targetValue must be an integer/],
    [
      'a string daily flag',
      { isDaily: 'yes' as unknown as boolean },
      /isDaily must be true or false/,
    ],
  ])('rejects %s, naming the increment and the field', (_label, override, message) => {
    const problems = batchProblems([increment({ userId: 'u', goalId: 'g', ...override })]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^increment 0: /);
    expect(problems[0]).toMatch(message);
  });

  it('rejects a key carried twice', () => {
    const problems = batchProblems([
      increment({ userId: 'u', goalId: 'g' }),
      increment({ userId: 'u', goalId: 'g' }),
    ]);
    expect(problems).toEqual(['increment 1: (u, g) appears twice; a batch carries each key once']);
  });

  it('reports every problem at once, and shows at most ten in the message', () => {
    const bad = Array.from({ length: 12 }, (_, i) =>
      increment({ userId: `u${i}`, goalId: 'g', delta: -1 }),
    );
    const error = new InvalidBatchError(batchProblems(bad));
    expect(error.problems).toHaveLength(12);
    expect(error.message).toContain('... and 2 more');
  });

  it('rejects parallel arrays of different lengths', () => {
    const params = [
      ['u'],
      ['g', 'h'],
      ['c'],
      ['n'],
      [1],
      [10],
      [false],
    ] as unknown as BatchParameters;
    expect(() => incrementsFromArrays(params)).toThrow(
      /the seven arrays must have the same length, got 1, 2, 1, 1, 1, 1, 1/,
    );
  });

  it('round-trips increments through the seven parameter arrays', () => {
    const batch = [
      increment({ userId: 'a', goalId: 'x', delta: 2 }),
      increment({ userId: 'b', goalId: 'y', isDaily: true }),
    ];
    expect(incrementsFromArrays(toBatchParameters(batch))).toEqual(batch);
  });
});
