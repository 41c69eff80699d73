/**
 * The InfluxDB exporter against a real InfluxDB 1.6.7 through `/write` (the 1.x API before 1.8):
 * the scripted site's counters arrive as points with the documented tags and field types, and read
 * back with InfluxQL they equal the collector's figures as the Prometheus exposition gives them.
 * Then the failures: an unknown database, wrong credentials (a server with auth enabled), reported
 * in the self-metrics and one log line, nothing crashing, no password anywhere.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInfluxMetrics } from '../../../src/exporters/influx/metrics.ts';
import { MEASUREMENTS } from '../../../src/exporters/influx/schema.ts';
import { InfluxWriter } from '../../../src/exporters/influx/writer.ts';
import { Collector } from '../../../src/collector/collector.ts';
import { SITE, scriptedSite, scriptedSiteEvents } from '../../support/event-script.ts';
import { hasInfluxd, startInfluxdb } from '../../support/influxdb.ts';
import type { InfluxdbServer } from '../../support/influxdb.ts';
import { capturedLogger, exposition, influxConfig, sample, scriptedCollector, until } from './helpers.ts';

const PASSWORD = 'v1-Passw0rd-never-logged';

describe.skipIf(!hasInfluxd())('InfluxDB 1.6.7 through /write (influxd found)', () => {
  let influx: InfluxdbServer;
  let secured: InfluxdbServer;
  beforeAll(async () => {
    [influx, secured] = await Promise.all([startInfluxdb(), startInfluxdb({ auth: true })]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([influx?.destroy(), secured?.destroy()]);
  });

  it('writes the scenario counters; InfluxQL reads back the collector values with the documented tags and types', async () => {
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({ url: influx.url, database: 'pmip', outcomes: true }),
      site: 'north',
      logger: log.logger,
    });
    const { collector, events } = await scriptedCollector(undefined, writer.handle);
    const snapshot = collector.snapshot();
    writer.writeSnapshot(snapshot);
    await writer.close();
    const st = writer.status();
    expect(st.pointsDropped).toEqual({ buffer_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 });
    expect(st.pointsWritten).toBe(st.pointsQueued);
    expect(st.pointsBuffered).toBe(0);
    expect(st.lastSuccessAt).not.toBeNull();

    const prom = await exposition(collector);
    const q = (query: string) => influx.query(query, 'pmip');

    // Per access point: the last snapshot's fields equal the Prometheus samples.
    const aps = await q(`SELECT * FROM ${MEASUREMENTS.accessPoint} GROUP BY access_point`);
    expect(aps.map((s) => s.tags?.access_point).sort()).toEqual([...SITE.accessPoints].sort());
    let attemptsTotal = 0;
    for (const series of aps) {
      const ap = series.tags!.access_point!;
      const row = Object.fromEntries(series.columns.map((c, i) => [c, series.values.at(-1)![i]]));
      const l = `access_point="${ap}"`;
      expect(row.site).toBe('north');
      expect(row.attempts).toBe(sample(prom, `pmip_mn_registration_attempts_total{${l}}`));
      expect(row.accepted).toBe(sample(prom, `pmip_mn_registrations_accepted_total{${l}}`));
      expect(row.failures_timeout).toBe(
        sample(prom, `pmip_mn_registration_failures_total{${l},outcome="timeout"}`),
      );
      expect(row.requests_sent_initial).toBe(
        sample(prom, `pmip_mn_registration_requests_sent_total{${l},kind="initial"}`),
      );
      expect(row.retransmissions).toBe(sample(prom, `pmip_mn_registration_retransmissions_total{${l}}`));
      expect(row.replies_received).toBe(sample(prom, `pmip_mn_registration_replies_received_total{${l}}`));
      expect(row.time_syncs).toBe(sample(prom, `pmip_mn_time_syncs_total{${l}}`));
      expect(row.clients_registered).toBe(sample(prom, `pmip_mobile_clients{${l},state="registered"}`));
      if ((row.attempts as number) > 0)
        expect(row.acceptance_ratio).toBeCloseTo((row.accepted as number) / (row.attempts as number), 12);
      attemptsTotal += row.attempts as number;
    }
    expect(attemptsTotal).toBeGreaterThan(0);

    // Home agents as the access points see them, and their denials by code.
    const has = await q(`SELECT * FROM ${MEASUREMENTS.homeAgent} GROUP BY home_agent`);
    expect(has.length).toBeGreaterThan(0);
    for (const series of has) {
      const ha = series.tags!.home_agent!;
      const row = Object.fromEntries(series.columns.map((c, i) => [c, series.values.at(-1)![i]]));
      const l = `home_agent="${ha}"`;
      expect(row.attempts).toBe(sample(prom, `pmip_home_agent_registration_attempts_total{${l}}`));
      expect(row.accepted).toBe(sample(prom, `pmip_home_agent_registrations_accepted_total{${l}}`));
      expect(row.failures_denied).toBe(
        sample(prom, `pmip_home_agent_registration_failures_total{${l},outcome="denied"}`),
      );
      expect(row.requests_sent).toBe(sample(prom, `pmip_home_agent_registration_requests_sent_total{${l}}`));
      expect(row.round_trips).toBe(
        sample(prom, `pmip_home_agent_registration_round_trip_seconds_count{${l}}`),
      );
      expect(row.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    }
    const haDenials = await q(`SELECT last(count) FROM ${MEASUREMENTS.homeAgentDenials} GROUP BY *`);
    expect(haDenials.length).toBeGreaterThan(0);
    for (const series of haDenials) {
      const t = series.tags!;
      expect(series.values[0]![1]).toBe(
        sample(
          prom,
          `pmip_home_agent_registration_denials_total{home_agent="${t.home_agent}",code="${t.code}",reason="${t.reason}"}`,
        ),
      );
    }
    const denials = await q(`SELECT last(count) FROM ${MEASUREMENTS.denials} GROUP BY *`);
    expect(denials.length).toBeGreaterThan(0);
    for (const series of denials) {
      const t = series.tags!;
      expect(series.values[0]![1]).toBe(
        sample(
          prom,
          `pmip_registration_denials_total{code="${t.code}",reason="${t.reason}",issuer="${t.issuer}"}`,
        ),
      );
    }

    // Field types: counters integer, ratios and seconds float; tags bounded (no client ever).
    const fieldTypes = new Map(
      (await q(`SHOW FIELD KEYS FROM ${MEASUREMENTS.accessPoint}`))[0]!.values.map((v) => [v[0], v[1]]),
    );
    expect(fieldTypes.get('attempts')).toBe('integer');
    expect(fieldTypes.get('clients')).toBe('integer');
    expect(fieldTypes.get('acceptance_ratio')).toBe('float');
    const haTypes = new Map(
      (await q(`SHOW FIELD KEYS FROM ${MEASUREMENTS.homeAgent}`))[0]!.values.map((v) => [v[0], v[1]]),
    );
    expect(haTypes.get('round_trip_seconds_sum')).toBe('float');
    expect(haTypes.get('requests_sent')).toBe('integer');
    expect(haTypes.get('address')).toBe('string');
    const tagKeys = new Map(
      (await q('SHOW TAG KEYS')).map((s) => [s.name, s.values.map((v) => v[0]).sort()]),
    );
    expect(tagKeys.get(MEASUREMENTS.accessPoint)).toEqual(['access_point', 'site']);
    expect(tagKeys.get(MEASUREMENTS.homeAgent)).toEqual(['home_agent', 'site']);
    expect(tagKeys.get(MEASUREMENTS.homeAgentDenials)).toEqual([
      'code',
      'home_agent',
      'issuer',
      'reason',
      'site',
    ]);
    expect(tagKeys.get(MEASUREMENTS.registration)).toEqual(
      expect.arrayContaining(['access_point', 'home_agent', 'kind', 'outcome', 'site']),
    );
    for (const keys of tagKeys.values()) for (const k of keys) expect(k).not.toMatch(/client|mac|address/);

    // The opt-in outcomes: one point per concluded attempt, the client a field.
    const outcomeEvents = events.filter((e) => e.type === 'registration-outcome');
    const counted = await q(`SELECT count(transmissions) FROM ${MEASUREMENTS.registration}`);
    expect(counted[0]!.values[0]![1]).toBe(outcomeEvents.length);
    const regTypes = new Map(
      (await q(`SHOW FIELD KEYS FROM ${MEASUREMENTS.registration}`))[0]!.values.map((v) => [v[0], v[1]]),
    );
    expect(regTypes.get('client')).toBe('string');
    expect(regTypes.get('transmissions')).toBe('integer');
    expect(regTypes.get('round_trip_seconds')).toBe('float');
    const accepted = await q(
      `SELECT count(transmissions) FROM ${MEASUREMENTS.registration} WHERE outcome = 'accepted'`,
    );
    expect(accepted[0]!.values[0]![1]).toBe(outcomeEvents.filter((e) => e.outcome === 'accepted').length);
  }, 30_000);

  it('answers every InfluxQL query of docs/influxdb.md with data', async () => {
    const writer = new InfluxWriter({
      config: influxConfig({ url: influx.url, database: 'docs', outcomes: true }),
      site: 'north',
      logger: capturedLogger().logger,
    });
    await influx.query('CREATE DATABASE docs');
    // The scripted events in four parts, a snapshot after each: counters that grow.
    const start = Date.now() - 120_000;
    const site = await scriptedSite(start);
    const collector = new Collector({ ...site.collectorConfig });
    const events = scriptedSiteEvents(start);
    const part = Math.ceil(events.length / 4);
    for (let k = 0; k < 4; k++) {
      for (const e of events.slice(k * part, (k + 1) * part)) {
        collector.ingest(e);
        writer.handle(e);
      }
      writer.writeSnapshot({ ...collector.snapshot(), time: start + k * 10_000 });
    }
    await writer.close();
    expect(writer.status().pointsWritten).toBe(writer.status().pointsQueued);
    const doc = readFileSync(new URL('../../../docs/influxdb.md', import.meta.url), 'utf8');
    const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) =>
      m[1]!.replaceAll('$timeFilter', 'time > now() - 1h').replaceAll('$__interval', '10s').trim(),
    );
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const q of queries) {
      const series = await influx.query(q, 'docs');
      if (!q.includes('"client" =')) expect(series.length, q).toBeGreaterThan(0);
    }
  }, 20_000);

  it('reports an unknown database: not_found, the points counted as rejected, one log line, no crash', async () => {
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({ url: influx.url, database: 'nope', flushIntervalSeconds: 0.1 }),
      site: 'north',
      logger: log.logger,
    });
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    writer.writeSnapshot(collector.snapshot());
    await writer.close();
    const st = writer.status();
    expect(st.writeFailures.not_found).toBeGreaterThanOrEqual(1);
    expect(st.pointsDropped.rejected).toBe(st.pointsQueued);
    expect(st.pointsWritten).toBe(0);
    expect(st.lastFailure?.status).toBe(404);
    const failures = log.lines.filter((l) => l.includes('InfluxDB write failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('/write?db=nope');
    expect(failures[0]).toContain('not_found');
  }, 20_000);

  it('reports wrong credentials: unauthorized, no password in any log line, the metric or the status', async () => {
    const log = capturedLogger();
    const writer = new InfluxWriter({
      config: influxConfig({
        url: secured.url,
        database: 'pmip',
        username: secured.admin!.username,
        password: PASSWORD,
        flushIntervalSeconds: 0.1,
      }),
      site: 'north',
      logger: log.logger,
    });
    const registry = new Registry();
    registerInfluxMetrics(registry, () => writer.status());
    const { collector } = await scriptedCollector();
    writer.writeSnapshot(collector.snapshot());
    await until('a failure', async () => (writer.status().writeFailures.unauthorized > 0 ? true : undefined));
    await writer.close();
    const st = writer.status();
    expect(st.writeFailures.unauthorized).toBe(1);
    expect(st.pointsDropped.rejected).toBe(st.pointsQueued);
    const metrics = await registry.metrics();
    expect(metrics).toContain('pmip_influxdb_write_failures_total{cause="unauthorized"} 1');
    expect(metrics).toContain(`pmip_influxdb_points_dropped_total{reason="rejected"} ${st.pointsQueued}`);
    const everything = [log.text(), metrics, JSON.stringify(st)].join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`admin:${PASSWORD}`).toString('base64'));
    expect(log.text()).toContain('unauthorized');

    // The right credentials: the same writer setup succeeds.
    const good = new InfluxWriter({
      config: influxConfig({
        url: secured.url,
        database: 'pmip',
        username: secured.admin!.username,
        password: secured.admin!.password,
      }),
      site: 'north',
      logger: log.logger,
    });
    good.writeSnapshot(collector.snapshot());
    await good.close();
    expect(good.status().pointsWritten).toBe(good.status().pointsQueued);
    const rows = await secured.query(`SELECT count(attempts) FROM ${MEASUREMENTS.accessPoint}`, 'pmip');
    expect(rows[0]!.values[0]![1]).toBe(SITE.accessPoints.length);
    expect(log.text()).not.toContain(secured.admin!.password);
  }, 20_000);
});
