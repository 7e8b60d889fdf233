import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.ts';

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
    return value;
  };
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
