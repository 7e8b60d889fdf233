import { createRandom } from '../../sut/db/random.ts';

export type SideName = 'base' | 'head';

/**
 * The order of an A/B run's trials: pairs, each pair in a random order (AB or BA), so that
 * whatever drifts during the run (the machine's other work, the database's checkpoints and
 * autovacuum, caches) falls on both sides alike and never on one side by its position:
 * randomized multiple interleaved trials (Abedi and Brecht, ICPE 2017).
 */
export function trialOrder(trialsPerSide: number, seed: number): SideName[] {
  const random = createRandom(seed);
  const order: SideName[] = [];
  for (let i = 0; i < trialsPerSide; i++)
    order.push(...(random() < 0.5 ? (['base', 'head'] as const) : (['head', 'base'] as const)));
  return order;
}

/** What each trial runs: a quick or full sweep, or a scenario (optionally shortened). */
export type TrialWork =
  | { readonly kind: 'sweep'; readonly quick: boolean }
  | { readonly kind: 'scenario'; readonly scenario: string; readonly duration?: string };

/** The harness arguments of one trial, writing its results to `output`. */
export function trialArgs(work: TrialWork, output: string): string[] {
  return work.kind === 'sweep'
    ? ['sweep', ...(work.quick ? ['--quick'] : []), '--output', output]
    : [
        'run',
        work.scenario,
        ...(work.duration === undefined ? [] : ['--duration', work.duration]),
        '--output',
        output,
      ];
}

/** What the trials' results are called: how a calibration for them is found again. */
export function trialResultName(work: TrialWork): { kind: 'sweep' | 'run'; name: string } {
  if (work.kind === 'sweep') return { kind: 'sweep', name: work.quick ? 'sweep-quick' : 'sweep' };
  const base = work.scenario.replace(/^.*\//, '').replace(/\.[cm]?[tj]s$/, '');
  return { kind: 'run', name: base };
}
