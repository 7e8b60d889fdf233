/**
 * The service's bound on request body bytes held in memory at once, all requests and streams
 * together. Bytes are held as they arrive, never as a request declares them: a client that
 * announces a large body and sends little holds only what it sent.
 */
export class InFlightBytes {
  private heldBytes = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes held now, by every request together. */
  get held(): number {
    return this.heldBytes;
  }

  /** Takes `bytes` against the bound; false, taking nothing, when they do not fit. */
  hold(bytes: number): boolean {
    if (this.heldBytes + bytes > this.limitBytes) return false;
    this.heldBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.heldBytes -= bytes;
  }

  /** What one request holds, given back whole once with `release`, however the request ended. */
  forRequest(): { hold(bytes: number): boolean; release(): void } {
    let held = 0;
    return {
      hold: (bytes) => {
        if (!this.hold(bytes)) return false;
        held += bytes;
        return true;
      },
      release: () => {
        this.release(held);
        held = 0;
      },
    };
  }
}
