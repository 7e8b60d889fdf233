/**
 * What a procedure has started, each with how to stop it, stopped in reverse order when the
 * procedure ends, whichever step failed (Node 20 has no AsyncDisposableStack). A part that
 * must stop at a set moment on the way (the service before the audit reads the table) is
 * stopped through its handle, which takes it off the stack; whatever is still on the stack
 * when the procedure ends, by success, failure or interruption, is stopped by `unwind`.
 */
export interface Deferred<T> {
  /** Stops the part now and takes it off the stack; later calls return the same result. */
  stop(): Promise<T>;
  /** Takes the part off the stack without stopping it: it stopped by itself. */
  dismiss(): void;
}

interface Entry {
  readonly name: string;
  readonly stop: () => Promise<unknown>;
}

/** A cleanup that failed while the stack unwound, with the part it was for. */
export class CleanupError extends Error {
  override readonly name = 'CleanupError';
  constructor(
    readonly part: string,
    cause: unknown,
  ) {
    super(`stopping ${part} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

export class CleanupStack {
  private readonly entries: Entry[] = [];

  /** Pushes `cleanup` for the part called `name`: it runs once, at `stop()` or at `unwind`. */
  defer<T>(name: string, cleanup: () => Promise<T> | T): Deferred<T> {
    let result: Promise<T> | undefined;
    const entry: Entry = {
      name,
      stop: () => (result ??= Promise.resolve().then(cleanup)),
    };
    this.entries.push(entry);
    const remove = () => {
      const at = this.entries.indexOf(entry);
      if (at >= 0) this.entries.splice(at, 1);
    };
    return {
      stop: () => {
        remove();
        return entry.stop() as Promise<T>;
      },
      dismiss: remove,
    };
  }

  /** The parts still to stop, the last started first. */
  get pending(): string[] {
    return this.entries.map((e) => e.name).reverse();
  }

  /**
   * Stops every part still on the stack, the last started first. A cleanup that fails does
   * not keep the ones below it from running; the failures are returned, in the order they
   * happened, for the caller to report.
   */
  async unwind(): Promise<CleanupError[]> {
    const failures: CleanupError[] = [];
    for (let entry = this.entries.pop(); entry !== undefined; entry = this.entries.pop()) {
      try {
        await entry.stop();
      } catch (error) {
        failures.push(new CleanupError(entry.name, error));
      }
    }
    return failures;
  }
}
