/**
 * The alert rules (alerts/pmip.rules.yml): promtool accepts them, promtool's unit tests
 * (alerts/pmip.rules.test.yml) pass and show every alert both firing and not firing, and every
 * alert carries what the NOC needs: severity, summary, a description templated with labels and
 * value, and a runbook_url to its own section of docs/runbooks.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../dashboards/src/config.ts';
import { ALERTS_DIR, RULES_FILE, RULES_TEST_FILE, alertsOf, readRuleTests, readRules } from './rules-file.ts';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const rules = readRules();
const alerts = alertsOf(rules);
const runbooks = readFileSync(join(ALERTS_DIR, '..', 'docs', 'runbooks.md'), 'utf8');

/** The alerts the issues ask for, and the exporter's own (down, slow, a part of /metrics failing). */
const EXPECTED_ALERTS = [
  'PmipHomeAgentUnreachable',
  'PmipRegistrationDenialRatioHigh',
  'PmipAuthenticationFailures',
  'PmipIdentificationMismatchBurst',
  'PmipRegistrationTimeouts',
  'PmipAapUnreachable',
  'PmipSubnetMapEmpty',
  'PmipExporterDown',
  'PmipMetricsRenderSlow',
  'PmipMetricsSectionFailing',
  'PmipInfluxdbWritesFailing',
  'PmipInfluxdbPointsDropped',
  'PmipRadiusSaLookupsFailing',
];

describe.skipIf(!hasPromtool)('promtool', () => {
  it('check rules accepts the rule file', () => {
    const run = spawnSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain(
      `SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`,
    );
    expect(run.status).toBe(0);
  });

  it('test rules passes every case', () => {
    const run = spawnSync('promtool', ['test', 'rules', RULES_TEST_FILE], {
      encoding: 'utf8',
      cwd: ALERTS_DIR,
    });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  });
});

