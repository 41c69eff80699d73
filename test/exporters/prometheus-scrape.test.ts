/**
 * Integration: a real Prometheus scrapes /metrics once a second; what its query API returns must
 * be what the collector counted. The event source is one call (`scriptedSite()`); a variant driven
 * by the engine returns the same SiteUnderTest.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import { statisticsDocument } from '../../src/exporters/statistics.ts';
import type { SiteUnderTest } from '../support/event-script.ts';
import { scriptedSite } from '../support/event-script.ts';
import { hasPrometheus, startPrometheus } from '../support/prometheus.ts';
import type { PrometheusServer } from '../support/prometheus.ts';
import { makeWebConfig } from './web-fixtures.ts';
import type { WebFixture } from './web-fixtures.ts';

describe.skipIf(!hasPrometheus())('a real Prometheus scraping the exporter', () => {
  let site: SiteUnderTest;
  let collector: Collector;
  let plain: ExporterServer;
  let secure: ExporterServer;
  let web: WebFixture;
  let prom: PrometheusServer;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    site = await scriptedSite();
    collector = new Collector(site.collectorConfig);
    await site.run(collector.ingest);
    plain = await startExporterServer({ collector, listen: { host: '127.0.0.1', port: 0 }, logger });
    web = makeWebConfig({ tls: true, auth: true });
    secure = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      webConfigFile: web.webConfigFile,
    });
    prom = await startPrometheus([
      { job: 'pmip', target: new URL(plain.url).host },
      {
        job: 'pmip-secure',
        target: new URL(secure.url).host,
        scheme: 'https',
        basicAuth: { username: web.username, password: web.password },
        insecureSkipVerify: true,
      },
    ]);
    await prom.waitForSample('pmip_exporter_events_ingested_total{job="pmip"}', 40_000);
  });

  afterAll(async () => {
    await prom?.stop();
    await plain?.close();
    await secure?.close();
    await site?.stop();
    if (web) rmSync(web.dir, { recursive: true, force: true });
  });

  const value = async (expr: string): Promise<number> => {
    const r = await prom.query(expr);
    expect(r, expr).toHaveLength(1);
    return Number(r[0]!.value[1]);
  };

  it('returns the counts the collector produced', async () => {
    const doc = statisticsDocument(collector.snapshot());
    const sel = 'job="pmip"';
    for (const kind of ['initial', 'renewal', 'deregistration'] as const) {
      expect(await value(`sum(pmip_mn_registration_requests_sent_total{${sel},kind="${kind}"})`)).toBe(
        doc.registrations.sent[kind],
      );
    }
    expect(await value(`sum(pmip_mn_registration_retransmissions_total{${sel}})`)).toBe(
      doc.registrations.retransmissions,
    );
    expect(await value(`sum(pmip_mn_registration_replies_received_total{${sel}})`)).toBe(
      doc.registrations.repliesReceived,
    );
    expect(await value(`sum(pmip_mn_registrations_accepted_total{${sel}})`)).toBe(doc.registrations.accepted);
    expect(await value(`sum(pmip_registration_denials_total{${sel},issuer="home_agent"})`)).toBe(
      doc.registrations.deniedByHomeAgent,
    );
    expect(await value(`sum(pmip_registration_denials_total{${sel},issuer="foreign_agent"})`)).toBe(
      doc.registrations.deniedByForeignAgent,
    );
    expect(await value(`sum(pmip_mn_registration_attempts_total{${sel}})`)).toBe(doc.registrations.attempts);
    for (const outcome of ['denied', 'timeout', 'unauthenticated'] as const)
      expect(await value(`sum(pmip_mn_registration_failures_total{${sel},outcome="${outcome}"})`)).toBe(
        doc.registrations.outcomes[outcome],
      );
    // None discarded in the script: that series appears once an access point has one.
    expect(doc.registrations.outcomes.discarded).toBe(0);
    for (const [address, h] of Object.entries(doc.homeAgentsSeen)) {
      expect(await value(`pmip_home_agent_info{${sel},home_agent="${h.name}",address="${address}"}`)).toBe(1);
      expect(await value(`pmip_home_agent_registration_attempts_total{${sel},home_agent="${h.name}"}`)).toBe(
        h.attempts,
      );
      expect(
        await value(
          `pmip_home_agent_registration_failures_total{${sel},home_agent="${h.name}",outcome="timeout"}`,
        ),
      ).toBe(h.timeouts);
    }
    // The script's outcomes: 5 accepted, denials 133, 131, 69, one timeout, one unauthenticated.
    expect(doc.registrations.outcomes).toEqual({
      accepted: doc.registrations.accepted,
      denied: 3,
      timeout: 1,
      unauthenticated: 1,
      discarded: 0,
    });
    for (const [code, n] of Object.entries(doc.registrations.deniedByCode)) {
      expect(await value(`pmip_registration_denials_total{${sel},code="${code}"}`)).toBe(n);
    }
    expect(await value(`sum(pmip_mn_registration_failures_total{${sel},outcome="timeout"})`)).toBe(
      doc.registrations.timeouts,
    );
    expect(await value(`sum(pmip_mn_time_syncs_total{${sel}})`)).toBe(doc.timeSync.resyncs);
    expect(await value(`sum(pmip_mn_moves_total{${sel},movement="home_to_foreign"})`)).toBe(
      doc.moves.homeToForeign,
    );
    expect(await value(`sum(pmip_mn_moves_total{${sel},movement="foreign_to_home"})`)).toBe(
      doc.moves.foreignToHome,
    );
    for (const [reason, n] of Object.entries(doc.securityViolations)) {
      expect(
        await value(
          `pmip_security_violations_total{${sel},node_kind="access_point",reason="${reason.replaceAll('-', '_')}"}`,
        ),
      ).toBe(n);
    }
    for (const [ap, s] of Object.entries(doc.accessPoints)) {
      expect(await value(`pmip_mn_registrations_accepted_total{${sel},access_point="${ap}"}`)).toBe(
        s.registrations.accepted,
      );
    }
    expect(await value(`pmip_registration_round_trip_seconds_count{${sel}}`)).toBe(doc.roundTrip.count);
    expect(await value(`max(pmip_time_sync_offset_seconds{${sel},home_agent="ha-north"})`)).toBe(2.5);
    expect(await value(`sum(pmip_mobile_clients{${sel},state="isolated"})`)).toBe(
      doc.mobileClientsByState.isolated,
    );
    // The script's own numbers, as a check on the check.
    expect(doc.registrations.deniedByCode).toEqual({ '69': 1, '131': 1, '133': 1 });
  });

  it('sees a new denial on a later scrape', async () => {
    collector.ingest({
      type: 'reply-received',
      time: Date.now(),
      node: 'ap-cafe',
      nodeKind: 'access-point',
      client: { mac: '02:00:00:00:00:04', address: '198.51.100.14' },
      kind: 'initial',
      homeAgent: '198.51.100.2',
      code: 133,
      reason: 'ha_identification_mismatch',
      accepted: false,
      issuer: 'home-agent',
      lifetime: 0,
      roundTripSeconds: 0.01,
    });
    const v = await prom.waitForSample(
      'pmip_registration_denials_total{job="pmip",code="133"}',
      20_000,
      (n) => n === 2,
    );
    expect(v).toBe(2);
    expect(
      await value('increase(pmip_registration_denials_total{job="pmip",code="133"}[1m]) > 0'),
    ).toBeGreaterThan(0);
  });

  it('scrapes over TLS with basic auth from an exporter-toolkit web config', async () => {
    expect(await prom.waitForSample('up{job="pmip-secure"}', 20_000, (n) => n === 1)).toBe(1);
    expect(
      await prom.waitForSample('sum(pmip_mn_registrations_accepted_total{job="pmip-secure"})', 20_000),
    ).toBe(statisticsDocument(collector.snapshot()).registrations.accepted);
  });
});
