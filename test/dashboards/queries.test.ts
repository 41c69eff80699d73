/**
 * Every PromQL expression of the committed dashboards, with the Grafana variables replaced by
 * concrete values: parses (`promtool check rules` on a throwaway rule file holding each as a
 * recording rule), and returns data from a real Prometheus that has scraped the site under test
 * (test/support/engine-site.ts: the real engine over UDP on loopback, a real Collector, the real
 * exporter) while it carried traffic that touches every panel.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBaselineTraffic, startEngineSite, type EngineSite } from '../support/engine-site.ts';
import { hasPrometheus, startPrometheus, type PrometheusServer } from '../support/prometheus.ts';
import { committedDashboards } from './committed.ts';
import { expressionsOf } from './lint.ts';

const JOB = 'pmip';
/** The access point the `ap` variable selects: the skewed one, with denials and resyncs. */
const AP = 'ap-C';
/**
 * `$__rate_interval` for the check: long enough that every rate covers the whole run, traffic
 * included (Grafana would derive it from the scrape interval and the panel's step).
 */
const RATE_INTERVAL = '1m';

const expressions = committedDashboards().flatMap(({ dashboard }) => expressionsOf(dashboard));

function concrete(expr: string, instance: string): string {
  const values: Record<string, string> = { __rate_interval: RATE_INTERVAL, job: JOB, instance, ap: AP };
  const out = expr.replace(/\$(__rate_interval|job|instance|ap)\b/g, (_m, name: string) => values[name]!);
  if (out.includes('$')) throw new Error(`an unknown variable is left in ${out}`);
  return out;
}

describe.skipIf(spawnSync('promtool', ['--version']).status !== 0)(
  'every dashboard expression parses',
  () => {
    it('promtool check rules accepts all of them as recording rules', () => {
      expect(expressions.length).toBeGreaterThan(60);
      const dir = mkdtempSync(join(tmpdir(), 'pmip-dashboard-exprs-'));
      try {
        const file = join(dir, 'exprs.rules.yml');
        const rules = expressions.map((e, i) => ({
          record: `dashboard_check:expr_${i}`,
          expr: concrete(e.expr, '127.0.0.1:9434'),
        }));
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard-expressions', rules }] }));
        const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        expect(run.stdout + run.stderr).toContain(`SUCCESS: ${expressions.length} rules found`);
        expect(run.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);

describe.skipIf(!hasPrometheus())('every dashboard expression returns data from a real Prometheus', () => {
  let site: EngineSite;
  let prom: PrometheusServer;

  beforeAll(async () => {
    site = await startEngineSite();
    prom = await startPrometheus([{ job: JOB, target: site.target }]);
    // The traffic starts after the first scrape, so every counter rises within the window.
    await prom.waitForSample(`pmip_build_info{job="${JOB}"}`, 40_000);
    await runBaselineTraffic(site);
    const events = site.collector.snapshot().self.eventsIngested;
    await prom.waitForSample(`pmip_exporter_events_ingested_total{job="${JOB}"}`, 20_000, (v) => v >= events);
    // One more scrape interval so the last counters are in two samples.
    await new Promise((r) => setTimeout(r, 1500));
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await site?.stop();
  });

  it('fills the job, instance and ap variables', async () => {
    const info = await prom.query(`pmip_build_info{job=~"${JOB}"}`);
    expect(info.map((s) => s.metric['instance'])).toEqual([site.target]);
    const aps = await prom.query(`pmip_mn_mobile_clients{job=~"${JOB}",instance=~"${site.target}"}`);
    expect(aps.map((s) => s.metric['access_point']).sort()).toEqual(['ap-A', 'ap-B', 'ap-C']);
  });

  it('answers every expression with at least one finite sample', async () => {
    const empty: string[] = [];
    for (const { where, expr } of expressions) {
      const result = await prom.query(concrete(expr, site.target));
      if (!result.some((s) => Number.isFinite(Number(s.value[1])))) empty.push(`${where}: ${expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('shows the traffic: requests, moves, a resync, the time-sync offset, the subnet map and the AAP', async () => {
    const value = async (expr: string): Promise<number> => {
      const result = await prom.query(concrete(expr, site.target));
      return result.reduce((sum, s) => sum + Number(s.value[1]), 0);
    };
    const sel = 'job=~"$job",instance=~"$instance"';
    expect(
      await value(`sum(rate(pmip_mn_registration_requests_sent_total{${sel}}[$__rate_interval]))`),
    ).toBeGreaterThan(0);
    expect(await value(`sum(rate(pmip_mn_moves_total{${sel}}[$__rate_interval]))`)).toBeGreaterThan(0);
    expect(
      await value(`sum(rate(pmip_mn_time_syncs_total{${sel},access_point="$ap"}[$__rate_interval]))`),
    ).toBeGreaterThan(0);
    expect(
      await value(
        `max(last_over_time(pmip_time_sync_offset_seconds{${sel},home_agent="ha-A"}[$__rate_interval]))`,
      ),
    ).toBeCloseTo(-3600, -1);
    expect(await value(`min(min_over_time(pmip_subnet_map_rows{${sel}}[$__rate_interval]))`)).toBe(3);
    expect(await value(`min(min_over_time(pmip_aap_reachable{${sel}}[$__rate_interval]))`)).toBe(1);
    expect(
      await value(`sum(rate(pmip_malformed_datagrams_total{${sel}}[$__rate_interval]))`),
    ).toBeGreaterThan(0);
  });
});
