import { describe, expect } from 'vitest';
import { FAST_CLIENT_TIMING, Site, siteTest } from './site.ts';

const it = siteTest(2);

const MASK_24 = '255.255.255.0';
const APS = ['ap-1', 'ap-2', 'ap-3'];
const ROWS = ['10.1.0.1/24', '10.2.0.1/24', '10.3.0.1/24'];

describe('AAP failover (real UDP)', () => {
  it('moves every AP to the second AAP when the first dies, loses no row, and returns when it is back', async ({
    createSite,
  }) => {
    const s = await createSite(2);
    await s.startAaps();
    for (const [i, id] of APS.entries())
      await s.startAp(id, i + 1, { address: `10.${i + 1}.0.1`, mask: MASK_24 });
    await s.drive(() => APS.every((id) => s.ap(id).table.size === 3), 2000, 'tables loaded');
    await s.drive(() => s.aap(1).digest() === s.aap(0).digest(), 2000, 'AAPs reconciled');

    // Rows never drop below three at any AP from here on.
    let fewestRows = Infinity;
    s.log.on((e) => {
      if (e.type === 'subnet-map-updated' && e.node.startsWith('ap-'))
        fewestRows = Math.min(fewestRows, e.rows);
    });

    // Kill the first AAP. Worst case: a full report period, then every attempt times out.
    const { reportIntervalMs, responseTimeoutMs, attempts } = FAST_CLIENT_TIMING;
    const failoverBound = reportIntervalMs + attempts * responseTimeoutMs + 100; // 1,500 ms of clock time
    await s.stopAap(0);
    const failoverTook = await s.drive(
      () => APS.every((id) => s.ap(id).client.activeAap === 'aap-2'),
      failoverBound,
      `every AP on aap-2 within ${failoverBound} ms`,
    );
    expect(failoverTook).toBeLessThanOrEqual(failoverBound);
    for (const id of APS) {
      expect(Site.rowsOf(s.ap(id).table)).toEqual(ROWS);
      expect(s.ap(id).table.match('10.2.0.77')?.homeAgent).toBe('10.2.0.1');
      expect(s.log.of('aap-failover', id)).toEqual([expect.objectContaining({ from: 'aap-1', to: 'aap-2' })]);
      expect(s.log.of('aap-reachability', id).at(-2)).toMatchObject({ aap: 'aap-1', reachable: false });
      expect(
        s
          .ap(id)
          .client.status()
          .map((x) => [x.aap, x.active, x.reachable]),
      ).toEqual([
        ['aap-1', false, false],
        ['aap-2', true, true],
      ]);
    }
    expect(
      s
        .aap(1)
        .accessPoints()
        .map((a) => a.id)
        .sort(),
    ).toEqual(APS);
    expect(Site.rowsOf(s.aap(1).table)).toEqual(ROWS);

    // The first AAP comes back (same address and port, empty table): it pulls the table from the
    // second one before it answers, then the APs return to it within one report period.
    const back = await s.startAap(0);
    await s.drive(() => back.isSynced, 1000, 'restarted AAP synced');
    expect(Site.rowsOf(back.table)).toEqual(ROWS);
    const returnBound = reportIntervalMs + attempts * responseTimeoutMs + 100;
    const returnTook = await s.drive(
      () => APS.every((id) => s.ap(id).client.activeAap === 'aap-1'),
      returnBound,
      `every AP back on aap-1 within ${returnBound} ms`,
    );
    expect(returnTook).toBeLessThanOrEqual(returnBound);
    for (const id of APS) {
      expect(Site.rowsOf(s.ap(id).table)).toEqual(ROWS);
      expect(s.log.of('aap-failover', id).map((e) => [e.from, e.to])).toEqual([
        ['aap-1', 'aap-2'],
        ['aap-2', 'aap-1'],
      ]);
      expect(s.log.of('aap-reachability', id).at(-1)).toMatchObject({ aap: 'aap-1', reachable: true });
    }
    expect(
      back
        .accessPoints()
        .map((a) => a.id)
        .sort(),
    ).toEqual(APS);
    // They left the second AAP's list as "moved": no home agent probe was started for them.
    await s.drive(() => s.aap(1).accessPoints().length === 0, 500, 'APs left aap-2');
    expect(s.log.of('ha-probe')).toEqual([]);
    // No AP ever saw its table shrink (no update event at all: nothing changed for them).
    expect(fewestRows).toBeGreaterThanOrEqual(3);
  });
});
