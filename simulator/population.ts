import { Faker, en } from '@faker-js/faker';

/**
 * Player ids: the one source of truth shared by the seeder (which gives them rows) and the
 * simulator (which makes them send events). Same count and seed, same ids, in the same order.
 */
export function generatePlayerIds(count: number, seed: number): string[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) ids[i] = faker.string.uuid();
  return ids;
}
