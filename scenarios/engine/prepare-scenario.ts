import { isUsageError, UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { planArrivals } from '../../simulator/simulation.ts';
import type { ArrivalPlan } from '../../simulator/executors/arrival-plan.ts';
import { parseThresholds, type ParsedThreshold } from './run-metrics.ts';
import { ignoredK6Keys } from './k6-options.ts';
import { runSettings, type RunSettings } from './run-plan.ts';
import { validateScenarioOptions, type ValidScenarioOptions } from './scenario-options.ts';

/** A scenario checked end to end before anything starts: options, settings, plan, thresholds. */
export interface PreparedScenario {
  readonly options: ValidScenarioOptions;
  readonly settings: RunSettings;
  readonly plan: ArrivalPlan;
  readonly thresholds: ParsedThreshold[];
  /** k6 keys of the file the harness has no use for, said once when a run starts. */
  readonly ignored: string[];
}

/**
 * Everything about a scenario that can be wrong without a database: its options, its
 * schedule (a rate or duration that cannot be planned) and its thresholds' grammar. Whatever
 * `raw` holds, the answer is a prepared scenario or one UsageError naming `file`.
 */
export function prepareScenario(file: string, raw: unknown): PreparedScenario {
  const options = validateScenarioOptions(file, raw);
  const settings = runSettings(options);
  const named = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (!isUsageError(error)) throw error;
      throw new UsageError(`scenario ${file}: ${error.message}`);
    }
  };
  const plan = named(() => planArrivals(settings.executor));
  const thresholds = named(() =>
    parseThresholds(options, (d) => parseDuration(d, 'delayAbortEval')),
  );
  return { options, settings, plan, thresholds, ignored: ignoredK6Keys(raw) };
}
