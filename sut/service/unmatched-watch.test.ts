import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchUnmatched } from './unmatched-watch.ts';

describe('watchUnmatched', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('warns for a window where most increments changed no row, and only then', () => {
    const totals = { increments: 0, unmatched: 0 };
    const warnings: string[] = [];
    const stop = watchUnmatched(totals, (m) => warnings.push(m), { intervalMs: 1000, share: 0.5 });
    totals.increments = 100;
    totals.unmatched = 10;
    vi.advanceTimersByTime(1000);
    expect(warnings).toEqual([]);
    totals.increments = 200;
    totals.unmatched = 90; // 80 of this window's 100
    vi.advanceTimersByTime(1000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^80 of the 100 increments flushed in the last 1 s changed no row/);
    vi.advanceTimersByTime(1000); // nothing flushed: nothing to say
    expect(warnings).toHaveLength(1);
    stop();
    totals.increments = 300;
    totals.unmatched = 190;
    vi.advanceTimersByTime(5000);
    expect(warnings).toHaveLength(1);
  });
});
