/**
 * PostgreSQL array literals for the batch parameters. node-pg serialises JS arrays itself,
 * element by element through a general-purpose path; a flush sends seven arrays of known
 * element types, so a direct join is several times cheaper on the hot path. Elements are
 * never NULL (batches are validated first).
 */

/** Text elements are always double-quoted, so commas, braces, spaces and the word NULL are safe. */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  // The common case (ids never hold quotes or backslashes) is two native joins and one
  // scan; touching each string in a JS loop first costs more than all of that together.
  const quoted = `{"${values.join('","')}"}`;
  if (!/["\\]/.test(values.join(''))) return quoted;
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

export function integerArrayLiteral(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

export function booleanArrayLiteral(values: readonly boolean[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++)
    out += i === 0 ? (values[i] ? 't' : 'f') : values[i] ? ',t' : ',f';
  return `${out}}`;
}
