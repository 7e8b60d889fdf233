/**
 * How much a measured effect moves between sessions on one machine, beyond what its trials
 * inside a session spread. An interval built from one session's trials is right about that
 * session; a change measured in another session (another hour, other work beside it, another
 * table state) lands elsewhere by more than that interval allows, because what the session's
 * trials share never varies among them. A busy machine, for one, adds time to both sides of
 * a pair alike, which shrinks a real change's ratio for the whole session.
 *
 * The spread is measured the way metrology measures reproducibility: the same effects
 * measured in several sessions, and the variance of the sessions' estimates beyond what
 * their own trials explain (a method-of-moments random-effects variance). Two parts:
 * - `relative`: real effects (one SQL form against another, both in the same rounds), whose
 *   size moves between sessions in proportion to itself;
 * - `additive`: A/A twins (the same SQL twice), whose ratio should be 1 in every session.
 * All on the log scale: a change's log ratio moves between sessions with a standard
 * deviation of sqrt(additive^2 + (relative * log ratio)^2).
 */

export interface SessionSpread {
  /** Sessions (or blocks of consecutive trials) the spread was measured over. */
  readonly sessions: number;
  /** Real effects it was measured on. */
  readonly effects: number;
  /** Between-session standard deviation of a real effect's log ratio, as a share of it. */
  readonly relative: number;
  /** Between-session standard deviation of an A/A twin's log ratio. */
  readonly additive: number;
}

/** Effects smaller than this (as a log ratio, about 5 %) say too little about a share of themselves. */
export const SMALLEST_REAL_EFFECT = Math.log(1.05);

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

function sampleVariance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

/**
 * One effect measured in several sessions (per session, its trials' log values): the mean
 * over sessions and the between-session variance beyond the sessions' own standard errors,
 * not truncated at 0, so that pooling many effects stays unbiased. Undefined with fewer than
 * two sessions of at least two trials.
 */
export function betweenSessionVariance(
  sessions: readonly (readonly number[])[],
): { mean: number; variance: number } | undefined {
  const usable = sessions.filter((s) => s.length >= 2);
  if (usable.length < 2) return undefined;
  const estimates = usable.map(mean);
  const withinSquared = usable.map((s) => sampleVariance(s) / s.length);
  return {
    mean: mean(estimates),
    variance: sampleVariance(estimates) - mean(withinSquared),
  };
}

/**
 * The spread of this machine from real effects and A/A twins, each given as its trials' log
 * values per session. Real effects smaller than SMALLEST_REAL_EFFECT are left out. Undefined
 * when fewer than two sessions or no real effect remain: nothing can be said then.
 */
export function sessionSpread(
  realEffects: readonly (readonly (readonly number[])[])[],
  twins: readonly (readonly (readonly number[])[])[],
): SessionSpread | undefined {
  const relativeSquares: number[] = [];
  let sessions = 0;
  for (const effect of realEffects) {
    const v = betweenSessionVariance(effect);
    if (v === undefined || Math.abs(v.mean) < SMALLEST_REAL_EFFECT) continue;
    relativeSquares.push(v.variance / v.mean ** 2);
    sessions = Math.max(sessions, effect.filter((s) => s.length >= 2).length);
  }
  if (relativeSquares.length === 0) return undefined;
  const additiveSquares = twins
    .map((t) => betweenSessionVariance(t)?.variance)
    .filter((v): v is number => v !== undefined);
  return {
    sessions,
    effects: relativeSquares.length,
    relative: Math.sqrt(Math.max(0, mean(relativeSquares))),
    additive: additiveSquares.length === 0 ? 0 : Math.sqrt(Math.max(0, mean(additiveSquares))),
  };
}

/**
 * An interval from one session's trials widened to hold the change as another session on
 * the same machine would measure it: each side's half-width (log scale) and the
 * between-session deviation at this change's size added in quadrature, at the normal
 * quantile `z` of the interval's confidence.
 */
export function widenForSessions<T extends { ratio: number; lower: number; upper: number }>(
  interval: T,
  spread: Pick<SessionSpread, 'relative' | 'additive'>,
  z: number,
): T {
  const centre = Math.log(interval.ratio);
  const between = z * Math.hypot(spread.additive, spread.relative * centre);
  const below = Math.hypot(centre - Math.log(interval.lower), between);
  const above = Math.hypot(Math.log(interval.upper) - centre, between);
  return { ...interval, lower: Math.exp(centre - below), upper: Math.exp(centre + above) };
}
