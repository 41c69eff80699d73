/** The registration round-trip histogram: few fixed buckets, so observing is a short scan. */
export const ROUND_TRIP_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface RoundTripSnapshot {
  /** Upper bounds, seconds, ascending (the +Inf bucket is implicit). */
  bounds: readonly number[];
  /** Per-bucket counts, not cumulative; the last one is for values above the last bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class RoundTripHistogram {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = ROUND_TRIP_BUCKETS) {
    if (bounds.length > 8) throw new Error('round-trip histogram: at most 8 buckets');
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    this.observeIn(this.bucketOf(seconds), seconds);
  }

  /** The bucket a round trip falls in; -1 for NaN or a negative value (a clock step, not a measurement). */
  bucketOf(seconds: number): number {
    if (!(seconds >= 0)) return -1;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    return i;
  }

  /** Counts `seconds` in the bucket `bucketOf` gave (nothing for -1). */
  observeIn(bucket: number, seconds: number): void {
    if (bucket < 0) return;
    this.counts[bucket] = this.counts[bucket]! + 1;
    this.sum += seconds;
    this.count++;
  }

  snapshot(): RoundTripSnapshot {
    return { bounds: this.bounds, counts: this.counts.slice(), sum: this.sum, count: this.count };
  }
}
