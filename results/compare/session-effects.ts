import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../stats/descriptive.ts';
import { sessionSpread, type SessionSpread } from '../stats/session-spread.ts';
import { parseResultText } from '../result-file.ts';
import { RESULTS_DIR } from '../run-store.ts';
import { displayPath } from '../run-index.ts';
import type { ResultFile } from '../schema/result-schema.ts';

/**
 * The effects a paired session measured besides the change it was run for: every two SQL
 * forms timed in the same rounds give a ratio per trial. Keyed by the forms' text (a hash of
 * each file), not their names, so that the same two statements are recognised in every
 * session whatever they were called there; two files with the same text are an A/A twin.
 * Across the sessions saved on a machine these say how much an effect moves from one session
 * to the next (`results/stats/session-spread.ts`).
 */

export interface SessionEffect {
  /** The same SQL on both sides: its ratio should be 1. */
  readonly twin: boolean;
  /** Per trial, the log of the median over its rounds of one form's time over the other's. */
  readonly values: readonly number[];
}

/** A paired session's folder: its trials under `paired/`, the SQL they ran under `variants/`. */
export const isPairedSessionDir = (dir: string): boolean =>
  existsSync(join(dir, 'paired')) && existsSync(join(dir, 'variants'));

const textHash = (sql: string) =>
  createHash('sha256').update(sql.trimEnd()).digest('hex').slice(0, 16);

/** Each variant's name in a session's `variants/` folder to a hash of its text. */
export function variantHashes(variantsDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(variantsDir))
    if (file.endsWith('.sql'))
      out.set(
        file.slice(0, -'.sql'.length),
        textHash(readFileSync(join(variantsDir, file), 'utf8')),
      );
  return out;
}

/**
 * Every pair of cells of the same statement mode and size whose variants' text is known, as
 * one effect per trial. Cells with the same pair of texts (an A/A session holds each form
 * twice) are averaged into one value per trial.
 */
export function sessionEffects(
  trials: readonly ResultFile[],
  hashes: ReadonlyMap<string, string>,
): Map<string, SessionEffect> {
  const perTrial: Map<string, number>[] = [];
  for (const result of trials) {
    if (result.kind !== 'sweep') continue;
    const sums = new Map<string, { sum: number; n: number }>();
    const cells = result.metrics.cells.filter((c) => hashes.has(c.variant));
    for (const a of cells)
      for (const b of cells) {
        const [ha, hb] = [hashes.get(a.variant) as string, hashes.get(b.variant) as string];
        if (a.statement !== b.statement || a.size !== b.size || a === b || ha > hb) continue;
        if (ha === hb && !(a.variant < b.variant)) continue;
        const rounds = Math.min(a.samplesMs.length, b.samplesMs.length);
        const ratios: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const [x, y] = [a.samplesMs[i] as number, b.samplesMs[i] as number];
          if (x > 0 && y > 0) ratios.push(x / y);
        }
        if (ratios.length === 0) continue;
        const key = `${ha}/${hb} ${a.statement} ${a.size}`;
        const s = sums.get(key) ?? { sum: 0, n: 0 };
        s.sum += Math.log(median(ratios));
        s.n += 1;
        sums.set(key, s);
      }
    perTrial.push(new Map([...sums].map(([k, s]) => [k, s.sum / s.n])));
  }
  const out = new Map<string, SessionEffect>();
  const keys = new Set(perTrial.flatMap((m) => [...m.keys()]));
  for (const key of keys) {
    const values = perTrial.map((m) => m.get(key)).filter((v): v is number => v !== undefined);
    const [ha, hb] = (key.split(' ')[0] as string).split('/');
    out.set(key, { twin: ha === hb, values });
  }
  return out;
}

/** The sessions a spread is measured over: each one's effects, and where it was read from. */
export interface SavedSession {
  readonly dir: string;
  readonly effects: ReadonlyMap<string, SessionEffect>;
}

/**
 * A paired session's effects read from its folder; undefined when its trials ran on another
 * kind of machine (another CPU model or core count) or it holds no readable trial.
 */
