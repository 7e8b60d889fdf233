import { describe, expect, it } from 'vitest';
import { flushSizeMetrics } from './fixtures/flush-size-metrics.ts';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import { revisitVerdict } from './revisit-verdict.ts';
import { metricReaders } from './run-metrics.ts';

const metrics = flushSizeMetrics;

describe('the revisit verdict', () => {
  it('KEEP when no trigger fires; not evaluated checks are said so', () => {
    const v = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(60, 120)), undefined, 1, 21),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(v.result).toBe('KEEP');
    expect(v.checks.map((c) => c.fired)).toEqual([false, null, null, false]);
    expect(v.checks[2]?.measured).toMatch(/no sweep of join saved for this commit/);
  });

  it('REVISIT when flushes pass 500 rows or the database CPU its limit', () => {
    const big = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(550, 620)), undefined, 1, 21),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(big.result).toBe('REVISIT');
    expect(big.checks[0]).toMatchObject({
      fired: true,
      measured: expect.stringMatching(/max 620 rows/) as unknown,
    });
    const hot = revisitVerdict(
      metricReaders(parsePrometheusText(metrics(60, 90)), undefined, 1, 85),
      'join',
      undefined,
      70,
      undefined,
    );
    expect(hot.checks[3]).toMatchObject({ fired: true, measured: '85.0 % of all cores' });
  });
});
