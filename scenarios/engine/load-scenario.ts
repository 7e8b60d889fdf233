import { existsSync, readdirSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { isUsageError, UsageError } from '../../lib/errors.ts';
import { validateScenarioOptions, type ValidScenarioOptions } from './scenario-options.ts';

const SCENARIOS_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCENARIO_FILE = /\.[cm]?[tj]s$/;
/** A scenario is a page of options; anything larger is not one, and is not read to find out. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

/** The scenarios shipped in scenarios/, by name, read from the folder. */
export function shippedScenarios(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

/** `smoke` means scenarios/smoke.ts; anything with a slash or a script extension is a path. */
export function resolveScenarioPath(nameOrPath: string): string {
  const path =
    /[/\\]/.test(nameOrPath) || SCENARIO_FILE.test(nameOrPath)
      ? resolve(nameOrPath)
      : resolve(SCENARIOS_DIR, `${nameOrPath}.ts`);
  if (!existsSync(path))
    throw new UsageError(
      `scenario "${nameOrPath}" not found (looked for ${path}); shipped ones: ${shippedScenarios().join(', ')}; or give a path to a .ts, .mts, .js or .mjs file`,
    );
  // Checked before anything opens it: /dev/zero or a FIFO would be read for ever.
  const stats = statSync(path);
  if (!stats.isFile())
    throw new UsageError(
      `scenario ${path} is ${kindOf(stats)}, not a regular file; give the path of a .ts, .mts, .js or .mjs file`,
    );
  if (stats.size > MAX_SCENARIO_BYTES)
    throw new UsageError(
      `scenario ${path} is ${stats.size.toLocaleString('en-US')} bytes; a scenario file may be at most ${MAX_SCENARIO_BYTES.toLocaleString('en-US')} bytes (1 MiB)`,
    );
  return path;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * What a thrown value says, whatever was thrown: a scenario file may throw null, a string, or
 * an object whose own toString throws.
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return thrown.message;
    return `it threw ${typeof thrown === 'object' && thrown !== null ? 'an object' : String(thrown)}`;
  } catch {
    return 'it threw a value that cannot be described';
  }
}

/**
 * Imports a scenario file and validates its `options`. `env` (`-e KEY=VALUE`, like k6's
 * `--env`) is visible to the file as process.env while it loads. Whatever the file does
 * (throws, exports a getter that throws, a Proxy), the answer is valid options or a
 * UsageError naming the file.
 */
export async function loadScenario(
  nameOrPath: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ path: string; options: ValidScenarioOptions }> {
  const path = resolveScenarioPath(nameOrPath);
  Object.assign(process.env, env);
  let raw: unknown;
  try {
    // tsImport rather than import(): a file outside this repository sits in a folder with no
    // `"type": "module"` package.json, where a plain import treats .ts and .js as CommonJS and
    // fails on their `export`s; tsImport compiles each extension the way its syntax needs.
    const module = (await tsImport(path, import.meta.url)) as {
      options?: unknown;
      default?: { options?: unknown };
    };
    // A CommonJS file (`module.exports = { options }`) arrives as the default export.
    raw = module.options ?? module.default?.options;
  } catch (error) {
    throw new UsageError(`scenario ${path} cannot be loaded: ${describeThrown(error)}`);
  }
  if (raw === undefined) throw new UsageError(`scenario ${path} must export \`options\``);
  try {
    // Validation copies what it reads into plain data, so a Proxy or getter fails here, once.
    return { path, options: validateScenarioOptions(path, raw) };
  } catch (error) {
    if (isUsageError(error)) throw error;
    throw new UsageError(`scenario ${path}: its options cannot be read: ${describeThrown(error)}`);
  }
}
