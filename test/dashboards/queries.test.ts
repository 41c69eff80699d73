/**
 * Every PromQL expression of the committed dashboards, with the Grafana variables replaced by
 * concrete values: parses (`promtool check rules` on a throwaway rule file holding each as a
 * recording rule), and returns data from a real Prometheus that has scraped the site under test
 * (test/support/engine-site.ts: the real engine over UDP on loopback, a real Collector, the real
 * exporter) and evaluated the recording rules of alerts/pmip.rules.yml, while the site carried
 * traffic that touches every panel: the baseline, a home agent that falls silent, and clients
 * whose access point holds the wrong key. The panels only an observed site fills (agent
 * advertisements to the link and the agents' restarts) read from a second job: the real
 * `pmip-exporter observe` serving a capture (test/support/observed-site.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  injectDenialStorm,
  injectLifetimeDenial,
  runBaselineTraffic,
  silenceHomeAgent,
  startEngineSite,
  type EngineSite,
} from '../support/engine-site.ts';
import { OBSERVED, startObservedSite, type ObservedSite } from '../support/observed-site.ts';
import { hasPrometheus } from '../support/prometheus.ts';
import { startAlertingPrometheus, type AlertingPrometheus } from '../alerts/alerting-servers.ts';
import { RULES_FILE, readRules } from '../alerts/rules-file.ts';
import { committedDashboards, readsObservedOnly } from './committed.ts';
import { expressionsOf } from './lint.ts';

const JOB = 'pmip';
/** The observed site's job. */
const OBSERVED_JOB = 'pmip-observed';
/** The access point the `ap` variable selects: the skewed one, with denials and resyncs. */
const AP = 'ap-C';
/**
 * `$__rate_interval` for the check: long enough that every rate covers the whole run, traffic
 * included (Grafana would derive it from the scrape interval and the panel's step).
 */
const RATE_INTERVAL = '1m';

const expressions = committedDashboards().flatMap(({ dashboard }) => expressionsOf(dashboard));

/**
 * `$site` is All (`.*`): this Prometheus scrapes one exporter and adds no `site` label, and an
 * absent label matches `=~".*"`, so the fleet-ready queries work here unchanged.
 */
const SITE = '.*';

