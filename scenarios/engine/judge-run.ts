import type { SweepResult } from '../../results/schema/result-schema.ts';
import { breakpointOf } from './breakpoint-reading.ts';
import { revisitVerdict } from './revisit-verdict.ts';
import type { ParsedThreshold } from './run-metrics.ts';
import { scenarioReaders } from './run-metrics.ts';
import type { RunOutcome, RunSettings } from './run-scenario.ts';
import { metricValues, partitionRows, perScenarioSubMetrics } from './run-summary.ts';
import { explainVerdict } from '../cost/verdict-explanation.ts';

/** The goal rows an average event feeds with the shipped catalogue and the default mix. */
export const ROWS_PER_EVENT = 10;

/**
 * What a run's measurements say: the revisit verdict, every metric's values, the breakpoint,
 * the partition table and the flush size against the one production's rate predicts. With a
 * warm-up before it, the verdict and the tables are about the main scenario.
 */
export function judgeRun(
  outcome: RunOutcome,
  settings: RunSettings,
  thresholdSpecs: readonly ParsedThreshold[],
  sweep: SweepResult | undefined,
) {
  const several = settings.scenarios.length > 1;
  const judged = several
    ? scenarioReaders(outcome.readers, settings.scenarioName)
    : outcome.readers;
  const checked = revisitVerdict(
    judged,
    settings.variant,
    sweep,
    settings.dbCpuLimitPercent,
    'unavailable' in outcome.dbCpu ? outcome.dbCpu.unavailable : undefined,
  );
  const values = metricValues(outcome.readers, [
    ...thresholdSpecs,
    ...(several ? perScenarioSubMetrics(settings.scenarios) : []),
  ]);
  const breakpoint = breakpointOf(outcome.series, thresholdSpecs);
  const partitions = partitionRows(judged, settings.partitions);
  const eps = outcome.sim.achievedRate;
  const predicted =
    (eps * ROWS_PER_EVENT * (settings.flushIntervalMs / 1000)) / settings.partitions;
  const measured = judged.flush_size({ kind: 'avg' });
  const verdict = {
    ...checked,
    explanation: explainVerdict({
      cost: outcome.cost,
      flushRows: measured,
      sweep,
      variant: settings.variant,
    }),
  };
  return {
    several,
    judged,
    verdict,
    values,
    breakpoint,
    partitions,
    flushSize: { predicted, eventsPerSecond: eps, rowsPerEvent: ROWS_PER_EVENT, measured },
  };
}
