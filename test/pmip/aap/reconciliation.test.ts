import { describe, expect } from 'vitest';
import { FAST_AAP_TIMING, Site, siteTest } from './site.ts';

const it = siteTest(4);

const MASK_24 = '255.255.255.0';
const PERIOD = FAST_AAP_TIMING.reconcileIntervalMs!;

describe('reconciliation between AAPs (real UDP)', () => {
  it('two AAPs with diverging tables converge after one reconciliation period', async ({ createSite }) => {
    const s = await createSite(2, {
      aapConfig: (i) => ({
        rows:
          i === 0
            ? [
                { homeAgent: '10.0.1.1', mask: MASK_24 },
                { homeAgent: '10.0.2.1', mask: MASK_24 },
              ]
            : [{ homeAgent: '10.0.3.1', mask: MASK_24 }],
      }),
    });
    await s.startAaps();
    // The initial sync already merged what each had at start.
    await s.drive(() => s.aap(0).digest() === s.aap(1).digest(), PERIOD, 'start-up merge');
    expect(Site.rowsOf(s.aap(0).table)).toEqual(['10.0.1.1/24', '10.0.2.1/24', '10.0.3.1/24']);
    // An AP on each AAP, to see the reconciled changes pushed on.
    const onFirst = await s.startAp('ap-1', 1, undefined, { aaps: [s.aapPeers[0]!] });
    const onSecond = await s.startAp('ap-2', 2, undefined, { aaps: [s.aapPeers[1]!] });
    await s.drive(() => onFirst.table.size === 3 && onSecond.table.size === 3, 1000, 'APs loaded');

    // Let one reconciliation round pass so that the next one is a full period away, then diverge.
    await s.drive(() => s.log.of('aap-reconciled').length >= 4, 2 * PERIOD, 'a quiet round');
    const before = s.log.of('aap-reconciled').length;
    s.scheduler.advance(10);
    expect(s.aap(0).addRow('10.0.4.1', MASK_24)).toBe(true); // only aap-1 knows
    expect(s.aap(1).addRow('10.5.0.1', '255.255.0.0')).toBe(true); // only aap-2 knows
    expect(s.aap(0).removeRow('10.0.1.1', MASK_24)).toBe(true); // removed on aap-1
    s.scheduler.advance(10);
    expect(s.aap(1).addRow('10.0.2.99', MASK_24)).toBe(true); // same subnet, other HA, later on aap-2
    expect(s.aap(0).digest()).not.toBe(s.aap(1).digest());

    const took = await s.drive(
      () =>
        s.aap(0).digest() === s.aap(1).digest() &&
        s.log.of('aap-reconciled').length >= before + 2 &&
        onFirst.table.digest() === s.aap(0).digest() &&
        onSecond.table.digest() === s.aap(1).digest(),
      PERIOD,
      'converged',
    );
    expect(took).toBeLessThanOrEqual(PERIOD);
    const expected = ['10.0.2.99/24', '10.0.3.1/24', '10.0.4.1/24', '10.5.0.1/16'];
    expect(Site.rowsOf(s.aap(0).table)).toEqual(expected);
    expect(Site.rowsOf(s.aap(1).table)).toEqual(expected);
    expect(Site.rowsOf(onFirst.table)).toEqual(expected);
    expect(Site.rowsOf(onSecond.table)).toEqual(expected);
    expect(onFirst.table.match('10.5.0.200')?.homeAgent).toBe('10.5.0.1');
    expect(onSecond.table.match('10.0.1.7')).toBeUndefined();

    // Each side reports what the pull changed for it.
    const round = s.log.of('aap-reconciled').slice(before);
    expect(
      round
        .filter((e) => e.rowsChanged > 0)
        .map((e) => [e.node, e.peer, e.rowsChanged])
        .sort(),
    ).toEqual([
      ['aap-1', 'aap-2', 2], // got 10.5.0.1 and 10.0.2.99
      ['aap-2', 'aap-1', 2], // got 10.0.4.1 and the removal of 10.0.1.1
    ]);
    expect(s.log.of('subnet-map-updated', 'aap-1').at(-1)).toMatchObject({
      source: 'reconciliation',
      rows: 4,
    });

    // The next round finds nothing to do.
    const settled = s.log.of('aap-reconciled').length;
    await s.drive(() => s.log.of('aap-reconciled').length >= settled + 2, PERIOD + 100, 'next round');
    expect(
      s.log
        .of('aap-reconciled')
        .slice(settled)
        .every((e) => e.rowsChanged === 0),
    ).toBe(true);
  });

  it('a removal does not win over a subnet where one of our own APs lives', async ({ createSite }) => {
    const s = await createSite(2);
    await s.startAaps();
    const ap = await s.startAp('ap-1', 1, { address: '10.9.0.1', mask: MASK_24 }, { aaps: [s.aapPeers[1]!] });
    await s.drive(() => s.aap(0).table.size === 1 && ap.table.size === 1, 2 * PERIOD, 'row everywhere');
    s.scheduler.advance(10);
    // An operator removes the row on aap-1, but ap-1 (on aap-2) is alive in that subnet.
    expect(s.aap(0).removeRow('10.9.0.1', MASK_24)).toBe(true);
    await s.drive(
      () => s.aap(0).table.size === 1 && s.aap(0).digest() === s.aap(1).digest(),
      3 * PERIOD,
      'row restored on aap-1',
    );
    expect(s.aap(1).table.match('10.9.0.5')?.homeAgent).toBe('10.9.0.1');
    expect(ap.table.size).toBe(1);
  });
});
