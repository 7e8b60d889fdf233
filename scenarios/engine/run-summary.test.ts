import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { parseResultText } from '../../results/result-file.ts';
import type { RunResult } from '../../results/schema/result-schema.ts';
import { expectGolden, RESULT_FIXTURES } from '../../scripts/testing/golden.ts';
import type { AuditReport } from './increment-audit.ts';
import { auditLines, renderRunSummary, type RunSummaryView } from './run-summary.ts';
import { auditVerdict, withAudit } from './audit-verdict.ts';

function run(name: string): RunResult {
  const path = `${RESULT_FIXTURES}/${name}`;
  const result = parseResultText(readFileSync(path, 'utf8'), path);
  if (result.kind !== 'run') throw new Error(`${path} is not a run`);
  return result;
}

/** The summary's view of a saved run: everything the file holds, as the run printed it. */
function viewOf(result: RunResult, extra: Partial<RunSummaryView> = {}): RunSummaryView {
  const m = result.metrics;
  // Saved as null when the run made no flush.
  const measured: number | null = m.measuredFlushRows;
  return {
    scriptPath: 'scenarios/production.ts',
    outputPath: 'results/runs/production.json',
    scenario: {
      name: result.name,
      executor: 'constant-arrival-rate',
      variant: 'join',
      partitions: 8,
      flushIntervalMs: 100,
      bufferSize: 3000,
      parts: null,
    },
    database: {
      version: result.env.postgres.version,
      kind: result.env.postgres.source,
      players: 10_000,
      goals: 50,
    },
    aborted: m.aborted,
    values: m.values,
    thresholds: result.thresholds.map((t) => ({ ...t, abortOnFail: false, delayAbortEvalMs: 0 })),
    partitions: m.partitions,
    faults: null,
    audit: null,
    settling: null,
    machine: null,
    flushSize: {
      predicted: m.predictedFlushRows,
      eventsPerSecond: (m.simulator as { achievedRate: number }).achievedRate,
      rowsPerEvent: 10,
      measured: measured ?? Number.NaN,
    },
    verdict: result.verdict,
    targets: '',
    ...extra,
  };
}

/** The HTTP fault matrix's audit as it ended (docs/faults.md), with its crash window. */
const audit: AuditReport = {
  events: { scheduled: 180_000, notSent: 0, unknown: 52_717, acknowledged: 127_232, refused: 51 },
  rowsChecked: 500_000,
  lostIncrements: 107_019,
  lostAtCrash: 107_019,
  lost: 0,
  doubled: 0,
  untouchableMoved: 0,
  deadLettered: 0,
  crashBound: 242_910,
  keysLost: 42_710,
  keysDoubled: 0,
  examples: { lost: [], doubled: [] },
  durationMs: 12_000,
};

