/**
 * Every exit code the harness gives, and the errors that carry them (docs/contracts.md).
 * `main()` maps an error to its code with `exitCodeOf`; nothing else decides an exit code.
 */
export const EXIT = {
  /** Everything ran and every threshold held. */
  ok: 0,
  /** Something failed that is not the user's input: a crash, an interrupted run. */
  failure: 1,
  /** Bad input: a flag, a file or an environment variable that cannot be used. */
  usage: 2,
  /** --fail-on-regression found a change for the worse beyond its limit. */
  regression: 3,
  /**
   * --fail-on-regression could not test every row (too few trials, nothing to compare with,
   * sides that ran different things) and was not told to accept that.
   */
  gateNotApplied: 4,
  /** The run completed and a threshold failed (k6's 99), or its audit found wrong results. */
  thresholds: 99,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose exit code is known; its message is printed alone, without a stack. */
export abstract class HarnessError extends Error {
  abstract readonly exitCode: ExitCode;
}

/**
 * Bad input from the user: a flag, a file or an environment variable that cannot be used.
 * The CLI prints the message alone (no stack) and exits with code 2.
 */
export class UsageError extends HarnessError {
  override readonly name: string = 'UsageError';
  readonly exitCode = EXIT.usage;

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

/** Thrown after the summary is printed when thresholds failed or the audit found wrong results: exit code 99, as k6. */
export class ThresholdsFailedError extends HarnessError {
  override readonly name = 'ThresholdsFailedError';
  readonly exitCode = EXIT.thresholds;
}

/** A regression beyond --fail-on-regression: the CI gate, exit code 3. */
export class RegressionError extends HarnessError {
  override readonly name = 'RegressionError';
  readonly exitCode = EXIT.regression;
}

/**
 * --fail-on-regression could not test what it was asked to gate, and --accept-untested was
 * not given: exit code 4, so that a gate that did not run never reads as a pass.
 */
export class GateNotAppliedError extends HarnessError {
  override readonly name = 'GateNotAppliedError';
  readonly exitCode = EXIT.gateNotApplied;
}

/** Thrown after the summary is printed when the run was interrupted (Ctrl-C): exit code 1. */
export class InterruptedError extends HarnessError {
  override readonly name = 'InterruptedError';
  readonly exitCode = EXIT.failure;
}

/**
 * The exit code for an error that reached `main()`, and whether its stack helps: only an
 * error no layer expected prints one.
 */
export function exitCodeOf(error: unknown): { code: ExitCode; expected: boolean } {
  if (error instanceof HarnessError) return { code: error.exitCode, expected: true };
  return { code: EXIT.failure, expected: false };
}

/**
 * A remote that could not be reached (network down, host unknown, refused, timed out): exit
 * code 1 with the message alone, since retrying later may succeed and nothing in the input is
 * wrong. A remote that is misnamed or refuses access is a UsageError (2).
 */
export class UnreachableError extends HarnessError {
  override readonly name = 'UnreachableError';
  readonly exitCode = EXIT.failure;
}
