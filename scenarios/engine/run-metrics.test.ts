import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import { revisitVerdict } from './revisit-verdict.ts';
import { evaluate, metricReaders, parseThresholds } from './run-metrics.ts';
import { validateScenarioOptions } from './scenario-options.ts';

const metrics = (flushP95Rows: number, maxRows: number) => `
harness_flush_size_rows_bucket{le="100",partition="0"} ${flushP95Rows < 100 ? 100 : 0}
harness_flush_size_rows_bucket{le="600",partition="0"} 100
harness_flush_size_rows_bucket{le="+Inf",partition="0"} 100
harness_flush_size_rows_sum{partition="0"} ${flushP95Rows * 100}
harness_flush_size_rows_count{partition="0"} 100
harness_flush_size_rows_max{partition="0"} ${maxRows}
harness_events_rejected_total{reason="circuit_breaker"} 3
`;

const options = (thresholds: Record<string, string[]>) =>
  validateScenarioOptions('test', {
    scenarios: { s: { executor: 'constant-arrival-rate', rate: 10, duration: '1s' } },
    thresholds,
  });

describe('thresholds over the harness metrics', () => {
  it('evaluates trends, counters and gauges with k6 meaning', () => {
    const readers = metricReaders(parsePrometheusText(metrics(50, 80)), undefined, 10, 42);
    const outcome = evaluate(
      parseThresholds(
        options({
          flush_size: ['avg<60', 'max<50'],
          rejected_events: ['count==0', 'rate<1'],
          db_cpu: ['value<70'],
        }),
        () => 0,
      ),
      readers,
    );
    expect(outcome.map((o) => [o.metric, o.expression, o.value, o.ok])).toEqual([
      ['flush_size', 'avg<60', 50, true],
      ['flush_size', 'max<50', 80, false],
      ['rejected_events', 'count==0', 3, false],
      ['rejected_events', 'rate<1', 0.3, true],
      ['db_cpu', 'value<70', 42, true],
    ]);
  });

  it('a metric without a value fails its threshold, as in k6', () => {
    const outcome = evaluate(
      parseThresholds(options({ event_to_commit: ['p(95)<100'] }), () => 0),
      metricReaders([], undefined, 1, undefined),
    );
    expect(outcome[0]).toMatchObject({ value: null, ok: false });
  });
});

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

describe('scenario options', () => {
  it('rejects unknown keys and bad values, every one at once', () => {
    let message = '';
    try {
      validateScenarioOptions('bad.ts', {
        scenarios: { a: { executor: 'constant-arrival-rate', rate: -1, duration: '10x', vus: 5 } },
        thresholds: { latency: ['p(95)<50'] },
        harness: { partitons: 8 },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^scenario bad.ts is not valid:/);
    for (const fault of [
      /scenarios\.a\.rate/,
      /scenarios\.a\.duration/,
      /"vus"/,
      /thresholds: "latency": threshold metrics are/,
      /"partitons"/,
    ])
      expect(message).toMatch(fault);
  });
});