describe('the promtool unit tests cover every alert', () => {
  const cases = readRuleTests().tests.flatMap((t) => t.alert_rule_test ?? []);

  it('test the rule file itself', () => {
    expect(readRuleTests().rule_files).toEqual(['pmip.rules.yml']);
  });

  it('name only alerts of the rule file, and every one of them', () => {
    expect([...new Set(cases.map((c) => c.alertname))].sort()).toEqual(alerts.map((a) => a.alert).sort());
  });

  for (const { alert } of alerts) {
    it(`show ${alert} firing and not firing`, () => {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} never fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} has no must-not-fire case`,
      ).toBe(true);
    });
  }

  it('test every recording rule', () => {
    const tested = readRuleTests().tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr));
    const recorded = rules.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : []));
    expect(recorded.length).toBe(18);
    expect([...new Set(tested)].sort()).toEqual([...recorded].sort());
  });
});

describe('every alert', () => {
  it('is one the issue asks for, and all of them are there', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
  });

  for (const a of alerts) {
    describe(a.alert, () => {
      it('is named in CamelCase with the Pmip prefix', () => {
        expect(a.alert).toMatch(/^Pmip([A-Z][a-z0-9]+)+$/);
      });

      it('has a severity, a summary and a description templated with labels and value', () => {
        expect(['warning', 'critical']).toContain(a.labels?.['severity']);
        expect(a.annotations?.['summary']).toMatch(/^[A-Z].+\.$/);
        expect(a.annotations?.['description']).toContain('$labels.');
        expect(a.annotations?.['description']).toContain('$value');
      });

      it('links its own section of docs/runbooks.md, which says what it means, how to confirm it and what to do', () => {
        const anchor = a.alert.toLowerCase();
        expect(a.annotations?.['runbook_url']).toBe(`docs/runbooks.md#${anchor}`);
        const sections = runbooks.split(/^## /m);
        const section = sections.find((s) => s.startsWith(`${a.alert}\n`));
        expect(section, `no "## ${a.alert}" in docs/runbooks.md`).toBeDefined();
        for (const part of ['**Meaning.**', '**Confirm.**', '**Action.**']) expect(section).toContain(part);
        expect(section).toMatch(/\/statistics|\/clients|\/subnet-map|\/aaps|\/api\/v1\/|\/-\/healthy/);
      });
    });
  }

  it('uses only metrics the exporter documents (docs/metrics.md), and up', () => {
    const documented = readFileSync(join(ALERTS_DIR, '..', 'docs', 'metrics.md'), 'utf8');
    const exprs = rules.groups.flatMap((g) => g.rules).map((r) => r.expr);
    // Metric names, not the parts of recorded names (level:metric:operation).
    const metrics = new Set(exprs.flatMap((e) => e.match(/(?<![\w:])pmip_[a-z_]+(?![\w:])/g) ?? []));
    expect(metrics.size).toBeGreaterThan(10);
    // docs/metrics.md lists the pmip_home_agent_* families and says pmip_foreign_agent_* are the same.
    const isDocumented = (m: string): boolean =>
      documented.includes(`\`${m}\``) ||
      (m.startsWith('pmip_foreign_agent_') &&
        documented.includes('`pmip_foreign_agent_*`') &&
        documented.includes(`\`${m.replace('pmip_foreign_agent_', 'pmip_home_agent_')}\``));
    for (const m of metrics) expect(isDocumented(m), `${m} is not in docs/metrics.md`).toBe(true);
  });

  it('groups every aggregation and match by site, job and instance, so one alert names one site of a fleet', () => {
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      for (const [, labels] of rule.expr.matchAll(/\b(?:by|on) \(([^)]*)\)/g)) {
        const names = labels!.split(',').map((l) => l.trim());
        expect(names, `${rule.alert ?? rule.record}: (${labels})`).toEqual(
          expect.arrayContaining(['site', 'job', 'instance']),
        );
      }
    }
  });

  it('names the site in every description when there is one, and nothing when there is none', () => {
    for (const a of alerts) {
      expect(a.annotations?.['description'], a.alert).toMatch(
        /\{\{ with \$labels\.site \}\}[^{]*\{\{ \. \}\}/,
      );
      // The site is never printed bare (an empty "site " when the label is absent).
      expect(a.annotations?.['description'], a.alert).not.toMatch(/site \{\{ \$labels\.site \}\}/);
    }
  });

  it('reads only what the access points see, never the hosted lab agents', () => {
    const hosted = rules.groups
      .flatMap((g) => g.rules)
      .flatMap((r) =>
        (r.expr.match(/\bpmip_(ha|fa)_[a-z_]+/g) ?? []).map((m) => `${r.alert ?? r.record}: ${m}`),
      );
    expect(hosted).toEqual([]);
  });

  it('prints counts rounded and ratios as percentages, and no article before a label value', () => {
    for (const a of alerts) {
      const description = a.annotations?.['description'] ?? '';
      // increase() extrapolates (385.9 violations): every count an alert compares and prints is
      // round()ed; only a test for none at all (`== 0`) may read it bare.
      for (const leg of a.expr.split(/\n\s*(?:or|and)\n/)) {
        if (!leg.includes('increase(') || /== 0\s*$/.test(leg)) continue;
        expect(leg.trimStart(), `${a.alert}: ${leg}`).toMatch(/^round\(/);
      }
      // Ratios: humanizePercentage; counts: humanize; never the bare extrapolated value.
      for (const use of description.matchAll(/\{\{ \$value( \| (\w+))? \}\}/g)) {
        const pipe = use[2];
        if (pipe === undefined)
          expect(
            ['PmipAapUnreachable', 'PmipSubnetMapEmpty', 'PmipExporterDown'],
            `${a.alert} prints a raw value`,
          ).toContain(a.alert);
        else expect(['humanize', 'humanizePercentage', 'humanizeDuration']).toContain(pipe);
      }
      if (/:ratio_|\) \/ /.test(a.expr)) expect(description).toContain('humanizePercentage');
      expect(description, a.alert).not.toMatch(/\ba \{\{|\ban \{\{|access-point|home-agent|foreign-agent/);
    }
  });

  it('fires at the thresholds the dashboards draw', () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)!.expr;
    expect(expr('PmipRegistrationDenialRatioHigh')).toContain(
      `> ${defaultConfig.thresholds.denialRatio.critical}`,
    );
    expect(expr('PmipMetricsRenderSlow')).toContain(`> ${defaultConfig.thresholds.renderSeconds.critical}`);
  });

  it('alerts on InfluxDB writes failing and on points dropped, from the writer self-metrics', () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)!.expr;
    expect(expr('PmipInfluxdbWritesFailing')).toContain('pmip_influxdb_write_failures_total');
    expect(expr('PmipInfluxdbWritesFailing')).toContain('pmip_influxdb_last_success_timestamp_seconds');
    expect(expr('PmipInfluxdbPointsDropped')).toContain('pmip_influxdb_points_dropped_total');
  });
});
