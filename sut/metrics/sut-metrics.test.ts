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

  it('per-event counts kept in plain numbers reach /metrics at each scrape, once', async () => {
    const metrics = new SutMetrics('join', 2);
    const series = async (name: string) =>
      parsePrometheusText(await metrics.registry.metrics())
        .filter((s) => s.name === name)
        .map((s) => [s.labels.partition, s.value]);
    expect(await series('harness_events_accepted_total')).toEqual([
      ['0', 0],
      ['1', 0],
    ]);
    metrics.partition(1).eventsAccepted.inc();
    metrics.partition(1).eventsAccepted.inc(2);
    metrics.partition(1).incrementsBuffered.inc(7);
    metrics.partition(0).bufferDepth.set(5);
    metrics.partition(1).bufferDepth.set(9);
    expect(await series('harness_events_accepted_total')).toEqual([
      ['0', 0],
      ['1', 3],
    ]);
    // Scraped again with nothing new: the counters hold, nothing is added twice.
    expect(await series('harness_events_accepted_total')).toEqual([
      ['0', 0],
      ['1', 3],
    ]);
    metrics.partition(1).eventsAccepted.inc();
    expect(await series('harness_events_accepted_total')).toEqual([
      ['0', 0],
      ['1', 4],
    ]);
    expect(await series('harness_increments_buffered_total')).toEqual([
      ['0', 0],
      ['1', 7],
    ]);
    expect(await series('harness_buffer_depth')).toEqual([
      ['0', 5],
      ['1', 9],
    ]);
  });

  it("records a flush's event-to-commit times in Prometheus and in the exact per-second histograms", async () => {
    const metrics = new SutMetrics('join', 1);
    metrics.partition(0).eventsCommitted(10_000, [9_990, 9_950, 9_700]);
    metrics.partition(0).eventsCommitted(10_000, []);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sumOf(samples, 'harness_event_to_commit_seconds_count')).toBe(3);
    expect(sumOf(samples, 'harness_event_to_commit_seconds_sum')).toBeCloseTo(0.36, 9);
    const exact = metrics.intervals.since(0, true).filter((h) => h.metric === 'eventToCommitUs');
    expect(exact).toHaveLength(1);
  });
});
