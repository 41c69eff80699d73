/**
 * The dashboards and recording rules against a real Prometheus that scrapes a two-process site:
 * the access points in one `pmip-exporter run` process (job `pmip`), the lab's agents in two
 * others (job `pmip-lab`: ha-lab-1 with fa-east, ha-lab-2 with fa-west; they serve the hosted
 * agents' own families, pmip_ha_* and pmip_fa_*, that the "Hosted ..." panels read and that the
 * access points' process cannot have). Prometheus 2.42 scrapes all three every second and
 * evaluates alerts/pmip.rules.yml every second.
 *
 * The site carries what a real one sees: clients accepted through both foreign agents, a foreign
 * agent that grants shorter lifetimes than the site asks (one 69, then accepted), a client whose
 * key differs between the processes (replies that fail authentication), a home agent that does not
 * offer the GRE tunnel an access point asks for (a verified denial, 139, for a visitor of ha-lab-2
 * at ap-east), a stray datagram on an access point's registration port, and an outage of
 * ha-lab-1's process (SIGSTOP), then its return.
 *
 * Asserted: promtool accepts the rules, every dashboard expression and the live pages; the
 * acceptance ratio recording rules are 1 for ha-lab-1 before the outage and below 0.9 during it,
 * ha-lab-2's does not move, the site's 2-minute ratio falls; after the traffic every dashboard
 * expression (with the Grafana variables at their "All" value, `ap` = ap-east) and every recording
 * rule returns a finite sample, except the few listed in NO_DATA with the reason.
 */
import { startAlertingPrometheus, type AlertingPrometheus } from '../alerts/alerting-servers.ts';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES_FILE, readRules } from '../alerts/rules-file.ts';
import { committedDashboards, readsObservedOnly } from '../dashboards/committed.ts';
import { expressionsOf } from '../dashboards/lint.ts';
import { hasPrometheus } from '../support/prometheus.ts';
import {
  SPLIT_LAB,
  sampleValue,
  startTwoProcessSite,
  type AttachRequest,
  type TwoProcessSite,
} from '../support/two-process-site.ts';

const SITE_JOB = 'pmip';
const LAB_JOB = 'pmip-lab';
/** The access point the `ap` variable selects: the one whose visitors' home agent goes away. */
const AP = 'ap-east';
/** `$__rate_interval`: long enough that every rate covers the whole run. */
const RATE_INTERVAL = '2m';
const HA1 = 'ha-lab-1';
const HA2 = 'ha-lab-2';
const LAB_OF_HA1 = 0;

/**
 * Dashboard expressions that legitimately return nothing from this site, by the start of their
 * "where" (dashboard / panel), with the reason. Everything else must return a finite sample.
 */
const NO_DATA: Record<string, string> = {
  'PMIP access point / Time-sync offset per home agent':
    'pmip_time_sync_offset_seconds exists after a resynchronisation (code 133) only; all three processes share one clock',
  'PMIP overview / Time-sync offset per access point and home agent':
    'the same family: no home agent clock differs from the access points',
};

const client = (mac: string, address: string, accessPoint: string): AttachRequest => ({
  mac,
  address,
  accessPoint,
});
const BASELINE = [
  client('02:00:00:00:01:01', '127.201.0.50', 'ap-east'),
  client('02:00:00:00:01:02', '127.201.0.51', 'ap-east'),
  client('02:00:00:00:02:01', '127.202.0.60', 'ap-west'), // fa-west answers 69 first
];
const OUTAGE_EAST = [
  client('02:00:00:00:01:11', '127.201.0.70', 'ap-east'),
  client('02:00:00:00:01:12', '127.201.0.71', 'ap-east'),
];
const OUTAGE_WEST = [client('02:00:00:00:02:11', '127.202.0.70', 'ap-west')];
const RECOVERY_EAST = [
  client('02:00:00:00:03:01', '127.201.0.100', 'ap-east'),
  client('02:00:00:00:03:02', '127.201.0.101', 'ap-east'),
];
const WRONG_KEY = client('02:00:00:00:02:99', '127.202.0.99', 'ap-west');
/** ha-lab-2's client at ap-east (via fa-east): ap-east asks for GRE, ha-lab-2 does not offer it. */
const NO_GRE = client('02:00:00:00:02:31', '127.202.0.90', 'ap-east');

