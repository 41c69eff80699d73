import { describe, expect } from 'vitest';
import { FAST_AAP_TIMING, Site, siteTest } from './site.ts';

const it = siteTest(3);

const MASK_24 = '255.255.255.0';

describe('push to an unreachable AP (real UDP)', () => {
  it('retries with backoff, hands the AP to the next AAP, and the AP has the row once reachable', async ({
    createSite,
  }) => {
    // The APs' own reports are far apart here, so only the push path can bring the row.
    const s = await createSite(2, { clientTiming: { reportIntervalMs: 600_000 } });
    await s.startAaps();
    await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    const ap2 = await s.startAp('ap-2', 2, { address: '10.2.0.1', mask: MASK_24 });
    await s.drive(() => ['ap-1', 'ap-2'].every((id) => s.ap(id).table.size === 2), 2000, 'tables loaded');

    ap2.cable.plugged = false; // ap-2 drops off the network
    const startedAt = s.scheduler.now();
    await s.startAp('ap-3', 3, { address: '10.3.0.1', mask: MASK_24 });
    await s.drive(() => s.ap('ap-1').table.size === 3, 500, 'ap-1 has the row');

    // aap-1: first try, then retries after 200 and 400 ms, gives up 800 ms later: hand-over.
    const handedOver = await s.drive(
      () => s.log.of('aap-ap-handed-over').length === 1,
      3000,
      'hand-over to aap-2',
    );
    expect(s.log.of('aap-push-retried', 'aap-1')).toEqual([
      expect.objectContaining({ accessPoint: 'ap-2', attempt: 1, time: startedAt + 200 }),
      expect.objectContaining({ accessPoint: 'ap-2', attempt: 2, time: startedAt + 200 + 400 }),
    ]);
    expect(handedOver).toBeGreaterThanOrEqual(200 + 400 + 800);
    expect(s.log.of('aap-ap-handed-over')).toEqual([
      expect.objectContaining({ node: 'aap-1', accessPoint: 'ap-2', to: 'aap-2' }),
    ]);
    expect(
      s
        .aap(0)
        .accessPoints()
        .find((a) => a.id === 'ap-2'),
    ).toMatchObject({ reachable: false });
    expect(s.aap(1).accessPoints()).toEqual([
      expect.objectContaining({ id: 'ap-2', handedOverBy: 'aap-1', pendingChanges: 1 }),
    ]);
    expect(s.ap('ap-2').table.size).toBe(2);

    // aap-2 tries in turn; ap-2 comes back while it does.
    await s.drive(() => s.log.of('aap-push-retried', 'aap-2').length === 1, 1000, 'aap-2 retries ap-2');
    ap2.cable.plugged = true;
    await s.drive(() => s.ap('ap-2').table.size === 3, FAST_AAP_TIMING.pushMaxTimeoutMs!, 'ap-2 has the row');
    expect(s.ap('ap-2').table.match('10.3.0.9')?.homeAgent).toBe('10.3.0.1');
    expect(Site.rowsOf(s.ap('ap-2').table)).toEqual(Site.rowsOf(s.aap(0).table));
    // Delivered on aap-1's behalf: aap-2 drops it from its list; aap-1 still serves it.
    expect(s.aap(1).stats()).toMatchObject({ handoversReceived: 1, handoversDelivered: 1 });
    expect(s.aap(1).accessPoints()).toEqual([]);
    expect(s.ap('ap-2').client.activeAap).toBe('aap-1');
    expect(s.ap('ap-2').client.stats().updatesApplied).toBe(1);
  });

  it('an AP still unreachable after every AAP tried catches up at its next report', async ({
    createSite,
  }) => {
    const s = await createSite(2, { clientTiming: { reportIntervalMs: 5000 } });
    await s.startAaps();
    const ap1 = await s.startAp('ap-1', 1, { address: '10.1.0.1', mask: MASK_24 });
    await s.drive(() => ap1.table.size === 1, 1000, 'table loaded');
    ap1.cable.plugged = false;
    await s.startAp('ap-2', 2, { address: '10.2.0.1', mask: MASK_24 });
    await s.drive(() => s.aap(1).stats().pushFailures === 1, 4000, 'aap-2 gave up too');
    expect(s.aap(0).stats()).toMatchObject({ pushFailures: 1, handoversAccepted: 1 });
    // The last AAP in the order has nobody to hand over to.
    expect(s.aap(1).stats()).toMatchObject({ handoverFailures: 1 });
    expect(ap1.table.size).toBe(1);
    ap1.cable.plugged = true;
    await s.drive(() => ap1.table.size === 2, 5000, 'ap-1 caught up by its own report');
    expect(ap1.client.activeAap).toBe('aap-1');
    expect(Site.rowsOf(ap1.table)).toEqual(Site.rowsOf(s.aap(0).table));
  });
});
