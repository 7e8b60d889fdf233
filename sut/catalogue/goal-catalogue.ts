/** Stat codes of the production load tests (CONTEXT.md, "Production figures"). */
export const STAT_CODES = [
  'login_count',
  'enemy_kills',
  'games_played',
  'headshots',
  'wins',
] as const;
export type StatCode = (typeof STAT_CODES)[number];
/** What feeds a goal: the login event, or a stat update on one stat code. */
export type GoalSource = 'login' | StatCode;
export const GOAL_SOURCES: readonly GoalSource[] = ['login', ...STAT_CODES];

export interface Goal {
  readonly goalId: string;
  readonly challengeId: string;
  readonly source: GoalSource;
  readonly targetValue: number;
  /** Counts at most once per UTC day. */
  readonly daily: boolean;
}

export interface GoalCatalogue {
  readonly namespace: string;
  readonly goals: readonly Goal[];
}

export interface CatalogueShape {
  /** Number of challenges (production: 10). */
  readonly challenges: number;
  /** Goals in each challenge (production: 50). */
  readonly goalsPerChallenge: number;
  /** Share of goals that are daily, 0..1. */
  readonly dailyShare: number;
  readonly namespace: string;
}

export const DEFAULT_CATALOGUE_SHAPE: CatalogueShape = {
  challenges: 10,
  goalsPerChallenge: 50,
  dailyShare: 0.1,
  namespace: 'harness',
};

/** Base target per source; later goals in a challenge are tiers with higher targets. */
const BASE_TARGET: Record<GoalSource, number> = {
  login: 7,
  login_count: 10,
  enemy_kills: 100,
  games_played: 20,
  headshots: 50,
  wins: 10,
};
/** The fractional part of the golden ratio spreads daily goals evenly without an RNG. */
const GOLDEN = 0.6180339887498949;

/**
 * A catalogue of challenges x goals, generated without randomness: sources rotate through
 * login and the five stat codes, targets grow by tier, and daily goals are spread evenly.
 */
export function generateCatalogue(shape: CatalogueShape = DEFAULT_CATALOGUE_SHAPE): GoalCatalogue {
  const goals: Goal[] = [];
  for (let c = 0; c < shape.challenges; c++) {
    const challengeId = `challenge-${String(c + 1).padStart(2, '0')}`;
    for (let g = 0; g < shape.goalsPerChallenge; g++) {
      const index = c * shape.goalsPerChallenge + g;
      const source = GOAL_SOURCES[g % GOAL_SOURCES.length] as GoalSource;
      const tier = Math.floor(g / GOAL_SOURCES.length);
      goals.push({
        goalId: `${challengeId}-goal-${String(g + 1).padStart(3, '0')}`,
        challengeId,
        source,
        targetValue: BASE_TARGET[source] * (tier + 1),
        daily: ((index + 1) * GOLDEN) % 1 < shape.dailyShare,
      });
    }
  }
  return { namespace: shape.namespace, goals };
}
