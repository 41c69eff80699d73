/**
 * Integration, engine-driven: the real engine (access points, foreign and home agents over real
 * UDP on loopback) runs a small roaming scenario while a real Prometheus scrapes /metrics once a
 * second. Its query API must return the counts the scenario produced: accepted registrations, one
 * 133 followed by a time resync, and one 131 denial.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer, type ExporterServer } from '../../src/exporters/http-server.ts';
import { hasPrometheus, startPrometheus, type PrometheusServer } from '../support/prometheus.ts';
import { FA, HA, WRONG_KEY, settle, startLab, type Lab } from '../support/lab-site.ts';

const HOUR = 3600_000;
const clients = [
  { mac: '02:00:00:00:09:01', address: '127.0.1.90', ssid: 'corp', at: 'B' as const },
  { mac: '02:00:00:00:09:02', address: '127.0.1.91', ssid: 'corp', at: 'C' as const }, // AP C's clock is 1 h ahead
  { mac: '02:00:00:00:09:03', address: '127.0.2.92', ssid: 'corp', at: 'A' as const },
];
const WRONG = { mac: '02:00:00:00:09:04', address: '127.0.1.93', ssid: 'corp' }; // AP holds the wrong key

describe.skipIf(!hasPrometheus())('a real Prometheus scraping the exporter fed by the real engine', () => {
  let lab: Lab;
  let collector: Collector;
  let server: ExporterServer;
  let prom: PrometheusServer;

  beforeAll(async () => {
    lab = await startLab({ apClockOffsetMs: { C: HOUR }, apKeyFor: { [WRONG.address]: WRONG_KEY } });
    collector = new Collector({
      accessPoints: ['ap-A', 'ap-B', 'ap-C'],
      homeAgents: [
        { id: 'ha-A', address: HA('A') },
        { id: 'ha-B', address: HA('B') },
        { id: 'ha-C', address: HA('C') },
      ],
      foreignAgents: ['fa-A', 'fa-B', 'fa-C'],
    });
    lab.recorder.forward(collector.ingest);
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
    });
    prom = await startPrometheus([{ job: 'pmip', target: new URL(server.url).host }]);
    await prom.waitForSample('pmip_exporter_events_ingested_total{job="pmip"}', 40_000);

    // The scenario runs while Prometheus scrapes.
    for (const c of clients) lab.ap(c.at).associate(c);
    lab.ap('B').associate(WRONG);
    for (const c of clients)
      await lab.waitFor('reply-received', (e) => e.client.mac === c.mac && e.code === 0);
    await lab.waitFor('request-denied', (e) => e.code === 131);
    // Foreign -> foreign move of the first client.
    lab.scheduler.advance(30_000);
    lab.ap('B').disassociate(clients[0]!.mac);
    lab.ap('C').associate(clients[0]!);
    await lab.waitFor(
      'reply-received',
      (e) => e.client.mac === clients[0]!.mac && e.node === 'ap-C' && e.code === 0,
    );
    await settle(100);
  });

  afterAll(async () => {
    await prom?.stop();
    await server?.close();
    await lab?.stop();
  });

  /** Waits until Prometheus has scraped a value satisfying `accept` (the scenario ran after the first scrape). */
  const scraped = (expr: string, expected: number): Promise<number> =>
    prom.waitForSample(expr, 20_000, (v) => v === expected);

  it('counts the accepted registrations the engine made', async () => {
    const accepted = lab.recorder.of('reply-received').filter((e) => e.accepted).length;
    expect(accepted).toBe(4); // three clients, plus the first one again after its move
    expect(await scraped('sum(pmip_mn_registrations_accepted_total{job="pmip"})', accepted)).toBe(accepted);
    expect(
      await scraped('sum(pmip_mn_registrations_accepted_total{job="pmip",access_point="ap-C"})', 2),
    ).toBe(2);
    expect(await scraped('sum(pmip_mn_moves_total{job="pmip",movement="foreign_to_foreign"})', 1)).toBe(1);
    // The same acceptances, seen per home agent from the access points (no agent-side counter involved).
    const toHaA = lab.recorder
      .of('registration-outcome')
      .filter((e) => e.outcome === 'accepted' && e.homeAgent === HA('A')).length;
    expect(toHaA).toBeGreaterThanOrEqual(1);
    expect(
      await scraped('sum(pmip_home_agent_registrations_accepted_total{job="pmip",home_agent="ha-A"})', toHaA),
    ).toBe(toHaA);
  });

  it('shows the 133 denial and the time resync of the skewed access point', async () => {
    expect(lab.recorder.of('time-sync')).toHaveLength(1);
    expect(await scraped('sum(pmip_registration_denials_total{job="pmip",code="133"})', 1)).toBe(1);
    expect(await scraped('sum(pmip_mn_time_syncs_total{job="pmip",access_point="ap-C"})', 1)).toBe(1);
    const offset = await prom.waitForSample(
      `pmip_time_sync_offset_seconds{job="pmip",access_point="ap-C",home_agent="ha-A"}`,
      20_000,
      (v) => v !== 0,
    );
    expect(Math.abs(offset + 3600)).toBeLessThan(1.5);
  });

  it('shows the 131 denials and the security violations on both sides', async () => {
    // The wrong-key client is denied at every (re)transmission while the clock moves on.
    const denials = lab.recorder.of('request-denied').filter((e) => e.code === 131).length;
    expect(denials).toBeGreaterThanOrEqual(1);
    expect(
      lab.recorder
        .of('request-denied')
        .filter((e) => e.code === 131)
        .every((e) => e.homeAddress === WRONG.address),
    ).toBe(true);
    expect(await scraped('sum(pmip_ha_registration_denials_total{job="pmip",code="131"})', denials)).toBe(
      denials,
    );
    expect(
      await scraped(
        'sum(pmip_security_violations_total{job="pmip",node_kind="home_agent",reason="bad_authenticator"})',
        denials,
      ),
    ).toBe(denials);
    const apViolations = lab.recorder
      .of('security-violation')
      .filter((e) => e.nodeKind === 'access-point').length;
    // Every 131 reply that answers the AP's current request fails its check (it holds another
    // key); replies to requests the AP already gave up on are discarded before that check.
    expect(apViolations).toBeGreaterThanOrEqual(1);
    expect(apViolations).toBeLessThanOrEqual(denials);
    expect(
      await scraped(
        'sum(pmip_security_violations_total{job="pmip",node_kind="access_point",reason="bad_authenticator"})',
        apViolations,
      ),
    ).toBe(apViolations);
    // The wrong-key client's attempts end unauthenticated (claimed 131), never as timeouts.
    const unauthenticated = lab.recorder
      .of('registration-outcome')
      .filter((e) => e.outcome === 'unauthenticated' && e.client.address === WRONG.address);
    expect(unauthenticated.length).toBeGreaterThanOrEqual(1);
    expect(unauthenticated.every((e) => e.code === 131)).toBe(true);
    expect(
      lab.recorder
        .of('registration-outcome')
        .filter((e) => e.outcome === 'timeout' && e.client.address === WRONG.address),
    ).toEqual([]);
    expect(FA('B')).toBe('127.0.2.2');
  });
});
