import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The harness's version, from its package.json (`harness --version`, `harness_build_info`). */
export const HARNESS_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** The harness's own checkout (its commit is the service's, whatever folder it runs from). */
export const HARNESS_DIR = fileURLToPath(new URL('../..', import.meta.url));
