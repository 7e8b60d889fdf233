import { describe, expect, it } from 'vitest';
import { breakpointOf } from './breakpoint-reading.ts';
import type { ParsedThreshold } from './run-metrics.ts';
import type { SeriesPoint } from './run-plan.ts';

const point = (t: number, targetRate: number, p99: number | null): SeriesPoint => ({
  t,
  targetRate,
  eventsPerSecond: targetRate,
  flushP95Ms: 5,
  eventToCommitP99Ms: p99,
  bufferDepth: 0,
  errors: 0,
});
const limit: ParsedThreshold = {
  metric: 'event_to_commit',
  filter: {},
  key: 'event_to_commit',
  expression: 'p(99)<1000',
  aggregation: { kind: 'p', percentile: 99 },
  operator: '<',
  limit: 1000,
  abortOnFail: true,
  delayAbortEvalMs: 2000,
};

describe('breakpoint', () => {
  it('is the highest target rate before the first second over the limit', () => {
    const series = [
      point(1, 100, 3000),
      point(2, 200, 150),
      point(3, 300, 400),
      point(4, 400, 1500),
      point(5, 500, 200),
    ];
    expect(breakpointOf(series, [limit])).toEqual({
      limitMs: 1000,
      highestSustainedRate: 300,
      firstOverAt: 4,
    });
  });

  it('says so when no second went over, and is null without an abortOnFail event_to_commit percentile', () => {
    expect(breakpointOf([point(1, 100, 10), point(2, 200, null)], [limit])).toEqual({
      limitMs: 1000,
      highestSustainedRate: 200,
      firstOverAt: null,
    });
    expect(breakpointOf([point(1, 100, 10)], [{ ...limit, abortOnFail: false }])).toBeNull();
  });
});
