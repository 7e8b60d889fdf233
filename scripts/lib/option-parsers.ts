import { UsageError } from './usage-error.ts';

/** commander argument parsers that fail with a UsageError naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value.replace(/_/g, ''));
    if (!/^\d[\d_]*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`${flag} "${value}" is not a positive integer`);
    }
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
