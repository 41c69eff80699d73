import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AapStateRow } from '../../../src/pmip/aap/codec/index.ts';
import { merge, newer, nextStamp, type RowMeta } from '../../../src/pmip/aap/reconciliation-merge.ts';
import { rowKey } from '../../../src/pmip/subnet-map/digest.ts';
import { networkOf } from '../../../src/pmip/wire/ipv4.ts';

/** Few subnets and few stamps, so that rows of one key and equal stamps are common. */
const row = fc.record({
  homeAgent: fc.constantFrom(0x0a000001, 0x0a000002, 0x0a000101, 0x0a010001),
  prefixLength: fc.constantFrom(16, 24),
  deleted: fc.boolean(),
  stamp: fc.integer({ min: 1, max: 6 }),
});
const NOBODY_LIVES_HERE = (): boolean => false;

/** Merges batches one after the other into an empty record map, as an AAP would. */
function mergeAll(batches: readonly AapStateRow[][], livesHere = NOBODY_LIVES_HERE): Map<number, RowMeta> {
  const records = new Map<number, RowMeta>();
  let lastStamp = 0;
  for (const batch of batches) {
    const outcome = merge(records, batch, livesHere, { lastStamp, now: 1000 });
    for (const [key, record] of outcome.records) records.set(key, record);
    lastStamp = outcome.lastStamp;
  }
  return records;
}

function sorted(records: Map<number, RowMeta>): Array<[number, RowMeta]> {
  return [...records.entries()].sort((a, b) => a[0] - b[0]);
}

/** The rows split into batches at the given cut points (of a shuffled copy). */
function batchesOf(rows: readonly AapStateRow[], cuts: readonly number[]): AapStateRow[][] {
  const at = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
  const out: AapStateRow[][] = [];
  let from = 0;
  for (const c of [...at, rows.length]) {
    out.push(rows.slice(from, c));
    from = c;
  }
  return out;
}

describe('reconciliation merge (pure, property-tested)', () => {
  it('newer is a strict order: of two different rows exactly one is newer, a row is never newer than itself', () => {
    fc.assert(
      fc.property(row, row, (a, b) => {
        expect(newer(a, a)).toBe(false);
        const same = a.stamp === b.stamp && a.homeAgent === b.homeAgent && a.deleted === b.deleted;
        if (same) expect([newer(a, b), newer(b, a)]).toEqual([false, false]);
        else expect(Number(newer(a, b)) + Number(newer(b, a))).toBe(1);
      }),
    );
  });

  it('newer is transitive', () => {
    fc.assert(
      fc.property(row, row, row, (a, b, c) => {
        if (newer(a, b) && newer(b, c)) expect(newer(a, c)).toBe(true);
      }),
    );
  });

  it('converges: the same rows merged in any order and any batches give the same records', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 24 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.infiniteStream(fc.nat()),
        (rows, cutsA, cutsB, shuffle) => {
          const permuted = [...rows];
          // Fisher-Yates with the generated stream: a reproducible permutation.
          const it = shuffle[Symbol.iterator]();
          for (let i = permuted.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [permuted[i], permuted[j]] = [permuted[j]!, permuted[i]!];
          }
          const one = mergeAll(batchesOf(rows, cutsA));
          const other = mergeAll(batchesOf(permuted, cutsB));
          expect(sorted(other)).toEqual(sorted(one));
          // Per key the winner is the newest row of that key.
          for (const [key, record] of one) {
            const ofKey = rows.filter(
              (r) => rowKey(networkOf(r.homeAgent, r.prefixLength), r.prefixLength) === key,
            );
            expect(ofKey.some((r) => newer(r, record))).toBe(false);
          }
        },
      ),
    );
  });

  it('is idempotent: merging what is already there takes nothing', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 24 }), (rows) => {
        const records = mergeAll([rows]);
        const again = merge(records, rows, NOBODY_LIVES_HERE, { lastStamp: 6, now: 1000 });
        expect(again.records).toEqual([]);
        expect(again.taken).toEqual([]);
      }),
    );
  });

  it('refuses the removal of a subnet where one of our APs lives, and restamps the row past everything seen', () => {
    const live: AapStateRow = { homeAgent: 0x0a000001, prefixLength: 24, deleted: false, stamp: 5 };
    const key = rowKey(networkOf(live.homeAgent, 24), 24);
    const records = mergeAll([[live]]);
    const removal: AapStateRow = { ...live, deleted: true, stamp: 2000 };
    const outcome = merge(records, [removal], (k) => k === key, { lastStamp: 5, now: 1000 });
    expect(outcome.taken).toEqual([]);
    expect(outcome.records).toEqual([[key, { ...records.get(key), stamp: 2001 }]]);
    expect(outcome.lastStamp).toBe(2001);
    // Without an AP there, the removal wins.
    expect(merge(records, [removal], NOBODY_LIVES_HERE, { lastStamp: 5, now: 1000 }).taken).toEqual([
      removal,
    ]);
  });

  it('takes new stamps from the clock, or one past the highest seen when that is later', () => {
    expect(nextStamp(5, 1000.7)).toBe(1000);
    expect(nextStamp(1000, 1000)).toBe(1001);
  });
});
