/**
 * End to end: a real Prometheus loaded with alerts/pmip.rules.yml scrapes the site under test
 * (test/support/engine-site.ts: the real engine over UDP, a real Collector, the real exporter)
 * and sends to a real Alertmanager. A denial storm is injected (clients whose access point holds
 * the wrong key: home agent ha-A denies each with 131, and access point B cannot authenticate
 * those replies, so each attempt ends `unauthenticated`). PmipAuthenticationFailures naming home
 * agent ha-A must reach Alertmanager within ALERT_BOUND_MS of the injection, visible through its
 * API and through amtool, with the access point and the security violations named too; and the
 * storm must not pass for a reachability problem (no PmipHomeAgentUnreachable, no
 * PmipRegistrationTimeouts) nor for denials (no PmipRegistrationDenialRatioHigh). Then home agent
 * ha-B falls silent: PmipHomeAgentUnreachable names it (and its address), and only it.
 *
 * The one change to the committed rules: every `for:` is cut to E2E_FOR, so the test waits
 * seconds instead of the production minutes. Expressions, labels and annotations are the
 * committed ones. Prometheus evaluates every second and resends every second
 * (`--rules.alert.resend-delay=1s`); Alertmanager waits 1 s before a group's first notification.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  injectDenialStorm,
  silenceHomeAgent,
  startEngineSite,
  type EngineSite,
} from '../support/engine-site.ts';
import { settle } from '../support/lab-site.ts';
import { hasPrometheus } from '../support/prometheus.ts';
import {
  hasAlertmanager,
  startAlertingPrometheus,
  startAlertmanager,
  type AlertingPrometheus,
  type RunningServer,
} from './alerting-servers.ts';
import { RULES_FILE, type RuleFile } from './rules-file.ts';

const JOB = 'pmip';
const ALERT = 'PmipAuthenticationFailures';
/** `for:` of every alert in this test (minutes in production). */
const E2E_FOR = '5s';
/**
 * From the injection of the storm to the alert in Alertmanager: a scrape (1 s), an evaluation
 * (1 s), E2E_FOR pending, the send (resend delay 1 s) and Alertmanager's group wait (1 s) make
 * about 10 s; the bound leaves room for a loaded machine.
 */
const ALERT_BOUND_MS = 30_000;
/** The whole test: servers, first scrape, traffic, storm, silent home agent and alerts. */
const TEST_BOUND_MS = 75_000;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  startsAt: string;
}

function rulesWithShortFor(): string {
  const rules = parse(readFileSync(RULES_FILE, 'utf8')) as RuleFile;
  for (const group of rules.groups)
    for (const rule of group.rules) if (rule.alert && rule.for) rule.for = E2E_FOR;
  return stringify(rules);
}

async function alertsIn(alertmanager: RunningServer, alertname: string): Promise<AmAlert[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  const res = await fetch(`${alertmanager.url}/api/v2/alerts?filter=${filter}`);
  if (!res.ok) throw new Error(`alertmanager answered ${res.status}`);
  return (await res.json()) as AmAlert[];
}

const canRun = hasPrometheus() && hasAlertmanager();

