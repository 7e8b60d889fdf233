/**
 * Bad input from the user: a flag, a file or an environment variable that cannot be used.
 * The CLI prints the message alone (no stack) and exits with code 2 (docs/contracts.md).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;

  /** `problems` lists every problem found, so the user fixes them all in one go. */
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(
      problems.length > 0 ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message,
    );
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}
