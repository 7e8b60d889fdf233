import { describe, expect, it } from 'vitest';
import { formatFilter, isUnfiltered, parseMetricKey } from './metric-key.ts';

describe("parseMetricKey: k6's sub-metric keys", () => {
  it('reads a metric alone and a metric with tags, in k6 order whatever the order given', () => {
    expect(parseMetricKey('flush_duration')).toEqual({
      metric: 'flush_duration',
      filter: {},
      key: 'flush_duration',
    });
    expect(parseMetricKey('event_to_commit{ partition:3 , scenario:steady }')).toEqual({
      metric: 'event_to_commit',
      filter: { scenario: 'steady', partition: 3 },
      key: 'event_to_commit{scenario:steady,partition:3}',
    });
    expect(parseMetricKey('flushes{variant:join}').filter).toEqual({ variant: 'join' });
    expect(isUnfiltered(parseMetricKey('flushes{}').filter)).toBe(true);
    expect(formatFilter({ partition: 0 })).toBe('{partition:0}');
  });

  it.each([
    ['flush_duration{scenario}', /"scenario" is not tag:value/],
    [
      'flush_duration{colour:red}',
      /"colour:red" is not tag:value with a tag of scenario, partition, variant/,
    ],
    ['flush_duration{partition:x}', /partition must be a number, got x/],
    ['flush_duration{scenario:a,scenario:b}', /tag scenario is given twice/],
    ['flush duration', /does not parse/],
    ['flush_duration{scenario:a', /does not parse/],
  ])('refuses %s, naming what is wrong', (key, message) => {
    expect(() => parseMetricKey(key)).toThrow(message);
  });
});