export function readPairedSession(dir: string): SavedSession | undefined {
  const pairedDir = join(dir, 'paired');
  const trials: ResultFile[] = [];
  for (const file of readdirSync(pairedDir).sort()) {
    if (!/^trial-\d+\.json$/.test(file)) continue;
    const path = join(pairedDir, file);
    trials.push(parseResultText(readFileSync(path, 'utf8'), path));
  }
  const cpu = cpus();
  const here = (r: ResultFile) =>
    r.kind === 'sweep' && r.env.cpu.model === cpu[0]?.model && r.env.cpu.count === cpu.length;
  if (trials.length === 0 || !trials.every(here)) return undefined;
  return { dir, effects: sessionEffects(trials, variantHashes(join(dir, 'variants'))) };
}

/** Every paired session saved in this results store: `ab` sessions and paired calibrations. */
export function savedPairedSessionDirs(resultsDir = RESULTS_DIR): string[] {
  const parents = [join(resultsDir, 'ab'), join(resultsDir, 'calibration', 'trials')];
  return parents
    .filter((p) => existsSync(p))
    .flatMap((p) => readdirSync(p).map((d) => join(p, d)))
    .filter(isPairedSessionDir)
    .sort();
}

/**
 * The between-session spread over these sessions: each effect measured in two sessions or
 * more, real effects (two different texts) for the relative part and twins for the
 * additive one.
 */
export function spreadOverSessions(sessions: readonly SavedSession[]): SessionSpread | undefined {
  const byKey = new Map<string, { twin: boolean; sessions: number[][] }>();
  for (const s of sessions)
    for (const [key, effect] of s.effects) {
      const entry = byKey.get(key) ?? { twin: effect.twin, sessions: [] };
      entry.sessions.push([...effect.values]);
      byKey.set(key, entry);
    }
  const repeated = [...byKey.values()].filter((e) => e.sessions.length >= 2);
  return sessionSpread(
    repeated.filter((e) => !e.twin).map((e) => e.sessions),
    repeated.filter((e) => e.twin).map((e) => e.sessions),
  );
}

/** Sessions read at most, the newest: the spread of this machine as it has been lately. */
export const SESSIONS_READ = 40;
/** Fewer sessions than this say too little about how sessions differ. */
export const FEWEST_SESSIONS = 3;

/** The spread a paired comparison is widened by, and what it was measured over. */
export interface MachineSpread extends SessionSpread {
  /** Where the sessions were read from. */
  readonly store: string;
}

/**
 * The between-session spread of this machine from the paired sessions saved in its results
 * store, the newest SESSIONS_READ, leaving out `exclude` (the session being judged, which
 * must not vouch for itself). Undefined with fewer than FEWEST_SESSIONS sessions.
 */
export function machineSpread(
  exclude: readonly string[],
  resultsDir = RESULTS_DIR,
): MachineSpread | undefined {
  // Resolved both ways: a session named by a relative path is still itself.
  const excluded = new Set(exclude.map((d) => resolve(d)));
  const dirs = savedPairedSessionDirs(resultsDir)
    .filter((d) => !excluded.has(resolve(d)))
    .slice(-SESSIONS_READ);
  const sessions = dirs.map(readPairedSession).filter((s): s is SavedSession => s !== undefined);
  if (sessions.length < FEWEST_SESSIONS) return undefined;
  const spread = spreadOverSessions(sessions);
  return spread === undefined ? undefined : { ...spread, store: resultsDir };
}

/** The spread in words, as the comparison's note and the calibration's last line give it. */
export const describeSpread = (spread: MachineSpread): string =>
  `by ${(spread.relative * 100).toFixed(1)} % of itself and ±${((Math.exp(spread.additive) - 1) * 100).toFixed(2)} % (standard deviations) from one session to the next, measured on ${spread.effects} effects over ${spread.sessions} paired sessions saved in ${spread.store}`;

/** The spread with its store's path as a user reads it. */
export const shownSpread = (spread: MachineSpread | undefined): MachineSpread | undefined =>
  spread === undefined ? undefined : { ...spread, store: displayPath(spread.store) };
