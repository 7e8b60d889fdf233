/**
 * Errors caused by what a batch holds, which a retry of the same batch meets again: data
 * exceptions (22: a progress past INT, a byte sequence the encoding refuses) and integrity
 * violations (23: the table's checks). Anything else (a lost connection, a lock timeout, a
 * restart) is the database's state, and the batch is retried whole.
 */
export function isContentError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