function concrete(expr: string, instance: string, job = JOB): string {
  const values: Record<string, string> = {
    __rate_interval: RATE_INTERVAL,
    site: SITE,
    job,
    instance,
    ap: AP,
  };
  const out = expr.replace(
    /\$(__rate_interval|site|job|instance|ap)\b/g,
    (_m, name: string) => values[name]!,
  );
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

/** Polls until `expr` returns a sample that `accept` agrees with. */
async function waitForSample(
  prom: AlertingPrometheus,
  expr: string,
  timeoutMs: number,
  accept: (v: number) => boolean = () => true,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const result = await prom.query(expr);
    if (result.some((s) => accept(Number(s.value[1])))) return;
    if (Date.now() > end) throw new Error(`no accepted sample for ${expr} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!hasPrometheus())('every dashboard expression returns data from a real Prometheus', () => {
  let site: EngineSite;
  let observed: ObservedSite;
  let prom: AlertingPrometheus;
  let timeouts = 0;

  beforeAll(async () => {
    site = await startEngineSite();
    observed = await startObservedSite();
    // Scrapes and evaluates the recording rules every second (the overview's headline reads one).
    prom = await startAlertingPrometheus({
      jobs: [
        { job: JOB, targets: [site.target] },
        { job: OBSERVED_JOB, targets: [observed.target] },
      ],
      rules: readFileSync(RULES_FILE, 'utf8'),
    });
    // The traffic starts after the first scrape, so every counter rises within the window.
    await waitForSample(prom, `pmip_build_info{job="${JOB}"}`, 40_000);
    await runBaselineTraffic(site);
    // A foreign agent's own denial: fa-C answers one request with 69, the access point retries.
    await injectLifetimeDenial(site);
    // ha-B falls silent for three clients visiting access point A, then answers again.
    timeouts = await silenceHomeAgent(site, 3);
    // Twenty clients at access point B with the wrong key: ha-A's replies fail authentication.
    await injectDenialStorm(site, 20, { conclude: true });
    const events = site.collector.snapshot().self.eventsIngested;
    await waitForSample(
      prom,
      `pmip_exporter_events_ingested_total{job="${JOB}"}`,
      20_000,
      (v) => v >= events,
    );
    // One more scrape interval so the last counters are in two samples, and a rule evaluation.
    await new Promise((r) => setTimeout(r, 2000));
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await site?.stop();
    await observed?.stop();
  });

  it('fills the job, instance and ap variables', async () => {
    const info = await prom.query(`pmip_build_info{job=~"${JOB}"}`);
    expect(info.map((s) => s.metric['instance'])).toEqual([site.target]);
    const aps = await prom.query(
      `sum by (access_point) (pmip_mobile_clients{job=~"${JOB}",instance=~"${site.target}"})`,
    );
    expect(aps.map((s) => s.metric['access_point']).sort()).toEqual(['ap-A', 'ap-B', 'ap-C']);
  });

  it('answers every expression with at least one finite sample (the link panels from the observed site)', async () => {
    const finite = async (expr: string) =>
      (await prom.query(expr)).some((s) => Number.isFinite(Number(s.value[1])));
    const empty: string[] = [];
    const fromObserved: string[] = [];
    for (const { where, expr } of expressions) {
      if (await finite(concrete(expr, site.target))) continue;
      if (readsObservedOnly(expr) && (await finite(concrete(expr, observed.target, OBSERVED_JOB))))
        fromObserved.push(expr);
      else empty.push(`${where}: ${expr}`);
    }
    expect(empty).toEqual([]);
    // Both agent kinds' advertisements and restarts, on the overview.
    expect(fromObserved).toHaveLength(4);
  });

  it("shows an observed site's agent restarts on the link, per agent", async () => {
    const per = async (kind: 'home' | 'foreign', what: string) =>
      (await prom.query(`pmip_${kind}_agent_link_${what}_total{job="${OBSERVED_JOB}"}`)).map(
        (s) => `${s.metric[`${kind}_agent`]} ${Number(s.value[1])}`,
      );
    const { advertisementsPerAgent: ads, restartsPerAgent: restarts } = OBSERVED;
    expect(await per('home', 'advertisements')).toEqual([`${OBSERVED.homeAgent} ${ads}`]);
    expect(await per('home', 'reboots_detected')).toEqual([`${OBSERVED.homeAgent} ${restarts}`]);
    expect(await per('foreign', 'advertisements')).toEqual([`${OBSERVED.foreignAgent} ${ads}`]);
    expect(await per('foreign', 'reboots_detected')).toEqual([`${OBSERVED.foreignAgent} ${restarts}`]);
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
        `max(last_over_time(pmip_time_sync_offset_seconds{${sel},access_point="$ap",home_agent="ha-A"}[$__rate_interval]))`,
      ),
    ).toBeCloseTo(-3600, -1);
    expect(await value(`min(min_over_time(pmip_subnet_map_rows{${sel}}[$__rate_interval]))`)).toBe(3);
    expect(await value(`min(min_over_time(pmip_aap_reachable{${sel}}[$__rate_interval]))`)).toBe(1);
    expect(
      await value(`sum(rate(pmip_malformed_datagrams_total{${sel}}[$__rate_interval]))`),
    ).toBeGreaterThan(0);
  });

  const sel = `job=~"${JOB}"`;
  const labelsOf = async (expr: string, label: string): Promise<string[]> =>
    (await prom.query(expr)).map((s) => s.metric[label]!).sort();

  it('tells the silent home agent from the wrong-key clients, by name', async () => {
    expect(timeouts).toBe(3);
    // The foreign agent's 69: at fa-C, and site-wide as issued by a foreign agent.
    expect(
      await labelsOf(
        `sum by (foreign_agent, code) (increase(pmip_foreign_agent_registration_denials_total{${sel}}[1m])) > 0`,
        'foreign_agent',
      ),
    ).toEqual(['fa-C']);
    expect(
      await labelsOf(
        `sum by (code, issuer) (increase(pmip_registration_denials_total{${sel},code="69"}[1m])) > 0`,
        'issuer',
      ),
    ).toEqual(['foreign_agent']);
    const moved = (metric: string, by: string, outcome: string) =>
      labelsOf(`sum by (${by}) (increase(${metric}{${sel},outcome="${outcome}"}[1m])) > 0`, by);
    // Timeouts: ha-B only (the silent one), at access point A only (where its clients were).
    expect(await moved('pmip_home_agent_registration_failures_total', 'home_agent', 'timeout')).toEqual([
      'ha-B',
    ]);
    expect(await moved('pmip_mn_registration_failures_total', 'access_point', 'timeout')).toEqual(['ap-A']);
    // Unauthenticated: ha-A only (the wrong-key clients' home agent), at access point B only.
    expect(
      await moved('pmip_home_agent_registration_failures_total', 'home_agent', 'unauthenticated'),
    ).toEqual(['ha-A']);
    expect(await moved('pmip_mn_registration_failures_total', 'access_point', 'unauthenticated')).toEqual([
      'ap-B',
    ]);
    // Every attempt of the run is one outcome: attempts = accepted + failures, at each home agent.
    const perHa = async (expr: string) =>
      Object.fromEntries(
        (await prom.query(expr)).map((s) => [s.metric['home_agent']!, Math.round(Number(s.value[1]))]),
      );
    const attempts = await perHa(`sum by (home_agent) (pmip_home_agent_registration_attempts_total{${sel}})`);
    const accepted = await perHa(
      `sum by (home_agent) (pmip_home_agent_registrations_accepted_total{${sel}})`,
    );
    const failed = await perHa(`sum by (home_agent) (pmip_home_agent_registration_failures_total{${sel}})`);
    for (const ha of ['ha-A', 'ha-B', 'ha-C']) expect(attempts[ha], ha).toBe(accepted[ha]! + failed[ha]!);
    expect(failed['ha-B']).toBeGreaterThanOrEqual(3);
    expect(failed['ha-A']).toBeGreaterThanOrEqual(20);
  });

  it('lowers the acceptance ratio for timeouts and unauthenticated replies (accepted / replies never counted them)', async () => {
    const one = async (expr: string) => Number((await prom.query(expr))[0]!.value[1]);
    const ratio = await one(`instance:pmip_registration_acceptance_ratio:ratio_rate2m{${sel}}`);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(0.8);
    // Per home agent: ha-A (wrong-key clients) and ha-B (silent) below 1, ha-C untouched.
    const perHa = Object.fromEntries(
      (await prom.query(`home_agent:pmip_registration_acceptance_ratio:ratio_rate5m{${sel}}`)).map((s) => [
        s.metric['home_agent']!,
        Number(s.value[1]),
      ]),
    );
    expect(perHa['ha-A']).toBeLessThan(0.5);
    expect(perHa['ha-B']).toBeLessThan(1);
    expect(perHa['ha-C']).toBe(1);
  });

  it('counts each client once: the summed last value, not the summed maximum over the interval', async () => {
    const one = async (expr: string) => Number((await prom.query(expr))[0]!.value[1]);
    const tracked = await one(`pmip_exporter_tracked_clients{${sel}}`);
    expect(tracked).toBe(site.collector.snapshot().self.clientsTracked);
    expect(await one(`sum(last_over_time(pmip_mobile_clients{${sel}}[1m]))`)).toBe(tracked);
    // The old query: clients that changed state within the minute count in both states.
    expect(await one(`sum(max_over_time(pmip_mobile_clients{${sel}}[1m]))`)).toBeGreaterThan(tracked);
  });

  it('maps home agent and foreign agent names to addresses', async () => {
    const pairs = async (metric: string, label: string) =>
      (await prom.query(`${metric}{${sel}}`)).map((s) => `${s.metric[label]} ${s.metric['address']}`).sort();
    expect(await pairs('pmip_home_agent_info', 'home_agent')).toEqual([
      'ha-A 127.0.1.1',
      'ha-B 127.0.2.1',
      'ha-C 127.0.3.1',
    ]);
    expect(await pairs('pmip_foreign_agent_info', 'foreign_agent')).toEqual([
      'fa-A 127.0.1.2',
      'fa-B 127.0.2.2',
      'fa-C 127.0.3.2',
    ]);
  });

  it('evaluates every recording rule of alerts/pmip.rules.yml on the real series', async () => {
    const empty: string[] = [];
    for (const rule of readRules().groups.flatMap((g) => g.rules)) {
      if (!rule.record) continue;
      const result = await prom.query(`${rule.record}{${sel}}`);
      if (!result.some((s) => Number.isFinite(Number(s.value[1])))) empty.push(rule.record);
    }
    expect(empty).toEqual([]);
  });
});
