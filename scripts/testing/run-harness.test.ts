import { describe, expect, it } from 'vitest';
import { liveHarnessPids, runHarness } from './run-harness.ts';

/** Whether a process of that id exists (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The two tests run in order: the first leaves a run going, as a test that times out does;
// the second checks that it was stopped before it began.
describe('a harness run its test stops waiting for', () => {
  let abandoned: number | undefined;

  it('is still running when its test ends', () => {
    // A run far longer than the test: the test ends without waiting for it.
    void runHarness(['simulate', '--sink', 'memory', '--rate', '5', '--duration', '10m']);
    const pids = liveHarnessPids();
    expect(pids).toHaveLength(1);
    abandoned = pids[0];
    expect(running(abandoned as number)).toBe(true);
  });

  it('has exited before the next test starts', () => {
    expect(abandoned).toBeDefined();
    expect(running(abandoned as number)).toBe(false);
    expect(liveHarnessPids()).toEqual([]);
  });
});
