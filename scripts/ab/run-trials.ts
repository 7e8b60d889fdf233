import { EXIT } from '../../lib/errors.ts';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResultText } from '../../results/result-file.ts';
import type { IndexedResult } from '../../results/run-index.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SideCheckout } from './side-checkout.ts';
import { trialArgs, type SideName, type TrialWork } from './trial-plan.ts';

/** A scenario whose thresholds failed still measured: its results count as a trial. */

export interface TrialsOutcome {
  readonly base: IndexedResult[];
  readonly head: IndexedResult[];
  /** Wall time of each trial, in run order, for the report. */
  readonly seconds: { side: SideName; seconds: number }[];
}

/** One trial: the harness in `dir` with `args`, its output to `logPath`; resolves its exit code. */
export function runHarnessIn(
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logPath: string,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath);
    const child = spawn(process.execPath, [join(dir, 'bin', 'harness.js'), ...args], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', reject);
    child.once('close', (code) => {
      log.end(() => {
        resolve(code);
      });
    });
  });
}

/**
 * Runs the trials in `order`, each side's with that side's own harness, every one against
 * the same database (`databaseUrl`), one at a time; each trial's output goes to a log in the
 * session folder and its results JSON beside it. A trial that fails (other than failed
 * thresholds) stops everything with the end of its log.
 */
export async function runTrials(options: {
  readonly sides: Record<SideName, SideCheckout>;
  readonly order: readonly SideName[];
  readonly work: TrialWork;
  readonly sessionDir: string;
  readonly databaseUrl: string;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}): Promise<TrialsOutcome> {
  const { sides, order, work, sessionDir, databaseUrl, log } = options;
  const out: TrialsOutcome = { base: [], head: [], seconds: [] };
  for (const name of ['base', 'head'] as const)
    await mkdir(join(sessionDir, name), { recursive: true });
  for (const [i, name] of order.entries()) {
    if (options.signal?.aborted === true) throw new Error('interrupted');
    const side = sides[name];
    const n = out[name].length + 1;
    const stem = join(sessionDir, name, `trial-${String(n).padStart(2, '0')}`);
    const started = performance.now();
    const code = await runHarnessIn(
      side.dir,
      trialArgs(work, `${stem}.json`),
      {
        ...process.env,
        DATABASE_URL: databaseUrl,
        // Trials keep out of the user's store of saved runs: their results stay in the session.
        HARNESS_RESULTS_DIR: join(sessionDir, name, 'store'),
      },
      `${stem}.log`,
    );
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0 && code !== EXIT.thresholds) {
      const tail = (await readFile(`${stem}.log`, 'utf8').catch(() => '')).split('\n').slice(-25);
      throw new Error(
        `trial ${i + 1} (${name}, ${side.ref}) failed with exit code ${String(code)}; the end of ${stem}.log:\n${tail.join('\n')}`,
      );
    }
    const path = `${stem}.json`;
    out[name].push({ path, result: parseResultText(await readFile(path, 'utf8'), path) });
    out.seconds.push({ side: name, seconds });
    log.info(
      `trial ${i + 1}/${order.length}: ${name} (${side.ref}, ${side.commit.slice(0, 7)}${side.dirty ? '-dirty' : ''}) in ${seconds.toFixed(0)} s${code === EXIT.thresholds ? ', it failed (exit 99: thresholds, or WRONG RESULTS from its audit)' : ''}`,
    );
  }
  return out;
}
