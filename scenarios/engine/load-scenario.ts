import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../../scripts/lib/usage-error.ts';
import { validateScenarioOptions, type ValidScenarioOptions } from './scenario-options.ts';

const SCENARIOS_DIR = fileURLToPath(new URL('..', import.meta.url));

/** `smoke` means scenarios/smoke.ts; anything with a slash or an extension is a path. */
export function resolveScenarioPath(nameOrPath: string): string {
  const path = /[/\\]|\.ts$|\.js$/.test(nameOrPath)
    ? resolve(nameOrPath)
    : resolve(SCENARIOS_DIR, `${nameOrPath}.ts`);
  if (!existsSync(path))
    throw new UsageError(
      `scenario "${nameOrPath}" not found (looked for ${path}); shipped ones: smoke, production, revisit-1000eps, flush-500`,
    );
  return path;
}

/**
 * Imports a scenario file and validates its `options`. `env` (`-e KEY=VALUE`, like k6's
 * `--env`) is visible to the file as process.env while it loads.
 */
export async function loadScenario(
  nameOrPath: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ path: string; options: ValidScenarioOptions }> {
  const path = resolveScenarioPath(nameOrPath);
  Object.assign(process.env, env);
  let module: { options?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { options?: unknown };
  } catch (error) {
    throw new UsageError(`scenario ${path} cannot be loaded: ${(error as Error).message}`);
  }
  if (module.options === undefined)
    throw new UsageError(`scenario ${path} must export \`options\``);
  return { path, options: validateScenarioOptions(path, module.options) };
}
