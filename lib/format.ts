/**
 * Numbers as every table and line of the harness prints them: thousands separated the same
 * way whatever the machine's locale, so output pasted from two machines reads alike.
 */
const LOCALE = 'en-US';

/** `digits` decimals exactly: 1,234.50 with 2. */
export function formatFixed(value: number, digits = 0): string {
  return value.toLocaleString(LOCALE, {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** Up to `digits` decimals, trailing zeros dropped (1,234.5 with 2); `-` when not finite. */
export function formatUpTo(value: number, digits = 2): string {
  return Number.isFinite(value)
    ? value.toLocaleString(LOCALE, { maximumFractionDigits: digits })
    : '-';
}

/** Rounded to a whole number: 12,346. */
export function formatInteger(value: number): string {
  return Math.round(value).toLocaleString(LOCALE);
}