type RulesPrometheus = AlertingPrometheus;

const hostPort = (url: string) => new URL(url).host;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Grafana variables at their "All" value (`.+`; `site` at `.*`, its All, since a plain
 * Prometheus adds no site label), `ap` and the rate interval concrete.
 */
function concrete(expr: string): string {
  const values: Record<string, string> = {
    __rate_interval: RATE_INTERVAL,
    site: '.*',
    job: '.+',
    instance: '.+',
    ap: AP,
  };
  const out = expr.replace(
    /\$(__rate_interval|site|job|instance|ap)\b/g,
    (_m, name: string) => values[name]!,
  );
  if (out.includes('$')) throw new Error(`an unknown variable is left in ${out}`);
  return out;
}

const promtool = (args: string[], input?: string) =>
  spawnSync('promtool', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });

const started = Date.now();
const log = (what: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);

describe.skipIf(!hasPrometheus() || promtool(['--version']).status !== 0)(
  'a real Prometheus scraping a two-process site',
  () => {
    let site: TwoProcessSite | undefined;
    let prom: RulesPrometheus | undefined;
    const expressions = committedDashboards().flatMap(({ dashboard }) => expressionsOf(dashboard));
    const ratio = {
      ha1Before: NaN,
      ha1During: NaN,
      ha2Before: NaN,
      ha2During: NaN,
      siteBefore: NaN,
      siteDuring: NaN,
      timeouts: 0,
    };

    /** Polls until `expr` has a sample that `accept` agrees with; resolves with its value. */
    async function waitFor(
      expr: string,
      accept: (v: number) => boolean,
      timeoutMs = 20_000,
    ): Promise<number> {
      const end = Date.now() + timeoutMs;
      let last = 'no sample';
      for (;;) {
        const result = await prom!.query(expr);
        const hit = result.find((s) => accept(Number(s.value[1])));
        if (hit) return Number(hit.value[1]);
        if (result.length > 0) last = result.map((s) => s.value[1]).join(', ');
        if (Date.now() > end)
          throw new Error(`no accepted sample for ${expr} within ${timeoutMs} ms (${last})`);
        await sleep(250);
      }
    }
    const one = async (expr: string): Promise<number> => {
      const r = await prom!.query(expr);
      expect(r, expr).toHaveLength(1);
      return Number(r[0]!.value[1]);
    };
    const siteValue = async (name: string, labels: Record<string, string>) =>
      sampleValue(await site!.metrics('site'), name, labels);

    beforeAll(async () => {
      site = await startTwoProcessSite({
        labGroups: SPLIT_LAB,
        lab: (doc) => {
          // fa-west grants at most 20 minutes; the site believes 30 (its foreignAgent.maxLifetime).
          for (const f of doc.foreignAgents as Array<Record<string, unknown>>) {
            if (f.id === 'fa-west') f.maxLifetime = 1200;
            if (f.id === 'fa-east') f.encapsulations = { gre: true };
          }
          for (const h of doc.homeAgents as Array<Record<string, unknown>>)
            if (h.id === 'ha-lab-2') h.encapsulations = { gre: false, minimal: true };
        },
        site: (doc) => {
          for (const ap of doc.accessPoints as Array<Record<string, unknown>>) {
            ap.lifetime = 1800;
            ap.retransmitInitialMs = 1000;
            ap.maxRetransmissions = 1;
            if (ap.id === 'ap-east') ap.gre = true;
          }
          (doc.securityAssociations.local as unknown[]).push({
            address: WRONG_KEY.address,
            spi: 301,
            key: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
            algorithm: 'hmac-md5',
          });
        },
      });
      prom = await startAlertingPrometheus({
        jobs: [
          { job: SITE_JOB, targets: [hostPort(site.site.url)] },
          { job: LAB_JOB, targets: site.labs.map((l) => hostPort(l.url)) },
        ],
        rules: readFileSync(RULES_FILE, 'utf8'),
      });
      // The traffic starts after the first scrape of every target, so every counter rises in range.
      await waitFor('count(up == 1)', (v) => v === 3, 40_000);
      log('Prometheus scrapes the three processes');
    }, 90_000);

    afterAll(async () => {
      await prom?.stop();
      if (site) {
        const codes = await site.stop();
        expect(codes.site).toBe(0);
        expect(codes.labs).toEqual([0, 0]);
      }
    });

    it('promtool accepts the rules, every dashboard expression and the live pages of all three processes', async () => {
      const rules = promtool(['check', 'rules', RULES_FILE]);
      expect(rules.stdout + rules.stderr).toContain('SUCCESS');
      expect(rules.status).toBe(0);
      const dir = mkdtempSync(join(tmpdir(), 'pmip-two-process-exprs-'));
      try {
        const file = join(dir, 'exprs.rules.yml');
        const asRules = expressions.map((e, i) => ({
          record: `dashboard_check:expr_${i}`,
          expr: concrete(e.expr),
        }));
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard-expressions', rules: asRules }] }));
        const run = promtool(['check', 'rules', file]);
        expect(run.stdout + run.stderr).toContain(`SUCCESS: ${expressions.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      for (const which of ['site', 0, 1] as const) {
        const check = promtool(['check', 'metrics'], await site!.metrics(which));
        expect(check.stdout + check.stderr, `promtool check metrics: ${which}`).toBe('');
        expect(check.status).toBe(0);
      }
    });

    it('drops the acceptance ratio recording rules for the stopped home agent only', async () => {
      const s = site!;
      for (const c of BASELINE) expect((await s.attach(c)).status).toBe(201);
      // fa-west's 69 for the first client through it, then the retry with 1200 s: accepted.
      await s.waitForSample(
        'site',
        'pmip_mn_registrations_accepted_total',
        { access_point: 'ap-east' },
        (v) => v === 2,
      );
      await s.waitForSample(
        'site',
        'pmip_mn_registrations_accepted_total',
        { access_point: 'ap-west' },
        (v) => v === 1,
      );
      expect(
        await siteValue('pmip_foreign_agent_registration_failures_total', {
          foreign_agent: 'fa-west',
          outcome: 'denied',
        }),
      ).toBe(1);

      const sel = `job="${SITE_JOB}"`;
      const haRatio = (ha: string) =>
        `home_agent:pmip_registration_acceptance_ratio:ratio_rate5m{${sel},home_agent="${ha}"}`;
      const siteRatio = `instance:pmip_registration_acceptance_ratio:ratio_rate2m{${sel}}`;
      ratio.ha1Before = await waitFor(haRatio(HA1), (v) => v === 1);
      ratio.ha2Before = await waitFor(haRatio(HA2), (v) => Math.abs(v - 0.5) < 1e-9); // 69, then accepted
      ratio.siteBefore = await waitFor(siteRatio, (v) => Math.abs(v - 0.75) < 1e-9);
      log(`before: ${HA1} ${ratio.ha1Before}, ${HA2} ${ratio.ha2Before}, site ${ratio.siteBefore}`);

      s.pause(LAB_OF_HA1);
      log(`${HA1} and fa-east stopped (SIGSTOP)`);
      for (const c of [...OUTAGE_EAST, ...OUTAGE_WEST]) expect((await s.attach(c)).status).toBe(201);
      await s.waitForSample(
        'site',
        'pmip_home_agent_registration_failures_total',
        { home_agent: HA1, outcome: 'timeout' },
        (v) => v >= OUTAGE_EAST.length,
      );
      await s.waitForSample(
        'site',
        'pmip_home_agent_registrations_accepted_total',
        { home_agent: HA2 },
        (v) => v === 2,
      );
      // Both attempts of ha-lab-1's clients timed out: 2 accepted of 4. Wait for that value, not
      // for any drop: the rule is evaluated on scrapes that may not hold the second timeout yet.
      ratio.ha1During = await waitFor(haRatio(HA1), (v) => v <= 0.5 + 1e-9);
      ratio.timeouts = (await siteValue('pmip_home_agent_registration_failures_total', {
        home_agent: HA1,
        outcome: 'timeout',
      }))!;
      expect(ratio.ha1During).toBeGreaterThanOrEqual(2 / (2 + ratio.timeouts) - 1e-9);
      expect(ratio.ha1During).toBeLessThanOrEqual(0.5 + 1e-9);
      ratio.siteDuring = await waitFor(siteRatio, (v) => v < 0.75 - 1e-9);
      expect(ratio.siteDuring).toBeLessThan(0.9);
      // ha-lab-2 keeps accepting: its ratio rises with its new client (1 denial of 3 attempts).
      ratio.ha2During = await waitFor(haRatio(HA2), (v) => Math.abs(v - 2 / 3) < 1e-9);
      // Timeouts for ha-lab-1 only, as Prometheus has them.
      const timedOut = await prom!.query(
        `sum by (home_agent) (pmip_home_agent_registration_failures_total{${sel},outcome="timeout"}) > 0`,
      );
      expect(timedOut.map((x) => x.metric['home_agent'])).toEqual([HA1]);
      expect(await one(`min(up{job="${LAB_JOB}"})`)).toBe(0); // the stopped process does not answer the scrape
      log(
        `during: ${HA1} ${ratio.ha1During}, ${HA2} ${ratio.ha2During}, site ${ratio.siteDuring} (${ratio.timeouts} timeouts)`,
      );

      // Keep it away for a few more scrapes, then let it go on.
      await sleep(3000);
      s.resume(LAB_OF_HA1);
      log(`${HA1} and fa-east resumed (SIGCONT)`);
      for (const c of RECOVERY_EAST) expect((await s.attach(c)).status).toBe(201);
      await s.waitForSample(
        'site',
        'pmip_home_agent_registrations_accepted_total',
        { home_agent: HA1 },
        (v) => v >= 4,
      );
      await waitFor(haRatio(HA1), (v) => v > ratio.ha1During);
      await waitFor('count(up == 1)', (v) => v === 3);
    }, 90_000);

    const labels = async (expr: string, label: string) =>
      [...new Set((await prom!.query(expr)).map((x) => x.metric[label]!))].sort();

    it('carries a wrong key, a home agent denial and a stray datagram, and fills the dashboard variables', async () => {
      const s = site!;
      // A client whose key differs between the processes: the access point refuses ha-lab-2's
      // replies (security violations, unauthenticated), ha-lab-2 denies with 131 (hosted denials).
      expect((await s.attach(WRONG_KEY)).status).toBe(201);
      // ha-lab-2's visitor at ap-east: a verified denial by the home agent (139).
      expect((await s.attach(NO_GRE)).status).toBe(201);
      // A stray datagram on ap-east's registration port: a malformed datagram.
      const apStarted = s.site.logs().find((l) => l.msg === 'access point started' && l.accessPoint === AP);
      const port = (apStarted?.ports as { registration?: number } | undefined)?.registration;
      expect(port).toBeGreaterThan(0);
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.send(Buffer.from([1, 2, 3]), port!, '127.211.0.10', () => r()));
      sock.close();
      await s.waitForSample(
        'site',
        'pmip_mn_registration_failures_total',
        { access_point: 'ap-west', outcome: 'unauthenticated' },
        (v) => v >= 1,
      );
      await s.waitForSample(
        'site',
        'pmip_home_agent_registration_denials_total',
        { home_agent: HA2, code: '139' },
        (v) => v >= 1,
      );
      const events = (await siteValue('pmip_exporter_events_ingested_total', {}))!;
      await waitFor(`pmip_exporter_events_ingested_total{job="${SITE_JOB}"}`, (v) => v >= events);
      await sleep(2500); // two more scrapes and rule evaluations

      // The variables' own queries: both jobs, three instances, both access points.
      expect(await labels('pmip_build_info', 'job')).toEqual([SITE_JOB, LAB_JOB].sort());
      expect(await labels('pmip_build_info{job=~".+"}', 'instance')).toHaveLength(3);
      expect(await labels('pmip_mobile_clients{job=~".+",instance=~".+"}', 'access_point')).toEqual([
        'ap-east',
        'ap-west',
      ]);
    }, 30_000);

    it('answers every dashboard expression with data from the site', async () => {
      const empty: string[] = [];
      const listedButData: string[] = [];
      for (const { where, expr } of expressions) {
        if (readsObservedOnly(expr)) continue; // observed sites only: test/dashboards/queries.test.ts
        const result = await prom!.query(concrete(expr));
        const has = result.some((x) => Number.isFinite(Number(x.value[1])));
        const listed = Object.keys(NO_DATA).some((k) => where.startsWith(k));
        if (!has && !listed) empty.push(`${where}: ${expr}`);
        if (has && listed) listedButData.push(where);
      }
      log(
        `${expressions.length} dashboard expressions; listed as without data but had some: ${listedButData.join('; ') || 'none'}`,
      );
      expect(empty).toEqual([]);
    });

    it('answers every recording rule of alerts/pmip.rules.yml with data from the site', async () => {
      const rulesEmpty: string[] = [];
      const records = readRules()
        .groups.flatMap((g) => g.rules)
        .filter((r) => r.record !== undefined);
      for (const rule of records) {
        const result = await prom!.query(`${rule.record}{job=~".+"}`);
        if (!result.some((x) => Number.isFinite(Number(x.value[1])))) rulesEmpty.push(rule.record!);
      }
      log(`${records.length} recording rules`);
      expect(rulesEmpty).toEqual([]);
    });

    it('shows what happened where: timeouts, failed authentication, denials, hosted agents', async () => {
      // What the panels show matches the site: timeouts for ha-lab-1 only, at ap-east only;
      // failed authentication for ha-lab-2 only; the 69 at fa-west; the hosted agents' own side.
      const byLabel = (expr: string, label: string) => labels(concrete(expr), label);
      expect(
        await byLabel(
          `sum by (home_agent) (increase(pmip_home_agent_registration_failures_total{job=~"$job",outcome="timeout"}[$__rate_interval])) > 0`,
          'home_agent',
        ),
      ).toEqual([HA1]);
      expect(
        await byLabel(
          `sum by (access_point) (increase(pmip_mn_registration_failures_total{job=~"$job",outcome="timeout"}[$__rate_interval])) > 0`,
          'access_point',
        ),
      ).toEqual(['ap-east']);
      expect(
        await byLabel(
          `sum by (home_agent) (increase(pmip_home_agent_registration_failures_total{job=~"$job",outcome="unauthenticated"}[$__rate_interval])) > 0`,
          'home_agent',
        ),
      ).toEqual([HA2]);
      expect(
        await byLabel(
          `sum by (foreign_agent, code) (increase(pmip_foreign_agent_registration_denials_total{job=~"$job",code="69"}[$__rate_interval])) > 0`,
          'foreign_agent',
        ),
      ).toEqual(['fa-west']);
      expect(
        await byLabel(
          `sum by (home_agent) (increase(pmip_ha_registration_denials_total{job=~"$job",code="131"}[$__rate_interval])) > 0`,
          'home_agent',
        ),
      ).toEqual([HA2]);
      expect(
        await byLabel(
          `sum by (home_agent, code) (increase(pmip_home_agent_registration_denials_total{job="${SITE_JOB}"}[$__rate_interval])) > 0`,
          'code',
        ),
      ).toEqual(['139']);
      const bindings = await prom!.query(`sum by (home_agent) (pmip_ha_bindings{job="${LAB_JOB}"})`);
      expect(
        Object.fromEntries(bindings.map((b) => [b.metric['home_agent'], Number(b.value[1])])),
      ).toMatchObject({
        [HA1]: expect.any(Number),
        [HA2]: 2,
      });
      log(`ratios: ${JSON.stringify(ratio)}`);
    });
  },
);
