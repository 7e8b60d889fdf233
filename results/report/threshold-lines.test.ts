import { describe, expect, it } from 'vitest';
import { reportFixture } from './report-fixtures.ts';
import { scenarioSpans } from './scenario-spans.ts';
import { thresholdLines } from './threshold-lines.ts';

const run = reportFixture('run-join-keep.json').result;

describe('thresholdLines: limits drawn on the series they limit', () => {
  it("draws the steady scenario's flush p95 and event-to-commit p99 limits over its seconds", () => {
    expect(thresholdLines(run, scenarioSpans(run))).toEqual([
      {
        field: 'flushP95Ms',
        label: 'flush_duration{scenario:steady} p(95)<50',
        value: 50,
        ok: true,
        from: 30,
        to: 50,
      },
      {
        field: 'eventToCommitP99Ms',
        label: 'event_to_commit{scenario:steady} p(99)<1000',
        value: 1000,
        ok: true,
        from: 30,
        to: 50,
      },
    ]);
  });

  it('leaves off a limit of another aggregation than the one plotted, and counts', () => {
    const other = {
      ...run,
      thresholds: [
        { metric: 'event_to_commit', expression: 'p(95)<1000', value: 120, ok: true },
        { metric: 'flush_errors', expression: 'count==0', value: 0, ok: true },
        { metric: 'events_per_second', expression: 'value>1100', value: 839.2, ok: false },
      ],
    };
    expect(thresholdLines(other, [])).toEqual([
      {
        field: 'eventsPerSecond',
        label: 'events_per_second value>1100',
        value: 1100,
        ok: false,
        from: null,
        to: null,
      },
    ]);
  });
});
