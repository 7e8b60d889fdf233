import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GateNotAppliedError, RegressionError } from '../../lib/errors.ts';
import { parseResultText } from '../result-file.ts';
import type { IndexedResult } from '../run-index.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { compareResults, compareTrials } from './compare-results.ts';
import { applyGate, judgeGate } from './regression-gate.ts';

const path = 'results/compare/fixtures/sweep-head.json';
const sweep = parseResultText(readFileSync(path, 'utf8'), path) as SweepResult;

/** `count` trials of the sweep, each a little off, join's batches scaled by `joinFactor`. */
function trials(count: number, joinFactor: number, offset: number): IndexedResult[] {
  return Array.from({ length: count }, (_, i) => {
    const trial = 1 + 0.004 * ((i + offset) % 5);
    const cells = sweep.metrics.cells.map((c) => ({
      ...c,
      samplesMs: c.samplesMs.map((x) => x * trial * (c.variant === 'join' ? joinFactor : 1)),
    }));
    return {
      path: `t${offset}-${i}.json`,
      result: { ...sweep, metrics: { ...sweep.metrics, cells } },
    };
  });
}

const one = { path, result: sweep };

describe('the regression gate', () => {
  it('a gate that tested nothing is not applied, never passed', () => {
    const outcome = judgeGate([compareResults(one, one)], { percent: 10, acceptUntested: false });
    expect(outcome.tested).toBe(0);
    expect(outcome.regressions).toEqual([]);
    expect(outcome.lines).toEqual([
      'gate not applied: sweep sweep-quick: 24 of 24 rows untested, 1 trial per side where a test needs 4 per side (run the commits again for more trials, or harness ab)',
    ]);
    expect(judgeGate([], { percent: 10, acceptUntested: false }).notApplied).toEqual([
      'nothing was compared',
    ]);
  });

  it('rows that more trials would not make testable leave the gate not applied, not passed', () => {
    const tested = compareTrials(trials(5, 1, 0), trials(5, 1, 2));
    // Every row as a value of 0 or a figure on one side leaves it: no ratio, nothing to add.
    const untestable = {
      ...tested,
      rows: tested.rows.map((r) => ({ ...r, interval: null, trialsNeeded: null })),
    };
    const outcome = judgeGate([untestable], { percent: 10, acceptUntested: false });
    expect(outcome.tested).toBe(0);
    expect(outcome.notApplied).toEqual([
      'no row could be tested (each lacks a ratio or a figure on one side)',
    ]);
    expect(() => {
      applyGate([untestable], { percent: 10, acceptUntested: false }, () => undefined);
    }).toThrow(GateNotAppliedError);
  });

  it('a regression in one comparison is exit 3 even when another went untested', () => {
    const slower = compareTrials(trials(5, 1, 0), trials(5, 1.5, 2));
    const untested = compareResults(one, one);
    let printed = '';
    const gate = () => {
      applyGate([slower, untested], { percent: 10, acceptUntested: false }, (t) => (printed += t));
    };
    expect(gate).toThrow(RegressionError);
    expect(printed).toMatch(/^\ngate \(--fail-on-regression 10%\): 8 regressions /);
    expect(printed).toMatch(/\ngate not applied: sweep sweep-quick: 24 of 24 rows untested/);
  });

  it('untested: exit 4, or accepted and said', () => {
    const untested = compareResults(one, one);
    let printed = '';
    expect(() => {
      applyGate([untested], { percent: 10, acceptUntested: false }, (t) => (printed += t));
    }).toThrow(GateNotAppliedError);
    printed = '';
    applyGate([untested], { percent: 10, acceptUntested: true }, (t) => (printed += t));
    expect(printed).toMatch(/ \(accepted with --accept-untested\)\n$/);
  });

  it('every row tested and none beyond the limit: passed, with how many rows it tested', () => {
    const outcome = judgeGate([compareTrials(trials(5, 1, 0), trials(5, 1.05, 2))], {
      percent: 10,
      acceptUntested: false,
    });
    expect(outcome.notApplied).toEqual([]);
    expect(outcome.lines).toEqual([
      'gate (--fail-on-regression 10%): no change for the worse beyond 10% in the 24 rows it tested',
    ]);
  });
});
