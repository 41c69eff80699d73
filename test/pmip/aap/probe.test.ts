import { afterEach, describe, expect } from 'vitest';
import { HomeAgent } from '../../../src/pmip/agents/home-agent.ts';
import { LocalSecurityAssociations } from '../../../src/pmip/security/store.ts';
import { seededRandom } from '../../../src/pmip/wire/identification.ts';
import { advanceWithIo } from '../../support/wait.ts';
import type { Site } from './site.ts';
import { siteTest, type SiteFixtures } from './site.ts';

const it = siteTest(5);

const MASK_24 = '255.255.255.0';
// Two home networks on loopback; each home agent also binds its subnet's "broadcast" address.
const HA_ALIVE = '127.66.5.1';
const HA_GONE = '127.66.6.1';
const PROBE = { timeoutMs: 300, retries: 1 };

const homeAgents: HomeAgent[] = [];

afterEach(async () => {
  for (const ha of homeAgents.splice(0)) await ha.stop();
});

async function probeSite(
  createSite: SiteFixtures['createSite'],
): Promise<{ s: Site; alive: HomeAgent; gone: HomeAgent }> {
  const ports = new Map<string, number>();
  const s = await createSite(1, {
    aapConfig: () => ({ probe: { ...PROBE, port: (ha: string) => ports.get(ha) } }),
  });
  const start = (address: string): Promise<HomeAgent> =>
    HomeAgent.start(
      {
        id: `ha-${address}`,
        address,
        port: 0,
        subnet: `${address.replace(/\.1$/, '.0')}/24`,
        extraListen: [address.replace(/\.1$/, '.255')],
        maxLifetime: 300,
        securityAssociations: new LocalSecurityAssociations([]),
      },
      { scheduler: s.scheduler, random: seededRandom(7), emit: s.log.emit },
    );
  const alive = await start(HA_ALIVE);
  const gone = await start(HA_GONE);
  homeAgents.push(alive, gone);
  ports.set(HA_ALIVE, alive.port);
  ports.set(HA_GONE, gone.port);
  await s.startAaps();
  await s.startAp('ap-1', 1, { address: HA_ALIVE, mask: MASK_24 });
  await s.startAp('ap-2', 2, { address: HA_GONE, mask: MASK_24 });
  await s.startAp('ap-3', 3, { address: '10.9.0.1', mask: MASK_24 }); // stays, and watches
  await s.drive(() => s.ap('ap-3').table.size === 3, 2000, 'tables loaded');
  return { s, alive, gone };
}

describe('home agent probe (real UDP, real home agent)', () => {
  it('removes a home agent that stops answering and keeps one that answers with a denial', async ({
    createSite,
  }) => {
    const { s, gone } = await probeSite(createSite);
    await gone.stop(); // this home agent stops answering

    // The last AP of each of the two subnets goes away: the AAP probes both home agents.
    await s.ap('ap-1').client.stop();
    await s.ap('ap-2').client.stop();
    const took = await s.drive(() => s.ap('ap-3').table.size === 2, 2000, 'silent home agent removed');
    // Two attempts of 300 ms each, then the removal is pushed at once.
    expect(took).toBeGreaterThanOrEqual(2 * PROBE.timeoutMs);
    expect(took).toBeLessThanOrEqual(2 * PROBE.timeoutMs + 50);

    const outcomes = (ha: string): string[] =>
      s.log
        .of('ha-probe', 'aap-1')
        .filter((e) => e.homeAgent === ha)
        .map((e) => e.outcome);
    expect(outcomes(HA_ALIVE)).toEqual(['sent', 'answered']);
    expect(outcomes(HA_GONE)).toEqual(['sent', 'sent', 'timed-out']);
    // The live one denied our deliberately invalid request: 131, no SA for that SPI.
    expect(s.log.of('reply-sent', `ha-${HA_ALIVE}`)).toEqual([expect.objectContaining({ code: 131 })]);
    // (was `alive.stats.denied` = 1: the home agent's denials, now counted from its events)
    expect(s.log.of('reply-sent', `ha-${HA_ALIVE}`).filter((e) => e.code > 1)).toHaveLength(1);

    for (const t of [s.aap(0).table, s.ap('ap-3').table]) {
      expect(t.match('127.66.5.77')?.homeAgent).toBe(HA_ALIVE);
      expect(t.match('127.66.6.77')).toBeUndefined();
    }
    expect(s.aap(0).stats()).toMatchObject({ probesAnswered: 1, probesTimedOut: 1 });
    expect(s.log.of('subnet-map-updated', 'aap-1').at(-1)).toMatchObject({ rows: 2, source: 'aap' });

    // While nobody is back in its subnet, the live home agent is probed again each interval.
    await s.drive(() => outcomes(HA_ALIVE).length === 4, 6000, 'second probe');
    expect(outcomes(HA_ALIVE)).toEqual(['sent', 'answered', 'sent', 'answered']);
    expect(s.aap(0).table.size).toBe(2);

    // An AP back in that subnet ends the probing.
    await s.startAp('ap-1', 1, { address: HA_ALIVE, mask: MASK_24 });
    await s.drive(() => s.aap(0).accessPoints().length === 2, 1000, 'ap-1 back');
    const sent = s.log.of('ha-probe').length;
    await advanceWithIo(s.scheduler, 6000);
    expect(s.log.of('ha-probe').length).toBe(sent);
  });

  it('probes after an AP silently expired from the AP list', async ({ createSite }) => {
    const { s, gone } = await probeSite(createSite);
    await gone.stop();
    s.ap('ap-2').cable.plugged = false; // no leave message: the AAP only notices the silence
    await s.drive(() => s.log.of('ha-probe').length > 0, 10_000, 'expiry probe');
    expect(
      s
        .aap(0)
        .accessPoints()
        .map((a) => a.id)
        .sort(),
    ).toEqual(['ap-1', 'ap-3']);
    await s.drive(() => s.ap('ap-1').table.size === 2, 1000, 'row removed');
    expect(s.log.of('ha-probe').map((e) => [e.homeAgent, e.outcome])).toEqual([
      [HA_GONE, 'sent'],
      [HA_GONE, 'sent'],
      [HA_GONE, 'timed-out'],
    ]);
  });
});
