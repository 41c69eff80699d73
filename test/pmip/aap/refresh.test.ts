import { describe, expect } from 'vitest';
import type { RefreshResult } from '../../../src/pmip/aap/client.ts';
import { Site, siteTest } from './site.ts';

const it = siteTest(7);

const MASK_24 = '255.255.255.0';

/** Runs an operation that needs the fake clock and the network, to completion. */
async function run<T>(s: Site, op: Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  void op.then((value) => (result = { value }));
  await s.drive(() => result !== undefined, 2000, 'operation done');
  return result!.value;
}

describe('refresh and clear (real UDP)', () => {
  it('rebuild an access point table without restarting anything', async ({ createSite }) => {
    const s = await createSite(2, {
      aapConfig: () => ({
        rows: [
          { homeAgent: '10.20.0.1', mask: '255.255.0.0' },
          { homeAgent: '10.20.30.1', mask: MASK_24 },
        ],
      }),
      // Reports far apart: only refresh() and clear() bring the table back here.
      clientTiming: { reportIntervalMs: 600_000 },
    });
    await s.startAaps();
    const ap = await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.drive(() => ap.table.size === 3, 1000, 'table loaded');
    const reference = Site.rowsOf(s.aap(0).table);
    const port = ap.client.port;
    const epoch = s.aap(0).epoch;

    // The table drifted: a row lost and a stray one added behind the protocol's back.
    ap.table.remove('10.20.30.1', MASK_24);
    ap.table.upsert('10.99.0.1', '255.255.0.0', 'config', s.scheduler.now());
    expect(ap.table.match('10.20.30.5')?.homeAgent).toBe('10.20.0.1');

    const refreshed: RefreshResult = await run(s, ap.client.refresh());
    expect(refreshed).toMatchObject({ ok: true, aap: 'aap-1', rows: 3 });
    expect(Site.rowsOf(ap.table)).toEqual(reference);
    expect(ap.table.match('10.20.30.5')?.homeAgent).toBe('10.20.30.1');
    expect(ap.table.match('10.99.0.5')).toBeUndefined();
    expect(s.log.of('subnet-map-updated', 'ap-1').at(-1)).toMatchObject({ source: 'aap', rows: 3 });

    // Clear: empty at once (announced), then rebuilt from the AAP.
    const updates = s.log.of('subnet-map-updated', 'ap-1').length;
    const clearing = ap.client.clear();
    expect(ap.table.size).toBe(0);
    const cleared = await run(s, clearing);
    expect(cleared).toMatchObject({ ok: true, aap: 'aap-1', rows: 3 });
    expect(Site.rowsOf(ap.table)).toEqual(reference);
    expect(
      s.log
        .of('subnet-map-updated', 'ap-1')
        .slice(updates)
        .map((e) => [e.source, e.rows]),
    ).toEqual([
      ['clear', 0],
      ['aap', 3],
    ]);

    // Nothing was restarted: same socket, same AAP epoch, the AP still in the AP list once.
    expect(ap.client.port).toBe(port);
    expect(s.aap(0).epoch).toBe(epoch);
    expect(
      s
        .aap(0)
        .accessPoints()
        .map((a) => a.id),
    ).toEqual(['ap-1']);
    expect(ap.client.stats().fullTablesLoaded).toBe(3);
  });

  it('refresh fails over when the serving AAP is gone', async ({ createSite }) => {
    const s = await createSite(2, { clientTiming: { reportIntervalMs: 600_000 } });
    await s.startAaps();
    const ap = await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.drive(() => ap.table.size === 1 && s.aap(1).table.size === 1, 2000, 'loaded and reconciled');
    await s.stopAap(0);
    const result = await run(s, ap.client.refresh());
    expect(result).toMatchObject({ ok: true, aap: 'aap-2', rows: 1 });
    expect(s.log.of('aap-failover', 'ap-1')).toEqual([
      expect.objectContaining({ from: 'aap-1', to: 'aap-2' }),
    ]);
  });
});
