import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UsageError } from '../../lib/errors.ts';

/** The stat codes of the production load tests' event mix (docs/production-system.md, its figures). */
export const LOAD_TEST_STAT_CODES = [
  'login_count',
  'enemy_kills',
  'games_played',
  'headshots',
  'wins',
] as const;
/** Stat codes the catalogue's other goals count: tracked by the game, absent from the event mix. */
const OTHER_STAT_CODES = [
  'assists',
  'revives',
  'matches_ranked',
  'items_crafted',
  'distance_km',
  'quests_done',
  'bosses_defeated',
  'chests_opened',
];
/** The goal source of the login event; every other source is a stat code. */
export const LOGIN = 'login';

export interface Goal {
  readonly goalId: string;
  readonly challengeId: string;
  /** `login`, or the stat code whose updates feed the goal. */
  readonly source: string;
  readonly targetValue: number;
  /** Counts at most once per UTC day. */
  readonly daily: boolean;
}

export interface GoalCatalogue {
  readonly namespace: string;
  readonly goals: readonly Goal[];
}

const idSchema = z.string().min(1).max(100);
const catalogueFileSchema = z.strictObject({
  namespace: idSchema,
  challenges: z
    .array(
      z.strictObject({
        challengeId: idSchema,
        goals: z
          .array(
            z.strictObject({
              goalId: idSchema,
              source: z
                .string()
                .regex(/^[a-z][a-z0-9_]*$/, 'a source is "login" or a stat code in snake_case'),
              targetValue: z.number().int().min(1).max(2_147_483_647),
              daily: z.boolean(),
            }),
          )
          .min(1),
      }),
    )
    .min(1),
});

export type CatalogueFile = z.infer<typeof catalogueFileSchema>;

export const DEFAULT_CATALOGUE_PATH = fileURLToPath(
  new URL('./default-catalogue.json', import.meta.url),
);

/** Reads and validates a catalogue file; every problem is reported at once. */
export async function loadCatalogue(path = DEFAULT_CATALOGUE_PATH): Promise<GoalCatalogue> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`catalogue ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  const parsed = catalogueFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(
      `catalogue ${path} is not valid:`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const goals = parsed.data.challenges.flatMap((c) =>
    c.goals.map((g) => ({ ...g, challengeId: c.challengeId })),
  );
  const seen = new Set<string>();
  const duplicates = goals.filter((g) => (seen.has(g.goalId) ? true : (seen.add(g.goalId), false)));
  if (duplicates.length > 0) {
    throw new UsageError(
      `catalogue ${path} is not valid:`,
      duplicates.map((g) => `goal id "${g.goalId}" appears more than once`),
    );
  }
  return { namespace: parsed.data.namespace, goals };
}

export interface CatalogueShape {
  /** Challenges (production: 10). */
  readonly challenges: number;
  /** Goals in each challenge (production: 50). */
  readonly goalsPerChallenge: number;
  readonly namespace: string;
}

export const DEFAULT_CATALOGUE_SHAPE: CatalogueShape = {
  challenges: 10,
  goalsPerChallenge: 50,
  namespace: 'harness',
};

const BASE_TARGET: Record<string, number> = {
  login: 7,
  login_count: 10,
  enemy_kills: 100,
  games_played: 20,
  headshots: 50,
  wins: 10,
};

/**
 * The calibrated catalogue (default-catalogue.json is this, written out). Each challenge has
 * one goal per source of the load tests' event mix, login (daily: "log in on 7 days") and the
 * five stat codes, then goals on stats the mix never sends. So every event feeds exactly one
 * goal per challenge, ten in all with ten challenges: the ~10 goal rows per event the
 * production figures imply (494 events/s x 10 rows x 0.1 s / 8 partitions = 60 rows/flush).
 */
export function generateCatalogue(shape: CatalogueShape = DEFAULT_CATALOGUE_SHAPE): CatalogueFile {
  const fed = [LOGIN, ...LOAD_TEST_STAT_CODES];
  return {
    namespace: shape.namespace,
    challenges: Array.from({ length: shape.challenges }, (_, c) => {
      const challengeId = `challenge-${String(c + 1).padStart(2, '0')}`;
      return {
        challengeId,
        goals: Array.from({ length: shape.goalsPerChallenge }, (_, g) => {
          const source =
            g < fed.length
              ? (fed[g] as string)
              : (OTHER_STAT_CODES[(g - fed.length) % OTHER_STAT_CODES.length] as string);
          const tier = g < fed.length ? c : Math.floor((g - fed.length) / OTHER_STAT_CODES.length);
          return {
            goalId: `${challengeId}-goal-${String(g + 1).padStart(3, '0')}`,
            source,
            targetValue: (BASE_TARGET[source] ?? 25) * (tier + 1),
            daily: source === LOGIN,
          };
        }),
      };
    }),
  };
}
