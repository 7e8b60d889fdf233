import { UsageError } from '../lib/errors.ts';
import { LOAD_TEST_STAT_CODES, LOGIN } from '../sut/catalogue/goal-catalogue.ts';

/** What kinds of event players send and how often: `login`, or a stat code, with weights. */
export interface EventMix {
  readonly sources: readonly string[];
  /** Cumulative normalised weights, one per source; the last is 1. */
  readonly cumulative: Float64Array;
}

/** The production load tests' mix: 20 % login, 80 % stat updates spread evenly over five stat codes. */
export const DEFAULT_MIX_WEIGHTS: Readonly<Record<string, number>> = {
  [LOGIN]: 20,
  ...Object.fromEntries(LOAD_TEST_STAT_CODES.map((code) => [code, 16])),
};

export function buildMix(weights: Readonly<Record<string, number>>): EventMix {
  const entries = Object.entries(weights);
  const bad = entries.filter(([, w]) => !(Number.isFinite(w) && w >= 0));
  const total = entries.reduce((s, [, w]) => s + (Number.isFinite(w) && w > 0 ? w : 0), 0);
  if (entries.length === 0 || bad.length > 0 || !(total > 0)) {
    throw new UsageError(
      `event mix weights must be numbers of at least 0 that sum to more than 0, got ${entries.map(([s, w]) => `${s}=${w}`).join(',') || 'none'}`,
    );
  }
  const cumulative = new Float64Array(entries.length);
  let sum = 0;
  entries.forEach(([, w], i) => {
    sum += w / total;
    cumulative[i] = sum;
  });
  cumulative[entries.length - 1] = 1;
  return { sources: entries.map(([s]) => s), cumulative };
}

/** Parses `login=20,wins=80` (the command-line form). */
export function parseMix(value: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of value.split(',')) {
    const match = /^\s*([a-z][a-z0-9_]*)\s*=\s*([^,]+)\s*$/.exec(part);
    if (match === null)
      throw new UsageError(
        `--mix "${value}" does not parse; expected source=weight pairs like login=20,wins=80`,
      );
    weights[match[1] as string] = Number(match[2]);
  }
  return weights;
}

export function pickSource(mix: EventMix, u: number): string {
  const { cumulative, sources } = mix;
  for (let i = 0; i < cumulative.length; i++)
    if (u < (cumulative[i] as number)) return sources[i] as string;
  return sources[sources.length - 1] as string;
}
