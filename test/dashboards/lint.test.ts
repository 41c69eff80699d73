/**
 * The dashboard-linter's rules (test/dashboards/lint.ts) over the committed dashboards: each is
 * clean; and each rule catches the mistake it exists for, on a copy of a real dashboard.
 */
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { committedDashboards } from './committed.ts';
import { isRow, lintDashboard, panelsOf, targetsOf } from './lint.ts';

const dashboards = committedDashboards();

describe('the committed dashboards pass the dashboard-linter rules', () => {
  it('finds the three dashboards', () => {
    expect(dashboards.map((d) => d.file)).toEqual([
      'pmip-access-point.json',
      'pmip-fleet.json',
      'pmip-overview.json',
    ]);
  });

  for (const { file, dashboard } of dashboards) {
    it(`${file} has no problems`, () => {
      expect(lintDashboard(dashboard)).toEqual([]);
    });
  }

  it('gives every dashboard the datasource, site, job and instance variables, and the access point one the ap variable', () => {
    for (const { file, dashboard } of dashboards) {
      const names = (dashboard.templating.list ?? []).map((v) => v.name);
      expect(names.slice(0, 4)).toEqual(['datasource', 'site', 'job', 'instance']);
      const site = dashboard.templating.list!.find((v) => v.name === 'site')!;
      expect([site.query, site.multi, site.includeAll, site.allValue]).toEqual([
        'label_values(pmip_build_info, site)',
        true,
        true,
        '.*',
      ]);
      expect(names.includes('ap')).toBe(file === 'pmip-access-point.json');
    }
  });

  it('folds the hosted lab agents into the last row of the overview, and lints and checks its panels too', () => {
    const overview = dashboards.find((d) => d.file === 'pmip-overview.json')!.dashboard;
    const rows = (overview.panels ?? []).filter(isRow);
    const folded = rows.filter((r) => r.collapsed);
    expect(folded.map((r) => r.title)).toEqual(['Hosted lab agents']);
    expect(rows[rows.length - 1]).toBe(folded[0]);
    const inside = (folded[0]!.panels ?? []) as Panel[];
    expect(inside.length).toBeGreaterThan(3);
    for (const p of inside) expect(panelsOf(overview)).toContain(p);
    // Every hosted-agent family (pmip_ha_*, pmip_fa_*) is in that row and nowhere else.
    const hosted = (p: Panel) => targetsOf(p).some((t) => /\bpmip_(ha|fa)_/.test(t.expr));
    expect(panelsOf(overview).filter(hosted)).toEqual(inside.filter(hosted));
    expect(inside.every(hosted)).toBe(true);
  });

  it('never sums a max_over_time of a gauge, and counts clients by state from the gauge itself', () => {
    for (const { dashboard } of dashboards)
      for (const p of panelsOf(dashboard))
        for (const t of targetsOf(p)) {
          expect(t.expr).not.toMatch(/sum(\s+by\s*\([^)]*\))?\s*\(max_over_time/);
          if (t.expr.includes('pmip_mobile_clients'))
            expect(t.expr).toMatch(
              /^sum by \(site(, (state|access_point))?\) \(last_over_time\(pmip_mobile_clients\{/,
            );
        }
  });

  it('gives dashboards distinct uids', () => {
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids).toEqual(['pmip-access-point', 'pmip-fleet', 'pmip-overview']);
  });
});

describe('each rule catches its mistake', () => {
  const overview = dashboards.find((d) => d.file === 'pmip-overview.json')!.dashboard;
  const accessPoint = dashboards.find((d) => d.file === 'pmip-access-point.json')!.dashboard;
  const copy = (d: Dashboard): Dashboard => structuredClone(d);
  const firstPanel = (d: Dashboard): Panel => panelsOf(d)[0]!;
  const rulesOf = (d: Dashboard): string[] => [...new Set(lintDashboard(d).map((p) => p.rule))].sort();

  const cases: Array<[string, string, (d: Dashboard) => void, Dashboard?]> = [
    [
      'a range other than $__rate_interval',
      'target-rate-interval-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replace('[$__rate_interval]', '[5m]');
      },
    ],
    [
      'a gauge query without a range',
      'target-rate-interval-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr = 'sum(pmip_subnet_map_rows{job=~"$job",instance=~"$instance"})';
      },
    ],
    [
      'a missing instance matcher',
      'target-instance-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replaceAll(',instance=~"$instance"', '');
      },
    ],
    [
      'a missing site matcher',
      'target-site-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replaceAll('site=~"$site",', '');
      },
    ],
    [
      'an aggregation that adds the sites up',
      'target-aggregation-site-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replaceAll('sum by (site) (', 'sum(');
      },
    ],
    [
      'an aggregation by other labels only',
      'target-aggregation-site-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr =
          'sum by (access_point) (rate(pmip_mn_moves_total{site=~"$site",job=~"$job",instance=~"$instance"}[$__rate_interval]))';
      },
    ],
    [
      'a site variable whose All does not match a series without the label',
      'template-site-rule',
      (d) => {
        d.templating.list!.find((v) => v.name === 'site')!.allValue = '.+';
      },
    ],
    [
      'a missing job matcher',
      'target-job-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replaceAll('job=~"$job",', '');
      },
    ],
    [
      'a missing access point matcher',
      'target-ap-rule',
      (d) => {
        const t = targetsOf(firstPanel(d))[0]!;
        t.expr = t.expr.replaceAll(',access_point="$ap"', '');
      },
      accessPoint,
    ],
    [
      'a counter read raw',
      'target-counter-agg-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr =
          'sum(max_over_time(pmip_mn_moves_total{job=~"$job",instance=~"$instance"}[$__rate_interval]))';
      },
    ],
    [
      'a gauge summed over its worst values (a client that changed state counts twice)',
      'target-gauge-sum-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr =
          'sum(max_over_time(pmip_mobile_clients{job=~"$job",instance=~"$instance"}[$__rate_interval]))';
      },
    ],
    [
      'a folded row that is not the last',
      'panel-collapsed-row-rule',
      (d) => {
        (d.panels ?? []).find(isRow)!.collapsed = true;
      },
    ],
    [
      'a panel inside a collapsed row without a description',
      'panel-title-description-rule',
      (d) => {
        const folded = (d.panels ?? []).filter(isRow).find((r) => r.collapsed)!;
        delete folded.panels![0]!.description;
      },
    ],
    [
      'a bucket outside histogram_quantile',
      'target-histogram-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr =
          'sum(rate(pmip_registration_round_trip_seconds_bucket{job=~"$job",instance=~"$instance"}[$__rate_interval]))';
      },
    ],
    [
      'an unparsable query',
      'target-promql-rule',
      (d) => {
        targetsOf(firstPanel(d))[0]!.expr = 'sum(rate(pmip_mn_moves_total{job=~"$job"[$__rate_interval])';
      },
    ],
    [
      'a fixed data source',
      'panel-datasource-rule',
      (d) => {
        firstPanel(d).datasource = { type: 'prometheus', uid: 'prod-prometheus' };
      },
    ],
    [
      'a missing description',
      'panel-title-description-rule',
      (d) => {
        delete firstPanel(d).description;
      },
    ],
    [
      'a missing unit',
      'panel-units-rule',
      (d) => {
        delete firstPanel(d).fieldConfig!.defaults.unit;
      },
    ],
    [
      'a panel without targets',
      'panel-no-targets-rule',
      (d) => {
        firstPanel(d).targets = [];
      },
    ],
    [
      'a duplicate panel id',
      'panel-id-unique',
      (d) => {
        panelsOf(d)[1]!.id = firstPanel(d).id!;
      },
    ],
    [
      'overlapping panels',
      'panel-overlap-rule',
      (d) => {
        panelsOf(d)[1]!.gridPos = { ...firstPanel(d).gridPos!, x: firstPanel(d).gridPos!.x + 1 };
      },
    ],
    [
      'a panel off the grid',
      'panel-grid-rule',
      (d) => {
        const row = (d.panels ?? []).find(isRow)!;
        row.gridPos = { x: 2, y: row.gridPos!.y, w: 24, h: 1 };
      },
    ],
    [
      'a job variable that is not multi-select',
      'template-job-rule',
      (d) => {
        d.templating.list!.find((v) => v.name === 'job')!.multi = false;
      },
    ],
    [
      'an instance variable without allValue .+',
      'template-instance-rule',
      (d) => {
        delete d.templating.list!.find((v) => v.name === 'instance')!.allValue;
      },
    ],
    [
      'a variable that never refreshes',
      'template-on-time-change-reload',
      (d) => {
        d.templating.list!.find((v) => v.name === 'instance')!.refresh = 1;
      },
    ],
    [
      'a variable query that is not label_values',
      'template-label-promql-rule',
      (d) => {
        d.templating.list!.find((v) => v.name === 'job')!.query = 'values(up, job)';
      },
    ],
    [
      'a missing datasource variable',
      'template-datasource-rule',
      (d) => {
        d.templating.list = d.templating.list!.filter((v) => v.type !== 'datasource');
      },
    ],
    [
      'an editable dashboard',
      'uneditable-dashboard',
      (d) => {
        d.editable = true;
      },
    ],
  ];

  for (const [what, rule, mutate, base] of cases) {
    it(`${rule}: ${what}`, () => {
      const d = copy(base ?? overview);
      mutate(d);
      expect(rulesOf(d)).toContain(rule);
    });
  }
});
