import { InterruptedError } from '../../../lib/errors.ts';

/**
 * A run's stages in the order they start. Each one that starts something pushes how to stop
 * it on the run's cleanup stack, so whichever stage fails, or a Ctrl-C before the load,
 * stops everything started before it, the last first.
 */
export const RUN_STAGES = [
  'seed',
  'link-proxy',
  'services',
  'event-sink',
  'probes',
  'fault-producer',
  'generators',
  'cost-meter',
  'load',
  'drain',
  'audit',
  'cost',
] as const;
export type RunStageName = (typeof RUN_STAGES)[number];

/** Stages before the load: a Ctrl-C during one of them ends the run without starting the load. */
const BEFORE_LOAD = new Set<RunStageName>(RUN_STAGES.slice(0, RUN_STAGES.indexOf('load')));

/**
 * Called once a stage has finished, with its name: the test seam that fails each stage in
 * turn (by throwing) or interrupts the run there (by aborting its signal). Not an option a
 * user can reach.
 */
export type AfterStage = (stage: RunStageName) => void | Promise<void>;

export type RunStageRunner = <T>(stage: RunStageName, work: () => Promise<T> | T) => Promise<T>;

/**
 * Runs stages by name: a stage before the load is not started once the run was interrupted
 * (whatever the earlier ones started is stopped by the caller's cleanup stack), and
 * `afterStage` hears of each stage that finished.
 */
export function runStages(signal: AbortSignal, afterStage?: AfterStage): RunStageRunner {
  return async (stage, work) => {
    if (signal.aborted && BEFORE_LOAD.has(stage))
      throw new InterruptedError(
        `interrupted before the load started (at stage ${stage}): everything started was stopped`,
      );
    const value = await work();
    await afterStage?.(stage);
    return value;
  };
}
