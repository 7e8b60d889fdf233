// The locale-free instance: ids need faker's seeded generator, not its locale data, and
// `@faker-js/faker` itself loads every locale (about 0.3 s at each command's start-up).
import { faker } from '@faker-js/faker/locale/base';

/**
 * The most players the harness simulates or seeds: a thousand times production's 10,000, and
 * a bound that keeps a typo from allocating a population the machine cannot hold.
 */
export const MAX_PLAYERS = 10_000_000;

/**
 * Player ids: the one source of truth shared by the seeder (which gives them rows) and the
 * simulator (which makes them send events). Same count and seed, same ids, in the same order.
 */
export function generatePlayerIds(count: number, seed: number): string[] {
  // The shared instance is safe here: it is seeded and drained in one synchronous loop.
  faker.seed(seed);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = faker.string.uuid();
  return ids;
}
