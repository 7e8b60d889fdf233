import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionOf } from './fnv1a.ts';

describe('FNV-1a 32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j) = %i (published test vectors; UTF-8 bytes)', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of non-ASCII ids', () => {
    let expected = 0x811c9dc5;
    for (const byte of [0xc3, 0xbc]) expected = Math.imul(expected ^ byte, 0x01000193) >>> 0;
    expect(fnv1a32('ü')).toBe(expected);
  });

  it('property: a partition is always in [0, partitions)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (id, n) => {
        const p = partitionOf(id, n);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(n);
      }),
    );
  });
});
