import { describe, expect, it } from 'vitest';
import { ROUND_TRIP_BUCKETS, RoundTripHistogram } from '../../src/collector/round-trip.ts';

describe('RoundTripHistogram', () => {
  it('puts a round trip in the first bucket whose bound it does not exceed, -1 for no measurement', () => {
    const h = new RoundTripHistogram();
    expect(h.bucketOf(0)).toBe(0);
    expect(h.bucketOf(0.005)).toBe(0); // a bound is inclusive (Prometheus "le")
    expect(h.bucketOf(0.0051)).toBe(1);
    expect(h.bucketOf(0.3)).toBe(ROUND_TRIP_BUCKETS.indexOf(0.5));
    expect(h.bucketOf(1)).toBe(ROUND_TRIP_BUCKETS.length - 1);
    expect(h.bucketOf(7)).toBe(ROUND_TRIP_BUCKETS.length); // above the last bound
    expect(h.bucketOf(NaN)).toBe(-1);
    expect(h.bucketOf(-0.001)).toBe(-1);
  });

  it('counts the same through observe as through bucketOf and observeIn', () => {
    const a = new RoundTripHistogram();
    const b = new RoundTripHistogram();
    const values = [0.001, 0.005, 0.02, 0.2, 0.9, 3, NaN, -1, 0.05];
    for (const v of values) {
      a.observe(v);
      b.observeIn(b.bucketOf(v), v);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
    const s = a.snapshot();
    expect(s.count).toBe(7); // NaN and the negative one are no measurement
    expect(s.sum).toBeCloseTo(0.001 + 0.005 + 0.02 + 0.2 + 0.9 + 3 + 0.05, 12);
    expect([...s.counts]).toEqual([2, 0, 1, 1, 0, 1, 0, 1, 1]);
  });
});
