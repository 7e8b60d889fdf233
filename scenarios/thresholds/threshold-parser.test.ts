import { describe, expect, it } from 'vitest';
import { compare, parseThreshold } from './threshold-parser.ts';

describe('threshold grammar (k6)', () => {
  it.each([
    ['trend', 'p(95)<50', { kind: 'p', percentile: 95 }, '<', 50],
    ['trend', 'p(99.9) <= 300', { kind: 'p', percentile: 99.9 }, '<=', 300],
    ['trend', ' avg < 200 ', { kind: 'avg' }, '<', 200],
    ['trend', 'med>=1', { kind: 'med' }, '>=', 1],
    ['trend', 'max<500', { kind: 'max' }, '<', 500],
    ['trend', 'min>0', { kind: 'min' }, '>', 0],
    ['rate', 'rate<0.01', { kind: 'rate' }, '<', 0.01],
    ['counter', 'count==0', { kind: 'count' }, '==', 0],
    ['counter', 'count===0', { kind: 'count' }, '==', 0],
    ['counter', 'rate<10', { kind: 'rate' }, '<', 10],
    ['gauge', 'value!=-1', { kind: 'value' }, '!=', -1],
  ] as const)('%s %j', (type, expression, aggregation, operator, value) => {
    expect(parseThreshold('m', type, expression)).toMatchObject({ aggregation, operator, value });
  });

  it.each([
    ['trend', 'p95<50', /does not parse/],
    ['trend', 'p(95)<', /does not parse/],
    ['trend', 'avg => 3', /does not parse/],
    ['trend', 'p(101)<3', /percentile must be between 0 and 100/],
    ['trend', 'count<3', /a trend metric offers avg, min, max, med, p\(N\)/],
    ['gauge', 'avg<3', /a gauge metric offers value/],
    ['counter', 'p(90)<3', /a counter metric offers count, rate/],
  ] as const)('%s %j is refused, naming the metric', (type, expression, message) => {
    expect(() => parseThreshold('flush_size', type, expression)).toThrow(message);
    expect(() => parseThreshold('flush_size', type, expression)).toThrow(/flush_size/);
  });

  it.each([
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '>', 2, true],
    [2, '>=', 2, true],
    [2, '==', 2, true],
    [2, '!=', 2, false],
  ] as const)('%d %s %d is %s', (a, op, b, expected) => {
    expect(compare(a, op, b)).toBe(expected);
  });
});
