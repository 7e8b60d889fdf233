import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { IntervalRecorder } from './interval-recorder.ts';
import { AFTER_LOAD, LatencyStore } from '../../scenarios/engine/latency-store.ts';

const decode = (encoded: string) => {
  const h = hdr.decodeFromCompressedBase64(encoded);
  const out = { count: h.totalCount, min: h.minNonZeroValue, max: h.maxValue };
  h.destroy();
  return out;
};

describe('IntervalRecorder: one exact histogram per second, partition and metric', () => {
  it('closes a second when the next begins, and hands each closed second once per cursor', () => {
    let now = 10_000;
    const recorder = new IntervalRecorder(2, () => now);
    recorder.record(0, 'flushDurationUs', 1200);
    recorder.record(0, 'flushDurationUs', 800);
    recorder.record(1, 'flushRows', 60);
    expect(recorder.since(0)).toEqual([]); // second 10 is still open
    now = 11_200;
    recorder.record(1, 'flushRows', 70);
    const first = recorder.since(0);
    expect(first.map((h) => [h.second, h.partition, h.metric])).toEqual([
      [10, 0, 'flushDurationUs'],
      [10, 1, 'flushRows'],
    ]);
    expect(decode(first[0]?.hdr ?? '')).toEqual({ count: 2, min: 800, max: 1200 });
    const cursor = Math.max(...first.map((h) => h.seq));
    expect(recorder.since(cursor)).toEqual([]);
    // closing the open second hands over what it holds now; the rest of it follows later
    const closed = recorder.since(cursor, true);
    expect(closed.map((h) => [h.second, h.partition, h.metric])).toEqual([[11, 1, 'flushRows']]);
    recorder.record(1, 'flushRows', 80);
    now = 12_000;
    const rest = recorder.since(Math.max(...closed.map((h) => h.seq)));
    expect(rest.map((h) => [h.second, decode(h.hdr).count])).toEqual([[11, 1]]);
  });

  it('keeps only the last keepSeconds of closed histograms', () => {
    let now = 0;
    const recorder = new IntervalRecorder(1, () => now, 5);
    for (let s = 0; s < 20; s++) {
      now = s * 1000;
      recorder.record(0, 'eventToCommitUs', 1000 + s);
    }
    const seconds = recorder.since(0).map((h) => h.second);
    expect(seconds).toEqual([14, 15, 16, 17, 18]);
  });
});

describe('LatencyStore: the seconds tagged by scenario, read back by filter', () => {
  it('tags a second with the scenario running then, and after-load past the last', () => {
    let now = 100_000;
    const recorder = new IntervalRecorder(2, () => now);
    const store = new LatencyStore([
      { name: 'warmup', startMs: 0, endMs: 3000 },
      { name: 'steady', startMs: 3000, endMs: 6000 },
    ]);
    store.startLoad(100_000);
    for (let s = 0; s < 8; s++) {
      now = 100_000 + s * 1000 + 100;
      // warm-up seconds are slow (50 ms), steady ones fast (5 ms)
      recorder.record(s % 2, 'flushDurationUs', s < 3 ? 50_000 : 5_000);
    }
    store.add(recorder.since(store.seqOf(), true));
    const read = (filter: Parameters<LatencyStore['read']>[1]) => {
      const h = store.read('flushDurationUs', filter);
      const out = [h.totalCount, h.maxValue];
      h.destroy();
      return out;
    };
    expect(read({})).toEqual([8, expect.closeTo(50_000, -2) as number]);
    expect(read({ scenario: 'warmup' })[0]).toBe(3);
    expect(read({ scenario: 'steady' })).toEqual([3, expect.closeTo(5_000, -1) as number]);
    expect(read({ scenario: AFTER_LOAD })[0]).toBe(2);
    expect(read({ scenario: 'steady', partition: 1 })[0]).toBe(2); // seconds 3 and 5
    expect(store.seqOf()).toBeGreaterThan(0);
    // round trip: what the results file keeps decodes to the same counts
    const encoded = store.encode();
    expect(Object.keys(encoded.flushDurationUs ?? {}).sort()).toEqual([
      AFTER_LOAD,
      'steady',
      'warmup',
    ]);
  });

  it('a restarted service starts its sequence again and nothing read before is lost', () => {
    let now = 0;
    const store = new LatencyStore([{ name: 'only', startMs: 0, endMs: 60_000 }]);
    store.startLoad(0);
    const first = new IntervalRecorder(1, () => now);
    first.record(0, 'flushRows', 10);
    now = 1000;
    store.add(first.since(store.seqOf(), true));
    store.restarted();
    const second = new IntervalRecorder(1, () => now);
    second.record(0, 'flushRows', 20);
    store.add(second.since(store.seqOf(), true));
    const h = store.read('flushRows');
    expect([h.totalCount, h.minNonZeroValue, h.maxValue]).toEqual([2, 10, 20]);
    h.destroy();
  });
});
