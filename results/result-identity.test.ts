import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResultText } from './result-file.ts';
import {
  describeDifferences,
  describeGroups,
  groupByIdentity,
  identityDifferences,
  resultIdentity,
} from './result-identity.ts';
import type { ResultFile, RunResult, SweepResult } from './schema/result-schema.ts';

function fixture(name: string): ResultFile {
  const path = `results/compare/fixtures/${name}`;
  return parseResultText(readFileSync(path, 'utf8'), path);
}
const runFixture = (name: string) => fixture(name) as RunResult;

/** The run fixture with its `harness` block changed by `edit`, saved under `name`. */
function run(edit: (harness: Record<string, unknown>) => void, name = 'production'): RunResult {
  const r = structuredClone(runFixture('run-base.json'));
  const options = r.config.options as { harness: Record<string, unknown> };
  edit(options.harness);
  return { ...r, name };
}

describe('resultIdentity: what a saved result ran, from the fields it already holds', () => {
  it('reads a run saved before identities existed', () => {
    const id = resultIdentity(runFixture('run-base.json'));
    expect(id).toMatchObject({
      kind: 'run',
      name: 'production',
      variant: 'join',
      statements: null,
      scenarioFile: 'production.ts',
      partitions: 8,
      flushIntervalMs: 100,
      postgresVersion: '15.18',
    });
    expect(id.optionsHash).toMatch(/^[0-9a-f]{8}$/);
    expect(id.postgresSettings.shared_buffers).toBe('128MB');
  });

  it('takes the production defaults where the file left them out, and a several-variant run from its name', () => {
    const defaults = resultIdentity(
      run((h) => {
        delete h.variant;
        delete h.partitions;
        delete h.flushIntervalMs;
      }),
    );
    expect(defaults).toMatchObject({ variant: 'join', partitions: 8, flushIntervalMs: 100 });
    const several = run((h) => {
      delete h.variant;
      h.variants = ['correlated', 'cte'];
    }, 'production-cte');
    expect(resultIdentity(several).variant).toBe('cte');
  });

  it('reads a sweep: its statement modes and table, not its variants (rows are per variant)', () => {
    const sweep = fixture('sweep-base.json') as SweepResult;
    expect(resultIdentity(sweep)).toMatchObject({
      kind: 'sweep',
      variant: null,
      statements: 'prepared, unprepared',
    });
    const fewer = { ...sweep, config: { ...sweep.config, variants: ['join'] } };
    expect(identityDifferences(resultIdentity(sweep), resultIdentity(fewer))).toEqual([]);
    const bigger = { ...sweep, config: { ...sweep.config, players: 20_000 } };
    expect(
      describeDifferences(identityDifferences(resultIdentity(sweep), resultIdentity(bigger))),
    ).toMatch(/^table setup [0-9a-f]{8} vs [0-9a-f]{8} \(players 10000 vs 20000\)$/);
  });
});

describe('identityDifferences: named in words', () => {
  const join = resultIdentity(runFixture('run-base.json'));

  it('the same run in another checkout, with its keys in another order, is the same', () => {
    const moved = structuredClone(runFixture('run-base.json'));
    moved.config.scenarioFile =
      '/home/ci/.cache/flush-harness/worktrees/abc/scenarios/production.ts';
    const options = moved.config.options as Record<string, unknown>;
    moved.config.options = Object.fromEntries(Object.entries(options).reverse());
    expect(identityDifferences(join, resultIdentity(moved))).toEqual([]);
  });

  it('a tightened threshold or an allowed audit check is the same run: they judge it, they change nothing it measures', () => {
    const base = runFixture('run-base.json');
    const tightened = structuredClone(base);
    const options = tightened.config.options as {
      thresholds: Record<string, string[]>;
      harness: Record<string, unknown>;
    };
    options.thresholds = { ...options.thresholds, 'flush_duration{scenario:steady}': ['p(95)<40'] };
    options.harness.allowWrongResults = ['doubled_increments'];
    expect(identityDifferences(resultIdentity(base), resultIdentity(tightened))).toEqual([]);
    expect(resultIdentity(tightened).optionsHash).toBe(resultIdentity(base).optionsHash);
    // A change to what the run does still tells them apart.
    expect(
      identityDifferences(resultIdentity(base), resultIdentity(run((h) => (h.bufferSize = 1000)))),
    ).not.toEqual([]);
  });

  it('names the variant, partitions, flush interval, an option and a PostgreSQL setting', () => {
    const other = run((h) => {
      h.variant = 'cte';
      h.partitions = 4;
      h.flushIntervalMs = 250;
      h.players = 20_000;
    });
    other.env.postgres.settings.shared_buffers = '1GB';
    expect(
      describeDifferences(identityDifferences(join, resultIdentity(other)), {
        a: 'base',
        b: 'head',
      }),
    ).toMatch(
      /^variant join \(base\) vs cte \(head\); partitions 8 \(base\) vs 4 \(head\); flush interval \(ms\) 100 \(base\) vs 250 \(head\); scenario options [0-9a-f]{8} \(base\) vs [0-9a-f]{8} \(head\) \(harness\.players 10000 vs 20000\); shared_buffers 128MB \(base\) vs 1GB \(head\)$/,
    );
  });

  it('a setting recorded on one side only is no known difference', () => {
    const newer = structuredClone(runFixture('run-base.json'));
    newer.env.postgres.settings.max_wal_size = '1GB';
    expect(identityDifferences(join, resultIdentity(newer))).toEqual([]);
  });

  it('groups results by what they ran and counts each group', () => {
    const entries = [
      { result: runFixture('run-base.json') },
      { result: runFixture('run-head.json') },
      { result: run((h) => (h.variant = 'cte')) },
    ];
    const groups = groupByIdentity(entries);
    expect(groups.map((g) => g.members.length)).toEqual([2, 1]);
    expect(describeGroups(groups)).toBe('variant join (2 results) vs cte (1 result)');
  });
});
