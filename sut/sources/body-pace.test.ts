import { describe, expect, it } from 'vitest';
import { slowBody, watchBodyPace, type BodyPace } from './body-pace.ts';

const pace: BodyPace = { bodyTimeoutMs: 10_000, minBytesPerSecond: 1000, graceMs: 2_000 };

describe('slowBody', () => {
  it('lets any pace pass during the grace, then asks for the average rate', () => {
    expect(slowBody(pace, 1_999, 0)).toBeUndefined();
    expect(slowBody(pace, 2_000, 1_999)).toBe('too_slow');
    expect(slowBody(pace, 2_000, 2_000)).toBeUndefined();
    // A fast start buys time, not a pass: the average decays while nothing comes.
    expect(slowBody(pace, 5_000, 4_000)).toBe('too_slow');
  });

  it('cuts at the body timeout whatever the rate', () => {
    expect(slowBody(pace, 9_999, 1_000_000)).toBeUndefined();
    expect(slowBody(pace, 10_000, 1_000_000)).toBe('timeout');
  });

  it('checks no rate at a minimum of 0', () => {
    expect(slowBody({ ...pace, minBytesPerSecond: 0 }, 9_000, 0)).toBeUndefined();
  });
});

describe('watchBodyPace', () => {
  it('calls cut once the dripped bytes fall under the rate, not before', async () => {
    const cuts: string[] = [];
    const watch = watchBodyPace(
      { bodyTimeoutMs: 60_000, minBytesPerSecond: 100, graceMs: 50 },
      (why) => cuts.push(why),
    );
    watch.received(1);
    await new Promise((r) => setTimeout(r, 300));
    watch.stop();
    expect(cuts).toEqual(['too_slow']);
  });

  it('never cuts once stopped', async () => {
    const cuts: string[] = [];
    const watch = watchBodyPace({ bodyTimeoutMs: 30, minBytesPerSecond: 0, graceMs: 0 }, (why) =>
      cuts.push(why),
    );
    watch.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(cuts).toEqual([]);
  });
});
