import { describe, expect, it } from 'vitest';
import { runHarnessInProcess } from '../testing/run-harness.ts';

describe("k6's flags on harness run", () => {
  it.each([
    [['--vus', '10'], /^error: --vus is a k6 flag with no use here: .*use --rate <events\/s>\n$/],
    [['-i', '5'], /^error: --iterations is a k6 flag with no use here: .*--rate and --duration\n$/],
    [
      ['--out', 'csv=out.csv'],
      /^error: --out csv is a k6 output the harness does not write: .*--out json=<file>.*--sut-port\)\n$/,
    ],
    [
      ['--out', 'experimental-prometheus-rw'],
      /^error: --out experimental-prometheus-rw is a k6 output the harness does not write: /,
    ],
    [['--no-thresholds'], /^error: --no-thresholds is a k6 flag with no use here: /],
    [['--http-debug'], /^error: --http-debug is a k6 flag with no use here: /],
    [['--summary-trend-stats', 'avg,p(9x)'], /^error: --summary-trend-stats: "p\(9x\)" is not/],
  ])('%j: one line naming the harness equivalent, exit 2, nothing started', async (flags, said) => {
    const run = await runHarnessInProcess(['run', 'smoke', ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(said);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });
});
