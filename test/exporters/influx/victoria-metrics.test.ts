/**
 * The `/api/v2/write` target against a real server: VictoriaMetrics (Debian's 1.79) accepts
 * InfluxDB line protocol there. Written with token, org and bucket through the same writer as
 * every InfluxDB 2.x/3.x and 1.8+ target; read back through /api/v1/export, where each numeric
 * field is a series `<measurement>_<field>` with the tags as labels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxWriter } from '../../../src/exporters/influx/writer.ts';
import { SITE } from '../../support/event-script.ts';
import { hasVictoriaMetrics, startVictoriaMetrics } from '../../support/victoria-metrics.ts';
import type { VictoriaMetricsServer } from '../../support/victoria-metrics.ts';
import { capturedLogger, exposition, influxConfig, sample, scriptedCollector, until } from './helpers.ts';

const TOKEN = 'v2-token-never-logged-0123456789';

describe.skipIf(!hasVictoriaMetrics())(
  '/api/v2/write against VictoriaMetrics (victoria-metrics found)',
  () => {
    let vm: VictoriaMetricsServer;
    beforeAll(async () => {
      vm = await startVictoriaMetrics();
    }, 30_000);
    afterAll(async () => {
      await vm?.stop();
    });

    it('writes with token, org and bucket; the export holds the collector values with the tags as labels', async () => {
      const log = capturedLogger();
      const writer = new InfluxWriter({
        config: influxConfig({
          url: vm.url,
          token: TOKEN,
          org: 'ops',
          bucket: 'pmip',
          outcomes: true,
          gzipThresholdBytes: 0,
        }),
        site: 'south',
        logger: log.logger,
      });
      const { collector, events } = await scriptedCollector(undefined, writer.handle);
      writer.writeSnapshot(collector.snapshot());
      await writer.close();
      const st = writer.status();
      expect(st.api).toBe('v2');
      expect(st.target).toBe(`${vm.url}/api/v2/write?org=ops&bucket=pmip`);
      expect(st.pointsWritten).toBe(st.pointsQueued);
      expect(Object.values(st.writeFailures).every((n) => n === 0)).toBe(true);

      const prom = await exposition(collector);
      const series = await until('the export', async () => {
        const s = await vm.exportSeries('{__name__="pmip_access_point_attempts"}');
        return s.length === SITE.accessPoints.length ? s : undefined;
      });
      for (const s of series) {
        expect(s.metric.site).toBe('south');
        expect(s.values.at(-1)).toBe(
          sample(prom, `pmip_mn_registration_attempts_total{access_point="${s.metric.access_point}"}`),
        );
      }
      const ha = await vm.exportSeries('{__name__="pmip_home_agent_accepted"}');
      expect(ha.length).toBeGreaterThan(0);
      for (const s of ha)
        expect(s.values.at(-1)).toBe(
          sample(prom, `pmip_home_agent_registrations_accepted_total{home_agent="${s.metric.home_agent}"}`),
        );
      const ratio = await vm.exportSeries('{__name__="pmip_site_acceptance_ratio"}');
      const attempts = sample(prom, 'pmip_mn_registration_attempts_total{access_point="ap-lobby"}');
      expect(attempts).toBeGreaterThan(0);
      expect(ratio[0]!.values.at(-1)).toBeGreaterThan(0);
      expect(ratio[0]!.values.at(-1)).toBeLessThanOrEqual(1);
      // The opt-in outcomes: one sample per attempt (timestamps are ns + a sequence; VictoriaMetrics
      // keeps ms, so samples of one series in the same ms merge: count per series, not exactly).
      const outcomes = await vm.exportSeries('{__name__="pmip_registration_transmissions"}');
      const samples = outcomes.reduce((t, s) => t + s.values.length, 0);
      const expected = events.filter((e) => e.type === 'registration-outcome').length;
      expect(samples).toBeGreaterThan(0);
      expect(samples).toBeLessThanOrEqual(expected);
      for (const s of outcomes) expect(Object.keys(s.metric).join(',')).not.toMatch(/client|mac/);
      expect(log.text()).not.toContain(TOKEN);
    }, 30_000);
  },
);
