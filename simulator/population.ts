import { partitionOf } from '../sut/partitioning/fnv1a.ts';
import { generatePlayerIds } from '../sut/db/player-ids.ts';

/**
 * The simulated players: ids (as the seeder made them) and how active each is.
 * With a Zipf exponent s > 0, player i is picked with weight 1/(i+1)^s, so a few players
 * produce far more events (s = 0: everyone alike).
 */
export class Population {
  readonly ids: readonly string[];
  /** Partition of each player, computed once: the hot path looks it up by index. */
  readonly partitions: Int32Array;
  private readonly cumulative: Float64Array | undefined;

  constructor(
    count: number,
    readonly seed: number,
    readonly partitionCount: number,
    readonly zipfExponent = 0,
  ) {
    this.ids = generatePlayerIds(count, seed);
    this.partitions = Int32Array.from(this.ids, (id) => partitionOf(id, partitionCount));
    if (zipfExponent > 0) {
      this.cumulative = new Float64Array(count);
      let sum = 0;
      for (let i = 0; i < count; i++) {
        sum += 1 / (i + 1) ** zipfExponent;
        this.cumulative[i] = sum;
      }
    }
  }

  get size(): number {
    return this.ids.length;
  }

  /** The player a uniform draw u in [0, 1) selects. */
  pick(u: number): number {
    const cumulative = this.cumulative;
    if (cumulative === undefined) return Math.floor(u * this.ids.length);
    const target = u * (cumulative[cumulative.length - 1] as number);
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