describe.skipIf(!canRun)('a denial storm reaches a real Alertmanager', () => {
  const started = Date.now();
  let site: EngineSite;
  let alertmanager: RunningServer;
  let prom: AlertingPrometheus;
  let injectedAt = 0;
  let arrivedAt = 0;

  beforeAll(async () => {
    // No skewed access point here: only the storm denies anything.
    site = await startEngineSite({ skewedAccessPoint: false });
    alertmanager = await startAlertmanager();
    prom = await startAlertingPrometheus({
      job: JOB,
      target: site.target,
      rules: rulesWithShortFor(),
      alertmanager: new URL(alertmanager.url).host,
    });
    // First scrape, then ordinary registrations towards ha-A: its acceptance ratio is a number (1).
    for (let i = 0; ; i++) {
      if ((await prom.query(`pmip_build_info{job="${JOB}"}`)).length > 0) break;
      if (i > 160) throw new Error('no first scrape within 40 s');
      await settle(250);
    }
    const { lab } = site;
    const good = [40, 41, 42, 43].map((n) => ({
      mac: `02:00:00:00:0b:${n}`,
      address: `127.0.1.${n}`,
      ssid: 'corp',
    }));
    for (const c of good) lab.ap('B').associate(c);
    for (const c of good) await lab.waitFor('reply-received', (e) => e.client.mac === c.mac && e.accepted);
  }, TEST_BOUND_MS);

  afterAll(async () => {
    await prom?.stop();
    await alertmanager?.stop();
    await site?.stop();
  });

  it(
    'does not fire while the home agent accepts everything',
    async () => {
      const ratio = `home_agent:pmip_registration_acceptance_ratio:ratio_rate5m{job="${JOB}",home_agent="ha-A"}`;
      for (let i = 0; ; i++) {
        const r = await prom.query(ratio);
        if (r.length > 0 && Number(r[0]!.value[1]) === 1) break;
        if (i > 80) throw new Error(`${ratio} never became 1`);
        await settle(250);
      }
      // Longer than E2E_FOR plus a send: a firing alert would be in Alertmanager by now.
      await settle(7_000);
      expect(await alertsIn(alertmanager, ALERT)).toEqual([]);
    },
    TEST_BOUND_MS,
  );

  it(
    `fires ${ALERT} for ha-A in Alertmanager within ${ALERT_BOUND_MS / 1000} s of the storm`,
    async () => {
      injectedAt = Date.now();
      const denials = await injectDenialStorm(site, 20, { conclude: true });
      // Four transmissions per client, each denied with 131 by ha-A.
      expect(denials).toBe(80);
      const isHomeAgentLeg = (a: AmAlert) => a.labels['home_agent'] === 'ha-A' && !a.labels['code'];
      let found: AmAlert | undefined;
      while (!found) {
        found = (await alertsIn(alertmanager, ALERT)).find(isHomeAgentLeg);
        if (Date.now() - injectedAt > ALERT_BOUND_MS) break;
        if (!found) await settle(250);
      }
      arrivedAt = Date.now();
      expect(
        found,
        `no ${ALERT} for ha-A in Alertmanager ${ALERT_BOUND_MS} ms after the storm`,
      ).toBeDefined();
      expect(arrivedAt - injectedAt).toBeLessThan(ALERT_BOUND_MS);
      expect(found!.status.state).toBe('active');
      expect(found!.labels).toEqual({
        alertname: ALERT,
        severity: 'warning',
        job: JOB,
        instance: site.target,
        home_agent: 'ha-A',
      });
      expect(found!.annotations['summary']).toBe('Mobile IP authentication is failing.');
      const target = site.target.replaceAll('.', '\\.');
      expect(found!.annotations['description']).toMatch(
        new RegExp(
          `^(20|[2-9]\\d) registration attempts towards home agent ha-A got only replies that failed authentication at the access points in the last 5 minutes \\(${target}\\)\\.$`,
        ),
      );
      expect(found!.annotations['runbook_url']).toBe('docs/runbooks.md#pmipauthenticationfailures');
    },
    TEST_BOUND_MS,
  );

  it('shows the alert with amtool too, names the access point and the violations, and nothing else fires', async () => {
    const run = spawnSync(
      'amtool',
      [
        `--alertmanager.url=${alertmanager.url}`,
        'alert',
        'query',
        `alertname=${ALERT}`,
        'home_agent=ha-A',
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout) as AmAlert[];
    expect(listed.map((a) => [a.labels['alertname'], a.labels['home_agent'], a.labels['severity']])).toEqual([
      [ALERT, 'ha-A', 'warning'],
    ]);
    // The same storm at access point B, and as bad authenticators where they were detected: at the
    // access point, and at the hosted home agent (which cannot authenticate the requests either).
    const auth = await alertsIn(alertmanager, ALERT);
    const apLeg = auth.find((a) => a.labels['access_point'] === 'ap-B');
    expect(apLeg?.annotations['description']).toMatch(
      /^Access point ap-B got only replies that failed authentication for \d+ registration attempts in the last 5 minutes /,
    );
    expect(auth.map((a) => `${a.labels['node_kind']} ${a.labels['reason']}`)).toEqual(
      expect.arrayContaining(['access_point bad_authenticator', 'home_agent bad_authenticator']),
    );
    expect(auth.find((a) => a.labels['node_kind'] === 'access_point')?.annotations['description']).toMatch(
      /^\d+ security violations \(bad_authenticator\) were detected by the access points in the last 5 minutes /,
    );
    // Wrong keys are not a reachability problem, and the 131s the access points cannot verify are
    // not denials.
    for (const other of [
      'PmipHomeAgentUnreachable',
      'PmipRegistrationTimeouts',
      'PmipRegistrationDenialRatioHigh',
    ])
      expect(await alertsIn(alertmanager, other), other).toEqual([]);
  });

  it(
    'fires PmipHomeAgentUnreachable for a silent home agent only, by name and address, and the timeouts where they are',
    async () => {
      // ha-B stops; three clients from subnet B visit access point A and time out. ha-B has not
      // answered anyone in this test, so "no reply for the whole window" holds at once.
      const silencedAt = Date.now();
      expect(await silenceHomeAgent(site, 3)).toBe(3);
      let found: AmAlert[] = [];
      while (found.length === 0) {
        found = await alertsIn(alertmanager, 'PmipHomeAgentUnreachable');
        if (Date.now() - silencedAt > ALERT_BOUND_MS) break;
        if (found.length === 0) await settle(250);
      }
      expect(found.map((a) => a.labels)).toEqual([
        {
          alertname: 'PmipHomeAgentUnreachable',
          severity: 'critical',
          job: JOB,
          instance: site.target,
          home_agent: 'ha-B',
        },
      ]);
      expect(found[0]!.annotations['description']).toBe(
        `Home agent ha-B (127.0.2.1) has sent no reply to the access points for 3 minutes; 3 registration attempts towards it timed out in the last 2 minutes (${site.target}).`,
      );
      // The timeouts alert names access point A and ha-B, never access point B, whose only
      // failures are the wrong-key clients.
      let timeouts: AmAlert[] = [];
      while (timeouts.length < 2 && Date.now() - silencedAt < ALERT_BOUND_MS) {
        timeouts = await alertsIn(alertmanager, 'PmipRegistrationTimeouts');
        if (timeouts.length < 2) await settle(250);
      }
      expect(
        timeouts.map((a) => a.labels['access_point'] ?? `home agent ${a.labels['home_agent']}`).sort(),
      ).toEqual(['ap-A', 'home agent ha-B']);
    },
    TEST_BOUND_MS,
  );

  it(`runs within ${TEST_BOUND_MS / 1000} s`, () => {
    expect(arrivedAt).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(TEST_BOUND_MS);
  });
});
