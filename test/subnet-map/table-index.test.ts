import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketDigests, EMPTY_DIGEST } from '../../src/pmip/subnet-map/digest.ts';
import { SubnetMapTable, prefixLengthToMask } from '../../src/pmip/subnet-map/table.ts';
import { uint32ToIpv4 } from '../../src/pmip/wire/ipv4.ts';

/** The obvious longest-prefix match, for comparison. */
function linearMatch(rows: Map<string, { ha: number; len: number }>, address: number): number | undefined {
  let best: { ha: number; len: number } | undefined;
  for (const r of rows.values())
    if ((address & prefixLengthToMask(r.len)) >>> 0 === (r.ha & prefixLengthToMask(r.len)) >>> 0)
      if (!best || r.len > best.len) best = r;
  return best?.ha;
}

const prefix = fc.record({
  ha: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0x0a000000, max: 0x0a00ffff })),
  len: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(8, 16, 24)),
});

describe('subnet map table: range index and digest', () => {
  it('matches exactly like a linear scan, through updates, removals and index rebuilds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ add: fc.boolean(), p: prefix, pick: fc.nat() }), {
          minLength: 1,
          maxLength: 80,
        }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 80 }),
        (steps, probes) => {
          const t = new SubnetMapTable();
          const model = new Map<string, { ha: number; len: number }>();
          for (const [i, { add, p: random, pick }] of steps.entries()) {
            // Removals mostly hit a row that exists (the hash index must close its gaps).
            const existing = [...model.values()];
            const p =
              !add && existing.length > 0 && pick % 4 !== 0 ? existing[pick % existing.length]! : random;
            const key = `${(p.ha & prefixLengthToMask(p.len)) >>> 0}/${p.len}`;
            if (add) {
              expect(t.upsertUint32(p.ha, p.len, 'config', i)).toBe(model.get(key)?.ha !== p.ha >>> 0);
              model.set(key, { ha: p.ha >>> 0, len: p.len });
            } else {
              expect(t.removeUint32(p.ha, p.len)).toBe(model.delete(key));
            }
            for (const r of model.values()) expect(t.homeAgentOf(r.ha, r.len)).toBe(r.ha);
            // Probe often enough to cross the rebuild threshold between changes.
            for (const a of probes)
              expect(t.matchUint32(a)?.homeAgent).toBe(
                linearMatch(model, a) === undefined ? undefined : uint32ToIpv4(linearMatch(model, a)!),
              );
          }
          // Probes near every prefix boundary, where an off-by-one would show.
          for (const r of model.values()) {
            const net = (r.ha & prefixLengthToMask(r.len)) >>> 0;
            const last = net + 2 ** (32 - r.len) - 1;
            for (const a of [net - 1, net, last, last + 1].filter((x) => x >= 0 && x <= 0xffffffff)) {
              const want = linearMatch(model, a);
              expect(t.matchUint32(a)?.homeAgent).toBe(want === undefined ? undefined : uint32ToIpv4(want));
            }
          }
          expect(t.size).toBe(model.size);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps an order-independent digest that follows every change', () => {
    const a = new SubnetMapTable();
    const b = new SubnetMapTable();
    expect(a.digest()).toBe(EMPTY_DIGEST);
    const rows = [
      { homeAgent: 0x0a010001, prefixLength: 24 },
      { homeAgent: 0x0a020001, prefixLength: 16 },
      { homeAgent: 0xc0a80101, prefixLength: 32 },
    ];
    for (const r of rows) a.upsertUint32(r.homeAgent, r.prefixLength, 'aap', 1);
    for (const r of [...rows].reverse()) b.upsertUint32(r.homeAgent, r.prefixLength, 'aap', 2);
    expect(a.digest()).toBe(b.digest());
    const buckets = new BucketDigests();
    a.forEachUint32((ha, len) => buckets.add(ha, len));
    const xor = buckets
      .list()
      .reduce((acc, d) => (BigInt(`0x${acc}`) ^ BigInt(`0x${d}`)).toString(16).padStart(16, '0'));
    expect(xor).toBe(a.digest());
    b.upsertUint32(0x0a0100fe, 24, 'aap', 3); // same subnet, other home agent
    expect(b.digest()).not.toBe(a.digest());
    b.upsertUint32(0x0a010001, 24, 'aap', 4);
    expect(b.digest()).toBe(a.digest());
    b.removeUint32(0xc0a80101, 32);
    expect(b.digest()).not.toBe(a.digest());
    b.clear();
    expect(b.digest()).toBe(EMPTY_DIGEST);
  });

  it('replaces its whole content from a full table, counting the changes', () => {
    const t = new SubnetMapTable();
    t.upsert('10.1.0.1', '255.255.255.0', 'aap', 1);
    t.upsert('10.2.0.1', '255.255.255.0', 'aap', 1);
    t.upsert('10.3.0.1', '255.255.0.0', 'config', 1);
    // Unchanged; other home agent; new. In two parts, as chunks arrive.
    const full = [
      { homeAgents: [0x0a010001, 0x0a0200fe], prefixLengths: [24, 24] },
      { homeAgents: [0x0a040001], prefixLengths: [24] },
    ];
    const changes = t.replaceAll(full, 'aap', 2);
    expect(changes).toBe(3); // changed, added, removed 10.3/16
    expect(
      t
        .rows()
        .map((r) => `${r.homeAgent}/${r.prefixLength}`)
        .sort(),
    ).toEqual(['10.1.0.1/24', '10.2.0.254/24', '10.4.0.1/24']);
    expect(t.replaceAll(full, 'aap', 3)).toBe(0);
    expect(t.homeAgentOf(0x0a020099, 24)).toBe(0x0a0200fe);
    expect(t.replaceAll([], 'aap', 4)).toBe(3);
    expect(t.size).toBe(0);
    expect(() => t.upsertUint32(1, 33, 'aap', 1)).toThrow('prefixLength: 33 must be an integer from 0 to 32');
  });
});
