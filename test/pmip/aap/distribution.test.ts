import { describe, expect } from 'vitest';
import { Site, siteTest } from './site.ts';

const it = siteTest(1);

const MASK_24 = '255.255.255.0';

describe('subnet map distribution (3 APs, 2 AAPs, real UDP)', () => {
  it("brings a new AP's home agent to every AP's table, usable for lookups at once", async ({
    createSite,
  }) => {
    const s = await createSite(2);
    await s.startAaps();
    await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.startAp('ap-2', 2, { address: '10.2.0.1', mask: MASK_24 });
    await s.drive(
      () => ['ap-1', 'ap-2'].every((id) => s.ap(id).table.size === 2),
      2000,
      'first two APs know both rows',
    );

    // Lookups in the very event that announces the change: no rebuild or delay needed.
    const lookedUp: Array<{ node: string; homeAgent: string | undefined }> = [];
    s.log.on((e) => {
      if (e.type === 'subnet-map-updated' && e.node.startsWith('ap-') && e.source === 'aap')
        lookedUp.push({ node: e.node, homeAgent: s.ap(e.node).table.match('10.3.77.5')?.homeAgent });
    });

    await s.startAp('ap-3', 3, { address: '10.3.0.1', mask: '255.255.0.0' });
    const took = await s.drive(
      () => ['ap-1', 'ap-2', 'ap-3'].every((id) => s.ap(id).table.size === 3),
      1000,
      'every AP knows the new row',
    );
    expect(took).toBeLessThanOrEqual(50); // one push round trip, no timer involved

    for (const id of ['ap-1', 'ap-2', 'ap-3']) {
      const t = s.ap(id).table;
      expect(Site.rowsOf(t)).toEqual(['10.1.0.1/24', '10.2.0.1/24', '10.3.0.1/16']);
      expect(t.match('10.3.77.5')?.homeAgent).toBe('10.3.0.1');
      expect(t.match('10.1.0.200')?.homeAgent).toBe('10.1.0.1');
      expect(t.match('10.4.0.1')).toBeUndefined();
      expect(t.digest()).toBe(s.aap(0).digest());
    }
    expect(
      lookedUp
        .filter((l) => l.homeAgent === '10.3.0.1')
        .map((l) => l.node)
        .sort(),
    ).toEqual(['ap-1', 'ap-2', 'ap-3']);

    // Pushes to ap-1 and ap-2 were acknowledged first time; everyone reports to the first AAP.
    expect(s.log.of('aap-push-retried')).toEqual([]);
    expect(s.aap(0).stats().updatesAcknowledged).toBe(s.aap(0).stats().updatesSent);
    expect(
      s
        .aap(0)
        .accessPoints()
        .map((a) => a.id)
        .sort(),
    ).toEqual(['ap-1', 'ap-2', 'ap-3']);
    for (const id of ['ap-1', 'ap-2', 'ap-3']) {
      expect(s.ap(id).client.activeAap).toBe('aap-1');
      expect(s.ap(id).client.status()).toEqual([
        expect.objectContaining({
          aap: 'aap-1',
          active: true,
          reachable: true,
          lastVersion: s.aap(0).table.version,
        }),
        expect.objectContaining({ aap: 'aap-2', active: false, reachable: false, lastVersion: null }),
      ]);
    }

    // The second AAP has the same table after one reconciliation period.
    await s.drive(() => s.aap(1).digest() === s.aap(0).digest(), 1000, 'AAP 2 reconciled');
    expect(Site.rowsOf(s.aap(1).table)).toEqual(Site.rowsOf(s.aap(0).table));
  });
});
