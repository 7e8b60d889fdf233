import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseResultText } from '../result-file.ts';
import type { SweepResult } from '../schema/result-schema.ts';
import { createRandom } from '../../sut/db/random.ts';
import {
  machineSpread,
  readPairedSession,
  savedPairedSessionDirs,
  sessionEffects,
  variantHashes,
  type SessionEffect,
} from './session-effects.ts';

const fixture = 'results/compare/fixtures/sweep-head.json';
const real = parseResultText(readFileSync(fixture, 'utf8'), fixture) as SweepResult;
const store = mkdtempSync(join(tmpdir(), 'session-effects-'));
afterAll(() => {
  rmSync(store, { recursive: true, force: true });
});

const SQL = { cte: 'UPDATE a -- cte\n', join: 'UPDATE b -- join\n' };

/**
 * A paired session of `trials` sweeps on this machine: `cte` and its twin `cte_base` (the
 * same text), `join` and `join_base` (the same text), join taking `joinOverCte` of cte's
 * time in every round, the session's rounds slowed alike by a random load.
 */
function writeSession(name: string, joinOverCte: number, trials = 6, seed = 1): string {
  const dir = join(store, 'ab', name);
  mkdirSync(join(dir, 'variants'), { recursive: true });
  mkdirSync(join(dir, 'paired'), { recursive: true });
  for (const [variant, sql] of Object.entries(SQL)) {
    writeFileSync(join(dir, 'variants', `${variant}.sql`), sql);
    writeFileSync(join(dir, 'variants', `${variant}_base.sql`), sql);
  }
  const random = createRandom(seed);
  const cte = real.metrics.cells.filter((c) => c.variant === 'cte');
  for (let t = 1; t <= trials; t++) {
    const cells = cte.flatMap((c) => {
      const load = c.samplesMs.map(() => 1 + random());
      const timed = (factor: number) => c.samplesMs.map((s, r) => s * (load[r] as number) * factor);
      return [
        { ...c, samplesMs: timed(1) },
        { ...c, variant: 'cte_base', samplesMs: timed(1) },
        { ...c, variant: 'join', samplesMs: timed(joinOverCte) },
        { ...c, variant: 'join_base', samplesMs: timed(joinOverCte) },
      ];
    });
    const result = {
      ...real,
      env: { ...real.env, cpu: { model: cpus()[0]?.model ?? 'unknown', count: cpus().length } },
      metrics: { ...real.metrics, cells },
    };
    writeFileSync(
      join(dir, 'paired', `trial-${String(t).padStart(2, '0')}.json`),
      JSON.stringify(result),
    );
  }
  return dir;
}

describe('the effects of a paired session', () => {
  it('keys every two forms by their text: twins as A/A, two texts as a real effect', () => {
    const dir = writeSession('one', 0.8);
    const hashes = variantHashes(join(dir, 'variants'));
    expect(hashes.get('cte')).toBe(hashes.get('cte_base'));
    expect(hashes.get('cte')).not.toBe(hashes.get('join'));
    const session = readPairedSession(dir);
    const effects = [...(session?.effects ?? new Map<string, SessionEffect>())];
    // per statement mode and size: cte's twin pair, join's twin pair, join against cte
    expect(effects).toHaveLength(3 * 8);
    const twins = effects.filter(([, e]) => e.twin);
    expect(twins).toHaveLength(2 * 8);
    for (const [, e] of twins) for (const v of e.values) expect(v).toBeCloseTo(0, 12);
    for (const [key, e] of effects.filter(([, e]) => !e.twin)) {
      expect(e.values).toHaveLength(6);
      // oriented by the texts' hashes, so the same pair reads the same way in every session
      const joinFirst = key.startsWith(hashes.get('join') ?? '?');
      for (const v of e.values) expect(Math.abs(v)).toBeCloseTo(-Math.log(0.8), 12);
      expect(e.values[0] as number).toBeCloseTo(joinFirst ? Math.log(0.8) : -Math.log(0.8), 12);
    }
  });

  it('leaves out cells whose text it does not have', () => {
    const trial = {
      ...real,
      metrics: { ...real.metrics, cells: real.metrics.cells.filter((c) => c.variant !== 'cte') },
    };
    const effects = sessionEffects(
      [trial],
      new Map([
        ['join', 'a'],
        ['correlated', 'b'],
      ]),
    );
    expect([...effects.keys()].every((k) => k.startsWith('a/b') || k.startsWith('b/a'))).toBe(true);
  });

  it('reads no session run on another kind of machine', () => {
    const dir = writeSession('elsewhere', 0.8);
    const path = join(dir, 'paired', 'trial-01.json');
    const trial = JSON.parse(readFileSync(path, 'utf8')) as SweepResult;
    writeFileSync(
      path,
      JSON.stringify({ ...trial, env: { ...trial.env, cpu: { model: 'other', count: 64 } } }),
    );
    expect(readPairedSession(dir)).toBeUndefined();
    rmSync(dir, { recursive: true });
  });
});

describe("a machine's spread over its saved sessions", () => {
  it('needs three sessions besides the one judged, and measures how far the effect moves', () => {
    rmSync(join(store, 'ab'), { recursive: true, force: true });
    const first = writeSession('s1', 0.8, 6, 1);
    writeSession('s2', 0.84, 6, 2);
    expect(machineSpread([first], store)).toBeUndefined();
    writeSession('s3', 0.76, 6, 3);
    expect(machineSpread([first], store)).toBeUndefined();
    writeSession('s4', 0.8, 6, 4);
    expect(savedPairedSessionDirs(store)).toHaveLength(4);
    const spread = machineSpread([first], store);
    expect(spread?.sessions).toBe(3);
    expect(spread?.effects).toBe(8);
    // join against cte at log 0.84, 0.76, 0.8: the sessions' own trials agree exactly
    const logs = [0.84, 0.76, 0.8].map(Math.log);
    const m = logs.reduce((a, b) => a + b, 0) / 3;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / 2);
    expect(spread?.relative).toBeCloseTo(sd / Math.abs(m), 6);
    expect(spread?.additive).toBe(0);
    expect(spread?.store).toBe(store);
  });
});
