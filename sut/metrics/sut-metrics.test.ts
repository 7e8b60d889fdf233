import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumOf } from '../../results/stats/prometheus-text.ts';
import { SutMetrics } from './sut-metrics.ts';

describe('SutMetrics on /metrics', () => {
  it('has every labelled series at 0 before the first event, so rate() and alerts work from the start', async () => {
    const metrics = new SutMetrics('cte', 3, { version: '1.2.3', commit: 'abc1234' });
    const text = await metrics.registry.metrics();
    const samples = parsePrometheusText(text);
    const series = (name: string) => samples.filter((s) => s.name === name);
    expect(series('harness_flush_errors_total')).toHaveLength(3);
    expect(series('harness_flushes_total')).toHaveLength(9);
    expect(series('harness_increments_unmatched_total')).toHaveLength(3);
    expect(series('harness_flush_duration_seconds_count')).toHaveLength(3);
    expect(series('harness_events_rejected_total').map((s) => s.labels.reason)).toContain(
      'circuit_breaker',
    );
    expect(series('harness_dead_letters_total').length).toBeGreaterThan(0);
    expect(sumOf(samples, 'harness_flush_errors_total')).toBe(0);
    expect(text).toMatch(
      /^harness_build_info\{version="1\.2\.3",commit="abc1234",variant="cte"\} 1$/m,
    );
    expect(text).toMatch(/^process_cpu_seconds_total\{variant="cte"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{variant="cte"\} /m);
  });

  it('counts the increments of a flush that changed no row', async () => {
    const metrics = new SutMetrics('join', 1);
    metrics.partition(0).matched(10, 4);
    metrics.partition(0).matched(5, 5);
    expect(metrics.matchTotals).toEqual({ increments: 15, unmatched: 6 });
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sumOf(samples, 'harness_increments_unmatched_total')).toBe(6);
  });
});
