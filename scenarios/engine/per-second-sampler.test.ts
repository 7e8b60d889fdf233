import { describe, expect, it } from 'vitest';
import { startPerSecondSampler, type SampleWindow } from './per-second-sampler.ts';

/** A clock the test moves: sleeping and scraping take the time the test says. */
function fakeTime() {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    pass: (ms: number) => {
      t += ms;
    },
  };
}

describe('startPerSecondSampler', () => {
  it('divides by the window really sampled, and never gives two samples the same second', async () => {
    const time = fakeTime();
    // Scrapes take 10 ms, except the third, which takes 2.5 s (a stalled service).
    const durations = [10, 10, 2500, 10, 10, 10];
    let calls = 0;
    const windows: SampleWindow[] = [];
    let accepted = 0;
    const rates: number[] = [];
    let sixth: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (sixth = resolve));
    const sampler = startPerSecondSampler({
      intervalMs: 1000,
      now: time.now,
      sleep: time.sleep,
      scrape: () => {
        time.pass(durations[calls++] ?? 10);
        // 50 events/s arrive whatever the sampler does.
        const total = Math.round(time.now() * 0.05);
        const delta = total - accepted;
        accepted = total;
        return Promise.resolve(delta);
      },
      onSample: (delta, window) => {
        windows.push(window);
        rates.push(delta / window.seconds);
        if (windows.length === 6) sixth();
      },
      onError: (e) => {
        throw e;
      },
    });
    await done;
    await sampler.stop();
    const seconds = windows.map((w) => w.second);
    expect(new Set(seconds).size).toBe(seconds.length);
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
    // The late sample covers 3.5 s and still reports about 50 events/s, not 132.
    expect(Math.max(...windows.map((w) => w.seconds))).toBeGreaterThan(2.4);
    for (const r of rates) expect(r).toBeGreaterThan(45);
    for (const r of rates) expect(r).toBeLessThan(55);
  });
});
