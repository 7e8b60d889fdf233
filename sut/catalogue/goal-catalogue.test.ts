import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import {
  DEFAULT_CATALOGUE_PATH,
  generateCatalogue,
  LOAD_TEST_STAT_CODES,
  loadCatalogue,
  LOGIN,
} from './goal-catalogue.ts';
import { readFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'harness-catalogue-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('goal catalogue', () => {
  it('the shipped default is the generated one (npm run catalogue regenerates it)', () => {
    expect(JSON.parse(readFileSync(DEFAULT_CATALOGUE_PATH, 'utf8'))).toEqual(generateCatalogue());
  });

  it('is calibrated: every source of the event mix feeds exactly one goal per challenge, 10 in all', async () => {
    const catalogue = await loadCatalogue();
    expect(catalogue.goals).toHaveLength(500);
    for (const source of [LOGIN, ...LOAD_TEST_STAT_CODES]) {
      const fed = catalogue.goals.filter((g) => g.source === source);
      expect(fed).toHaveLength(10);
      expect(new Set(fed.map((g) => g.challengeId)).size).toBe(10);
    }
    expect(catalogue.goals.filter((g) => g.daily).every((g) => g.source === LOGIN)).toBe(true);
  });

  it('rejects a bad file, naming every problem', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        namespace: 'x',
        challenges: [
          {
            challengeId: 'c',
            goals: [{ goalId: 'g', source: 'Kills!', targetValue: 0, daily: 'no' }],
          },
          { challengeId: 'd', goals: [], extra: 1 },
        ],
      }),
    );
    const error = await loadCatalogue(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/challenges\.0\.goals\.0\.source: a source is "login" or a stat code/);
    expect(message).toMatch(/challenges\.0\.goals\.0\.targetValue/);
    expect(message).toMatch(/challenges\.0\.goals\.0\.daily/);
    expect(message).toMatch(/challenges\.1\.goals/);
    expect(message).toMatch(/challenges\.1: Unrecognized key: "extra"/);
  });

  it('rejects duplicate goal ids and unreadable files', async () => {
    const path = join(dir, 'dup.json');
    const goal = { goalId: 'same', source: 'wins', targetValue: 1, daily: false };
    writeFileSync(
      path,
      JSON.stringify({
        namespace: 'x',
        challenges: [
          { challengeId: 'a', goals: [goal] },
          { challengeId: 'b', goals: [goal] },
        ],
      }),
    );
    await expect(loadCatalogue(path)).rejects.toThrow(/goal id "same" appears more than once/);
    await expect(loadCatalogue(join(dir, 'missing.json'))).rejects.toThrow(
      /cannot be read as JSON/,
    );
  });
});
