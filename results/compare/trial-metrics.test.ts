import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultText } from '../result-file.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { trialMetrics } from './trial-metrics.ts';
import { settledRowCost } from '../../scenarios/cost/fixtures/settled-row-cost.ts';

const sweep = parseResultText(
  readFileSync(new URL('./fixtures/sweep-base.json', import.meta.url), 'utf8'),
  'sweep-base.json',
) as SweepResult;

const cost = (cpuUsPerRow: number | null) =>
  settledRowCost({ cpuUsPerRow, cpuSource: cpuUsPerRow === null ? null : 'backends' });

describe('the figures a sweep trial gives a comparison', () => {
  it('adds CPU and WAL per row for the cells whose cost was measured, lower being better', () => {
    const withCost: SweepResult = {
      ...sweep,
      metrics: {
        ...sweep.metrics,
        cells: sweep.metrics.cells.map((c, i) =>
          i === 0 ? { ...c, cost: cost(20) } : i === 1 ? { ...c, cost: cost(null) } : c,
        ),
      },
    };
    const [first, second] = withCost.metrics.cells;
    const rows = trialMetrics(withCost).filter((m) => !m.section.startsWith('wall time'));
    expect(rows).toHaveLength(3);
    expect(rows).toEqual(
      expect.arrayContaining([
        {
          section: `CPU per row in the server (us), ${first?.statement}`,
          label: `${first?.variant} ${first?.size} rows`,
          direction: 'lower',
          value: 20,
        },
        {
          section: `WAL per row (bytes), ${first?.statement}`,
          label: `${first?.variant} ${first?.size} rows`,
          direction: 'lower',
          value: 125,
        },
        // A cell whose CPU could not be read gives its WAL only.
        {
          section: `WAL per row (bytes), ${second?.statement}`,
          label: `${second?.variant} ${second?.size} rows`,
          direction: 'lower',
          value: 125,
        },
      ]),
    );
  });

  it('gives wall times alone for a sweep from before cost accounting', () => {
    expect(trialMetrics(sweep).every((m) => m.section.startsWith('wall time'))).toBe(true);
  });
});
