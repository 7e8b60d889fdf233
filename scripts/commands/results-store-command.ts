import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../../lib/errors.ts';
import { describeKind, machineKindKey, thisMachineKind } from '../../results/machine-kind.ts';
import { displayPath } from '../../results/run-index.ts';
import { RESULTS_DIR } from '../../results/run-store.ts';
import { locateStore, type StoreLocation } from '../../results/store/git-remote.ts';
import {
  appendFiles,
  readFolders,
  removeFiles,
  STORE_BRANCH,
} from '../../results/store/results-store.ts';
import {
  acceptPulled,
  collectPushable,
  kindFolder,
  localPathOf,
  prunePlan,
  runsFolder,
} from '../../results/store/store-layout.ts';
import { positiveInt } from '../lib/option-parsers.ts';
import { HARNESS_DIR } from '../lib/version.ts';
import { git } from '../ab/side-checkout.ts';

/**
 * `harness results push | pull | prune`: the results store on a git branch, shared by CI
 * runners that keep nothing between jobs (docs/ci.md).
 */

interface StoreFlags {
  remote: string;
  branch: string;
}

function addStoreOptions(command: Command): Command {
  return command
    .option(
      '--remote <name|url>',
      'the repository holding the store: a remote of this checkout or a URL or path (default origin, or HARNESS_RESULTS_REMOTE)',
      process.env.HARNESS_RESULTS_REMOTE ?? 'origin',
    )
    .option(
      '--branch <name>',
      'the store branch',
      process.env.HARNESS_RESULTS_BRANCH ?? STORE_BRANCH,
    );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const locate = (flags: StoreFlags): Promise<StoreLocation> =>
  locateStore(flags.remote, flags.branch, HARNESS_DIR);

function pushCommand(): Command {
  return addStoreOptions(
    new Command('push').description(
      `add this checkout's saved results to the store (a branch of the repository, ${STORE_BRANCH} by default): results of commits, calibrations and paired sessions; files already there are left as they are`,
    ),
  ).action(async (flags: StoreFlags) => {
    const store = await locate(flags);
    const pushable = collectPushable(RESULTS_DIR);
    for (const s of pushable.skipped) process.stdout.write(`not pushed: ${s}\n`);
    if (pushable.files.length === 0) {
      process.stdout.write(
        `results push: nothing to push from ${displayPath(RESULTS_DIR)} (no result of a commit, calibration or paired session saved)\n`,
      );
      return;
    }
    const kind = thisMachineKind();
    const { added, present } = await appendFiles(
      store,
      pushable.files,
      `results from a ${describeKind(kind)} machine`,
    );
    process.stdout.write(
      `results push: ${plural(added.length, 'file')} added to ${store.shown}, branch ${store.branch}, ${plural(present.length, 'file')} already there (from ${plural(pushable.results, 'result')} of commits, ${plural(pushable.calibrations, 'calibration')}, ${plural(pushable.sessions, 'paired session')}; machine kind ${machineKindKey(kind)})\n`,
    );
  });
}

/** A ref of this checkout as a full commit; a full sha is taken as it is (shallow CI clones). */
async function commitOf(ref: string): Promise<string> {
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  try {
    return await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `--for "${ref}" is not a commit of ${HARNESS_DIR}: give a ref (main, HEAD~1, origin/main) or a full 40-character sha; a shallow clone may need fetching the commit first`,
    );
  }
}

interface PullFlags extends StoreFlags {
  for?: string[];
  calibration?: boolean;
}

