import type { SweepResult } from '../../results/schema/result-schema.ts';
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { formatDuration } from '../../simulator/duration.ts';
import { planArrivals } from '../../simulator/simulation.ts';
import { breakpointOf } from './breakpoint-reading.ts';
import { countAtLeast, flushSizesOf } from './flush-size-count.ts';
import { revisitVerdict, type JudgedLoad } from './revisit-verdict.ts';
import type { ParsedThreshold } from './run-metrics.ts';
import { scenarioReaders } from './run-metrics.ts';
import type { RunOutcome } from './run-scenario.ts';
import type { RunSettings, SeriesPoint } from './run-plan.ts';
import { metricValues, partitionRows, perScenarioSubMetrics } from './run-summary.ts';
import { peakSustainedRate } from './sustained-rate.ts';
import { explainVerdict } from '../cost/verdict-explanation.ts';

/** The goal rows an average event feeds with the shipped catalogue and the default mix. */
export const ROWS_PER_EVENT = 10;

/**
 * The scenario a run is judged on (the one that starts last) as it ran: from its start to its
 * end, or to the end of the load when an abort cut it short; its own events and rate, and
 * the highest rate it held over the sustained window.
 */
export function judgedLoad(
  series: readonly SeriesPoint[],
  sim: Pick<RunStats, 'elapsedMs' | 'scenarios'>,
  settings: Pick<RunSettings, 'scenarioName' | 'scenarios'>,
): JudgedLoad {
  const name = settings.scenarioName;
  const judged = settings.scenarios.find((s) => s.name === name);
  const startMs = judged?.startTimeMs ?? 0;
  const plannedEndMs =
    judged === undefined ? sim.elapsedMs : startMs + planArrivals(judged.executor).durationMs;
  const endMs = Math.max(startMs, Math.min(plannedEndMs, sim.elapsedMs));
  const others = settings.scenarios.filter((s) => s.name !== name).map((s) => s.name);
  const stats =
    sim.scenarios.length === 1 ? sim.scenarios[0] : sim.scenarios.find((s) => s.name === name);
  const cut = endMs < plannedEndMs ? ' (stopped early)' : '';
  return {
    scope: `scenario ${name}, ${formatDuration(startMs)}-${formatDuration(endMs)}${cut}${others.length === 0 ? '' : `; ${others.join(', ')} left out`}`,
    scenario: name,
    sent: stats?.sent ?? 0,
    seconds: (endMs - startMs) / 1000,
    sustained: peakSustainedRate(series, { fromS: startMs / 1000, toS: endMs / 1000 }),
  };
}

/**
 * What a run's measurements say: the revisit verdict, every metric's values, the breakpoint,
 * the partition table and the flush size against the one the judged scenario's rate predicts.
 * With a warm-up before it, the verdict and the tables are about the main scenario.
 */
export function judgeRun(
  outcome: RunOutcome,
  settings: RunSettings,
  thresholdSpecs: readonly ParsedThreshold[],
  sweep: SweepResult | undefined,
  /** The scenario's summaryTrendStats: percentiles it adds to the values. */
  trendStats: readonly string[] = [],
) {
  const several = settings.scenarios.length > 1;
  const judged = several
    ? scenarioReaders(outcome.readers, settings.scenarioName)
    : outcome.readers;
  const load = judgedLoad(outcome.series, outcome.sim, settings);
  const flushSizes = flushSizesOf(outcome.latency, several ? settings.scenarioName : undefined);
  let checked;
  try {
    checked = revisitVerdict(
      judged,
      settings.variant,
      sweep,
      settings.dbCpuLimitPercent,
      'unavailable' in outcome.dbCpu ? outcome.dbCpu.unavailable : undefined,
      {
        load,
        // A result from before the exact histograms has none to count.
        ...(flushSizes.totalCount === 0
          ? {}
          : { flushesAtLeast: (rows: number) => countAtLeast(flushSizes, rows) }),
      },
    );
  } finally {
    flushSizes.destroy();
  }
  const values = metricValues(
    outcome.readers,
    [...thresholdSpecs, ...(several ? perScenarioSubMetrics(settings.scenarios) : [])],
    trendStats,
  );
  const breakpoint = breakpointOf(outcome.series, thresholdSpecs);
  const partitions = partitionRows(judged, settings.partitions);
  // The judged scenario's own rate over the time it ran: its flushes are the measured ones.
  const eps = load.seconds > 0 ? load.sent / load.seconds : 0;
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
    flushSize: {
      predicted,
      eventsPerSecond: eps,
      rowsPerEvent: ROWS_PER_EVENT,
      measured,
      ...(several ? { of: settings.scenarioName } : {}),
    },
  };
}
