import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';
import { GeneratorFleet, type FleetPlan } from '../generator-fleet.ts';

export interface GeneratorsStage {
  readonly fleet: GeneratorFleet;
  /** Kills every generator and removes their folder; dismissed once they finished by themselves. */
  readonly kill: Deferred<void>;
}

/**
 * Stage `generators`: several generators, each its own process with its shard of the
 * players, started and prepared after everything else that may fail before the load, told
 * to go when the run starts measuring. None for a load made in this process.
 */
export async function startGenerators(
  stack: CleanupStack,
  count: number,
  plan: FleetPlan,
): Promise<GeneratorsStage | undefined> {
  if (count <= 1) return undefined;
  const fleet = await GeneratorFleet.start(count, plan);
  return { fleet, kill: stack.defer('the generators', () => fleet.kill()) };
}