function pullCommand(): Command {
  return addStoreOptions(
    new Command('pull').description(
      'fetch from the store what a comparison needs: the results of the commits named with --for, and with --calibration the calibrations and paired sessions of this kind of machine',
    ),
  )
    .option('--for <refs...>', "commits whose results to fetch (a comparison's base)")
    .option('--calibration', "this machine kind's calibrations and paired sessions", false)
    .action(async (flags: PullFlags) => {
      if ((flags.for === undefined || flags.for.length === 0) && flags.calibration !== true)
        throw new UsageError(
          "results pull: name what to fetch: --for <commit> (its results) and/or --calibration (this machine kind's calibrations)",
        );
      const commits = await Promise.all((flags.for ?? []).map(commitOf));
      const kindKey = machineKindKey(thisMachineKind());
      const folders = [
        ...commits.map(runsFolder),
        ...(flags.calibration === true ? [kindFolder(kindKey)] : []),
      ];
      const store = await locate(flags);
      const found = await readFolders(store, folders);
      if (found === undefined) {
        process.stdout.write(
          `results pull: ${store.shown} has no branch ${store.branch} yet, so nothing to fetch (harness results push creates it)\n`,
        );
        return;
      }
      // Every file is checked before any is written: a refused one leaves nothing half-pulled.
      const planned: { path: string; text: string; migrated: boolean }[] = [];
      for (const [storePath, text] of found) {
        const path = localPathOf(storePath, RESULTS_DIR);
        if (path === undefined) continue;
        planned.push({ path, ...acceptPulled(storePath, text) });
      }
      let written = 0;
      let migrated = 0;
      for (const p of planned) {
        if (existsSync(p.path)) continue;
        await mkdir(dirname(p.path), { recursive: true });
        await writeFile(p.path, p.text);
        written++;
        if (p.migrated) migrated++;
      }
      const count = (prefix: string) => [...found.keys()].filter((k) => k.startsWith(prefix));
      const parts = commits.map((c, i) => {
        const n = count(runsFolder(c)).length;
        return `${plural(n, 'result')} of ${flags.for?.[i] ?? c} (${c.slice(0, 7)})`;
      });
      if (flags.calibration === true) {
        const kindFiles = count(kindFolder(kindKey));
        const calibrations = kindFiles.filter((k) => k.includes('/calibration/')).length;
        const sessions = new Set(
          kindFiles.filter((k) => k.includes('/sessions/')).map((k) => k.split('/')[3]),
        ).size;
        parts.push(
          `${plural(calibrations, 'calibration')} and ${plural(sessions, 'paired session')} of this machine kind (${kindKey})`,
        );
      }
      process.stdout.write(
        `results pull: ${parts.join('; ')} in ${store.shown}, branch ${store.branch}; ${plural(written, 'file')} written to ${displayPath(RESULTS_DIR)}${migrated > 0 ? ` (${migrated} migrated to this schema version)` : ''}, ${planned.length - written} already here\n`,
      );
    });
}

interface PruneFlags extends StoreFlags {
  keep?: number;
  olderThan?: number;
}

function pruneCommand(): Command {
  return addStoreOptions(
    new Command('prune').description(
      "remove from the store's branch the results of all but the newest commits, or those older than some days (one new commit; they stay in the branch's history)",
    ),
  )
    .option(
      '--keep <n>',
      "keep the results of the newest n commits, and each machine kind's newest n calibrations and paired sessions",
      positiveInt('--keep'),
    )
    .option(
      '--older-than <days>',
      'remove what is older than this many days',
      positiveInt('--older-than'),
    )
    .action(async (flags: PruneFlags) => {
      if ((flags.keep === undefined) === (flags.olderThan === undefined))
        throw new UsageError('results prune: give one of --keep <n> or --older-than <days>');
      const store = await locate(flags);
      const rule =
        flags.keep === undefined ? { olderThanDays: flags.olderThan } : { keep: flags.keep };
      const removed = await removeFiles(
        store,
        (paths) => prunePlan(paths, rule),
        flags.keep === undefined
          ? `prune results older than ${flags.olderThan} days`
          : `prune all but the newest ${flags.keep}`,
      );
      process.stdout.write(
        removed.length === 0
          ? `results prune: nothing to remove in ${store.shown}, branch ${store.branch}\n`
          : `results prune: ${plural(removed.length, 'file')} removed from ${store.shown}, branch ${store.branch} (${plural(new Set(removed.filter((p) => p.startsWith('runs/')).map((p) => p.split('/')[1])).size, 'commit')}' results; the branch's history keeps them)\n`,
      );
    });
}

export function storeCommands(): Command[] {
  return [pushCommand(), pullCommand(), pruneCommand()];
}
