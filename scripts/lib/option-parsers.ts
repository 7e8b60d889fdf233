import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../../lib/errors.ts';

/** commander argument parsers that fail with a UsageError naming the flag. */
export function positiveInt(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^\d[\d_]*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`${flag} "${value}" is not a positive integer`);
    }
    if (n > max)
      throw new UsageError(
        `${flag} ${value} is more than the ${max.toLocaleString('en-US')} allowed`,
      );
    return n;
  };
}

export function integer(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n))
      throw new UsageError(`${flag} "${value}" is not an integer`);
    return n;
  };
}

export function share(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new UsageError(`${flag} "${value}" is not a share between 0 and 1`);
    }
    return n;
  };
}

export function nonNegativeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new UsageError(`${flag} "${value}" must be a number of at least 0`);
    return n;
  };
}

export function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`${flag} "${value}" must be a number above 0`);
    return n;
  };
}

/**
 * A file the user names for output: its folder must exist already, so a typo in a path is
 * refused before the run instead of creating a tree of folders (or failing at the end).
 */
export function outputFile(flag: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new UsageError(`${flag} needs a file path`);
    if (value.includes('\0'))
      throw new UsageError(`${flag}: a file path cannot hold a NUL character`);
    // A trailing separator names a folder, whatever comes before it: writing there fails late.
    if (/[\\/]$/.test(value))
      throw new UsageError(`${flag} "${value}" names a folder; name a file`);
    const folder = dirname(resolve(value));
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      // missing: said below
    }
    if (!isFolder)
      throw new UsageError(
        `${flag} "${value}": the folder ${folder} does not exist; create it first or name a file in an existing folder`,
      );
    const refusal = overwriteRefusal(resolve(value));
    if (refusal !== undefined) throw new UsageError(`${flag} "${value}": ${refusal}`);
    return value;
  };
}

/** Results files with every exact histogram stay far below this. */
const MAX_REPLACED_BYTES = 256 * 1024 * 1024;

/**
 * Why an existing file must not be replaced by a JSON output, or undefined when it may be:
 * the harness replaces only JSON files (its own results and summaries, k6's), never a file
 * it could not have written, such as a config file a mistyped path lands on.
 */
function overwriteRefusal(path: string): string | undefined {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // a new file
    return `cannot be checked (${(error as Error).message}); name a file the harness can read`;
  }
  if (!stat.isFile()) return 'exists and is not a file; name a new file or a JSON file to replace';
  if (stat.size > MAX_REPLACED_BYTES)
    return `exists and is larger than any results file (${stat.size.toLocaleString('en-US')} bytes); name a new file or remove this one yourself`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    parsed = undefined;
  }
  return typeof parsed === 'object' && parsed !== null
    ? undefined
    : 'exists and is not a JSON file; the harness replaces only JSON files (results and summaries), so name a new file or remove this one yourself';
}

export function portNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65_535)
      throw new UsageError(
        `${flag} "${value}" is not a port number (0 to 65535; 0 picks a free one)`,
      );
    return n;
  };
}

/** A factor of at least 1, such as 1.5 (how far past a limit something may go). */
export const factor =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 1)
      throw new UsageError(`${flag} "${value}" must be a number of at least 1`);
    return n;
  };

/** The address to listen on. */
export const listenHost = (value: string): string => {
  if (value.trim() === '')
    throw new UsageError(
      '--host is empty; name the address to listen on: 127.0.0.1 (this machine only, the default) or 0.0.0.0 (every interface)',
    );
  return value;
};

/** A whole number of 0 or more. */
export const nonNegativeInt = (flag: string) => (value: string) => {
  const n = integer(flag)(value);
  if (n < 0) throw new UsageError(`${flag} "${value}" must not be negative`);
  return n;
};

/** A percentage: 5 or 5%. */
export function percent(flag: string) {
  return (value: string): number => {
    const n = Number(value.replace(/%$/, ''));
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new UsageError(
        `${flag} "${value}" is not a percentage (a number >= 0, such as 5 or 5%)`,
      );
    return n;
  };
}

/** `-e KEY=VALUE`, repeatable, collected into one record (k6's `-e`). */
export function collectEnv(
  value: string,
  previous: Record<string, string>,
): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new UsageError(`-e "${value}" must be KEY=VALUE`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
