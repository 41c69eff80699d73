import { describe, expect, it } from 'vitest';
import {
  FA_COLUMNS,
  Fa,
  HA_COLUMNS,
  Ha,
  MN_COLUMNS,
  Mn,
  REGISTRATION_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
  SEEN_COLUMNS,
  Seen,
  discardOffset,
  kindOffset,
  layout,
  violationOffset,
} from '../../src/collector/counters.ts';
import { ROUND_TRIP_BUCKETS } from '../../src/collector/round-trip.ts';

interface Range {
  name: string;
  from: number;
  to: number;
}

/** The columns each name of a layout occupies, by the layout's offsets and the spec's counts. */
function ranges(spec: Readonly<Record<string, number>>, offsets: Readonly<Record<string, number>>): Range[] {
  return Object.entries(spec)
    .map(([name, count]) => ({ name, from: offsets[name]!, to: offsets[name]! + count }))
    .sort((a, b) => a.from - b.from);
}

/** Pairs of names sharing a column, and columns outside [0, width) or not covered by any name. */
function problems(rs: Range[], width: number): string[] {
  const out: string[] = [];
  let end = 0;
  let last = '';
  for (const r of rs) {
    if (r.from < end) out.push(`${r.name} overlaps ${last}`);
    else if (r.from > end) out.push(`columns ${end}-${r.from - 1} unused before ${r.name}`);
    if (r.from < 0 || r.to > width) out.push(`${r.name} outside the row`);
    end = Math.max(end, r.to);
    last = r.name;
  }
  if (end !== width) out.push(`width ${width}, columns used ${end}`);
  return out;
}

const LAYOUTS = [
  ['Mn', MN_COLUMNS, Mn],
  ['Seen', SEEN_COLUMNS, Seen],
  ['Ha', HA_COLUMNS, Ha],
  ['Fa', FA_COLUMNS, Fa],
] as const;

describe('counter layouts', () => {
  it.each(LAYOUTS)('%s: no two columns overlap, none unused, the width is their sum', (_n, spec, offsets) => {
    expect(problems(ranges(spec, offsets), offsets.width)).toEqual([]);
    expect(offsets.width).toBe(Object.values(spec).reduce((a, b) => a + b, 0));
  });

  it('finds an overlap and a gap when there is one (the check above is not vacuous)', () => {
    const spec = { a: 3, b: 1, c: 2 };
    expect(problems(ranges(spec, { a: 0, b: 2, c: 4 }), 6)).toEqual([
      'b overlaps a',
      'columns 3-3 unused before c',
    ]);
  });

  it('gives each block as many columns as its list has values, and the offsets stay inside it', () => {
    expect(MN_COLUMNS.requestsSent).toBe(REGISTRATION_KINDS.length);
    expect(HA_COLUMNS.requestsReceived).toBe(REGISTRATION_KINDS.length);
    expect(FA_COLUMNS.requestsReceived).toBe(REGISTRATION_KINDS.length);
    expect(MN_COLUMNS.discarded).toBe(REPLY_DISCARD_REASONS.length);
    for (const spec of [MN_COLUMNS, HA_COLUMNS, FA_COLUMNS])
      expect(spec.securityViolations).toBe(SECURITY_VIOLATION_REASONS.length);
    expect(SEEN_COLUMNS.roundTripBuckets).toBe(ROUND_TRIP_BUCKETS.length + 1);
    expect(REGISTRATION_KINDS.map(kindOffset)).toEqual([0, 1, 2]);
    expect(REPLY_DISCARD_REASONS.map(discardOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(SECURITY_VIOLATION_REASONS.map(violationOffset)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("keeps the home agent's own columns below the observed ones, probes in the same order as Seen's", () => {
    expect(Ha.ownColumns).toBe(Ha.probesSent);
    for (const name of ['requestsReceived', 'repliesSent', 'bindingsExpired', 'securityViolations'] as const)
      expect(Ha[name] + HA_COLUMNS[name]).toBeLessThanOrEqual(Ha.ownColumns);
    expect(Ha.timeSyncs).toBeGreaterThanOrEqual(Ha.ownColumns);
    expect([Ha.probesAnswered - Ha.probesSent, Ha.probesTimedOut - Ha.probesSent]).toEqual([
      Seen.probesAnswered - Seen.probesSent,
      Seen.probesTimedOut - Seen.probesSent,
    ]);
  });

  it('lays out in key order and refuses an empty block or a column named width', () => {
    expect(layout({ x: 2, y: 1, z: 4 })).toEqual({ x: 0, y: 2, z: 3, width: 7 });
    expect(() => layout({ x: 0 })).toThrow('counter layout: x: must be a column count of at least 1');
    expect(() => layout({ width: 1 })).toThrow('counter layout: width');
    expect(() => layout({ x: 1.5 })).toThrow('counter layout: x');
  });
});
