import { describe, expect, it } from 'vitest';
import { flushSizeMetrics } from './fixtures/flush-size-metrics.ts';
import { parsePrometheusText } from '../../results/stats/prometheus-text.ts';
import { evaluate, metricReaders, parseThresholds } from './run-metrics.ts';
import { validateScenarioOptions } from './scenario-options.ts';

const metrics = flushSizeMetrics;

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
