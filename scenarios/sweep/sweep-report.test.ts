import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { parseResultText } from '../../results/result-file.ts';
import { expectGolden, RESULT_FIXTURES } from '../../scripts/testing/golden.ts';
import { renderSweepReport } from './sweep-report.ts';

function sweep(name: string) {
  const path = `${RESULT_FIXTURES}/${name}`;
  const result = parseResultText(readFileSync(path, 'utf8'), path);
  if (result.kind !== 'sweep') throw new Error(`${path} is not a sweep`);
  return result;
}

describe('the sweep report, held to golden files', () => {
  it('a quick sweep with both statement modes and pgbench', () => {
    expectGolden(
      renderSweepReport(sweep('sweep-head.json')),
      'scenarios/sweep/golden/sweep-head.txt',
    );
  });

  it('the sweep it was compared with, one commit earlier', () => {
    expectGolden(
      renderSweepReport(sweep('sweep-base.json')),
      'scenarios/sweep/golden/sweep-base.txt',
    );
  });
});