describe('the run summary, held to golden files', () => {
  it('a production run that kept every threshold', () => {
    expectGolden(
      renderRunSummary(viewOf(run('run-base.json'))),
      'scenarios/engine/golden/run-base.txt',
    );
  });

  it('a run that failed a threshold, with faults, the audit, settling and the machine', () => {
    const view = viewOf(run('run-head.json'), {
      scenario: {
        ...viewOf(run('run-head.json')).scenario,
        parts:
          'warmup 0s-30s, steady 30s-10m30s (the verdict and the partition table are about steady)',
      },
      aborted: null,
      faults: {
        records: [
          {
            t: 20,
            action: 'kill-service',
            detail: 'SIGKILL, restarted',
            durationMs: 1400,
            ok: true,
          },
          { t: 40, action: 'restart-postgres', detail: 'fast', durationMs: 2300, ok: true },
          {
            t: 60,
            action: 'stop-postgres',
            detail: 'for 10 s',
            durationMs: 10_600,
            ok: false,
            error: 'did not stop within 60000 ms',
          },
        ],
        serviceLives: 2,
        link: { connections: 24, commitRepliesDropped: 1, resets: 2 },
      },
      audit: { report: audit, transport: 'http' },
      settling:
        'settling: flush p95 13.5 ms in the first 30 s, 7.47 ms in the last 30 s (1.8x); steady after 24 s',
      machine: 'machine while the scenario measured: other processes 49 % of 2 cores, load 2.9',
    });
    expectGolden(renderRunSummary(view), 'scenarios/engine/golden/run-head-faults.txt');
  });

  it('a run whose audit failed: the checks under the thresholds, WRONG RESULTS last with example rows', () => {
    const wrong: AuditReport = {
      ...audit,
      events: { scheduled: 600, notSent: 0, unknown: 0, acknowledged: 600, refused: 0 },
      rowsChecked: 15_000,
      lostIncrements: 192,
      lostAtCrash: 0,
      lost: 192,
      doubled: 403,
      crashBound: 0,
      keysLost: 79,
      keysDoubled: 126,
      examples: {
        lost: [
          {
            userId: 'd5e60e15-ff9a-4745-8acc-c17087e512c9',
            goalId: 'challenge-01-goal-003',
            before: 100,
            after: 104,
            acknowledged: 9,
            sent: 9,
            low: 109,
            high: 109,
          },
        ],
        doubled: [
          {
            userId: 'fd46d528-eb91-49f2-a8eb-bb54ccde88ca',
            goalId: 'challenge-01-goal-003',
            before: 36,
            after: 48,
            acknowledged: 4,
            sent: 5,
            low: 40,
            high: 41,
          },
        ],
      },
    };
    const base = run('run-base.json');
    const verdict = withAudit(base.verdict, auditVerdict(wrong, 'correlated', []));
    expectGolden(
      renderRunSummary(viewOf(base, { verdict, audit: { report: wrong, transport: 'http' } })),
      'scenarios/engine/golden/run-wrong-results.txt',
    );
  });

  it('the audit attributed per key: each crash window, the loss outside them, the worst rows and the largest error', () => {
    const example = {
      userId: 'd5e60e15-ff9a-4745-8acc-c17087e512c9',
      goalId: 'challenge-01-goal-003',
      before: 100,
      after: 104,
      acknowledged: 9,
      sent: 11,
      low: 107,
      high: 111,
      inCrashWindow: 2,
      error: 3,
    };
    const perKey: AuditReport = {
      ...audit,
      lostIncrements: 31_017,
      lostAtCrash: 31_014,
      lost: 3,
      crashBound: 70_250,
      keysLost: 1,
      keysLostAtCrash: 12_001,
      indeterminate: 52_900,
      crashes: [
        {
          atSeconds: 20.1,
          unwrittenReported: 30_125,
          window: 34_900,
          keys: 14_000,
          lost: 15_514,
          keysLost: 6_001,
        },
        {
          atSeconds: 45.3,
          unwrittenReported: 29_870,
          window: 35_350,
          keys: 14_100,
          lost: 15_500,
          keysLost: 6_000,
        },
      ],
      maxError: { lost: { absolute: 3, relative: 3 / 7 }, doubled: null },
      examples: {
        lost: [example],
        doubled: [],
        lostAtCrash: [{ ...example, after: 108, error: 1, userId: 'a1' }],
        untouchable: [],
      },
    };
    expectGolden(`${auditLines(perKey, 'http')}\n`, 'scenarios/engine/golden/audit-per-key.txt');
  });

  it('a run of several generators and services: the merged figures, then one line per generator and per service', () => {
    const line = (shard: string, scheduled: number, lag: number) => ({
      shard,
      scheduled,
      sent: scheduled - 2,
      dropped: 2,
      achievedRate: scheduled / 60,
      lagP99Ms: lag,
      delivered: scheduled - 2,
      rejected: 0,
      failed: 0,
    });
    expectGolden(
      renderRunSummary(
        viewOf(run('run-base.json'), {
          generators: [line('0/2', 14_871, 1.93), line('1/2', 14_769, 2.41)],
          services: [
            { instance: 0, lives: 2, flushes: { '0': 300, '1': 310, '2': 120, '3': 290 } },
            {
              instance: 1,
              lives: 1,
              flushes: { '2': 180, '4': 300, '5': 300, '6': 299, '7': 301 },
            },
          ],
        }),
      ),
      'scenarios/engine/golden/run-generators.txt',
    );
  });

  it('a verdict whose rows say what they read: one straggler kept, the judged scenario held past 1,000 events/s', () => {
    const scope = 'scenario ramp, 10s-50s; warmup left out';
    expectGolden(
      renderRunSummary(
        viewOf(run('run-base.json'), {
          flushSize: { ...viewOf(run('run-base.json')).flushSize, of: 'ramp' },
          verdict: {
            result: 'REVISIT',
            checks: [
              {
                trigger: 'flush sizes of 500+ rows',
                measured:
                  'p95 220 rows, p99 380 rows, max 520 rows; 1 of 3,092 flushes at 500+ rows (0.03 %)',
                limit: 'p95 >= 500',
                fired: false,
                read: `${scope}, every flush`,
              },
              {
                trigger: '1,000+ events/s',
                measured:
                  'peak 1,201.2 events/s over 30 s (to 50 s); ramp itself 1,087.5 events/s (43,500 sent in 40 s)',
                limit: '>= 1,000 over 30 s',
                fired: true,
                read: `${scope}, events accepted each second`,
              },
              {
                trigger: 'database CPU constrained',
                measured: '10.8 % of all cores',
                limit: '> 70 %',
                fired: false,
                read: 'the whole run, the mean of per-second samples',
              },
            ],
          },
        }),
      ),
      'scenarios/engine/golden/run-verdict-read.txt',
    );
  });
});
