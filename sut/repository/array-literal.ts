/**
 * PostgreSQL array literals for the batch parameters. node-pg serialises JS arrays itself,
 * element by element through a general-purpose path; a flush sends seven arrays of known
 * element types, so a direct join is several times cheaper on the hot path. Elements are
 * never NULL (batches are validated first).
 */

/** Text elements are always double-quoted, so commas, braces, spaces and the word NULL are safe. */
export function textArrayLiteral(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string;
    const escaped = v.includes('"') || v.includes('\\') ? v.replace(/["\\]/g, '\\$&') : v;
    out += i === 0 ? `"${escaped}"` : `,"${escaped}"`;
  }
  return `${out}}`;
}

export function integerArrayLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

export function booleanArrayLiteral(values: readonly boolean[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += i === 0 ? (values[i] ? 't' : 'f') : values[i] ? ',t' : ',f';
  return `${out}}`;
}
