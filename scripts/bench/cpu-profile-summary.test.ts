import { describe, expect, it } from 'vitest';
import { summarizeCpuProfile } from './cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

describe('a CPU profile summed by function', () => {
  it('gives each function its samples’ time, idle left out of the shares', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('parse', 'file:///repo/sut/parse.ts', 9) },
        { id: 4, callFrame: frame('', 'node:http', 4) },
      ],
      // Sample i lasts until sample i + 1: 3 for 300 us, 4 for 100, idle 600, 3 for 100, then 0.
      samples: [3, 4, 2, 3, 3],
      timeDeltas: [0, 300, 100, 600, 100],
    };
    const { busyMs, entries } = summarizeCpuProfile(profile, '/repo');
    expect(entries).toEqual([
      { where: 'parse (sut/parse.ts:10)', selfMs: 0.4, share: 0.8 },
      { where: '(anonymous) (node:http:5)', selfMs: 0.1, share: 0.2 },
    ]);
    expect(busyMs).toBeCloseTo(0.5);
  });
});
