/**
 * The largest value seen in the last `seconds` seconds, kept as one maximum per second in a
 * ring: observing is a compare and a store, reading scans the ring.
 */
export class WindowMax {
  private readonly maxima: Float64Array;
  private readonly secondOf: Float64Array;

  constructor(private readonly seconds: number) {
    this.maxima = new Float64Array(seconds);
    this.secondOf = new Float64Array(seconds).fill(-1);
  }

  observe(value: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const i = second % this.seconds;
    if (this.secondOf[i] !== second) {
      this.secondOf[i] = second;
      this.maxima[i] = value;
    } else if (value > (this.maxima[i] as number)) this.maxima[i] = value;
  }

  /** The largest value of the last `seconds` seconds, this one included; 0 when there was none. */
  read(nowMs: number): number {
    const now = Math.floor(nowMs / 1000);
    let max = 0;
    for (let i = 0; i < this.seconds; i++) {
      const second = this.secondOf[i] as number;
      if (second > now - this.seconds && second <= now && (this.maxima[i] as number) > max)
        max = this.maxima[i] as number;
    }
    return max;
  }
}
