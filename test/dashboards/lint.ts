/**
 * The rules of Grafana's dashboard-linter (github.com/grafana/dashboard-linter, lint/rules.go:
 * the Go tool is not installable here), in TypeScript, over the generated dashboard JSON; where
 * this project asks for more, the rule is stricter and says so. Plus the layout rules of the
 * issue: unique panel ids, no overlapping panels.
 *
 * A rule returns problems; a dashboard is clean when no rule returns one.
 */
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PromQLSyntaxError, parsePromQL, selectors, walk, type Node } from './promql.ts';

export interface Problem {
  rule: string;
  dashboard: string;
  panel?: string;
  target?: string;
  message: string;
}

/** Units the linter accepts (its list, from Grafana's value formats). */
const VALID_UNITS = new Set([
  'none', 'string', 'short', 'percent', 'percentunit', 'humidity', 'dB', 'hex0x', 'hex', 'sci', 'locale',
  'pixel', 'bytes', 'decbytes', 'bits', 'decbits', 'kbytes', 'deckbytes', 'mbytes', 'decmbytes', 'gbytes',
  'decgbytes', 'pps', 'binBps', 'Bps', 'binbps', 'bps', 'dateTimeAsIso', 'dateTimeFromNow', 'hertz', 'ns',
  'µs', 'ms', 's', 'm', 'h', 'd', 'dtdurationms', 'dtdurations', 'dthms', 'dtdhms', 'timeticks', 'clockms',
  'clocks', 'cps', 'ops', 'reqps', 'rps', 'wps', 'iops', 'cpm', 'opm', 'rpm', 'wpm', 'bool', 'bool_yes_no',
  'bool_on_off',
]); // prettier-ignore

const DATASOURCE_REFS = new Set(['$datasource', '${datasource}']);
const GRID_WIDTH = 24;

export function isRow(p: Panel | RowPanel): p is RowPanel {
  return p.type === 'row';
}

/** Every panel that is not a row, those inside a collapsed row included. */
export function panelsOf(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => (isRow(p) ? (p.panels ?? []) : [p]));
}

/** Rows and panels, those inside a collapsed row included: everything with a place on the grid. */
function everyPanel(d: Dashboard): Array<Panel | RowPanel> {
  return (d.panels ?? []).flatMap((p) => (isRow(p) ? [p, ...(p.panels ?? [])] : [p]));
}

export function targetsOf(p: Panel): Dataquery[] {
  return (p.targets ?? []) as unknown as Dataquery[];
}

function variable(d: Dashboard, name: string): VariableModel | undefined {
  return d.templating.list?.find((v) => v.name === name);
}

type Report = (rule: string, message: string, where?: { panel?: Panel; target?: Dataquery }) => void;

function templateRules(d: Dashboard, report: Report): void {
  const vars = d.templating.list ?? [];
  const datasources = vars.filter((v) => v.type === 'datasource');
  if (datasources.length !== 1) report('template-datasource-rule', 'needs exactly one datasource variable');
  for (const ds of datasources) {
    if (ds.name !== 'datasource') report('template-datasource-rule', `datasource variable named ${ds.name}`);
    if (ds.label !== 'Data source')
      report('template-datasource-rule', `datasource variable labelled ${ds.label}`);
    if (ds.query !== 'prometheus')
      report('template-datasource-rule', 'datasource variable is not for prometheus');
  }
  for (const [name, label, allValue] of [
    ['site', 'Site', '.*'],
    ['job', 'Job', '.+'],
    ['instance', 'Instance', '.+'],
  ] as const) {
    const rule = `template-${name}-rule`;
    const v = variable(d, name);
    if (!v) {
      report(rule, `is missing the ${name} template`);
      continue;
    }
    if (!DATASOURCE_REFS.has(v.datasource?.uid ?? ''))
      report(rule, `${name} template should use datasource $datasource, uses ${v.datasource?.uid}`);
    if (v.type !== 'query') report(rule, `${name} template should be a Prometheus query`);
    if (v.label !== label) report(rule, `${name} template should be labelled ${label}`);
    if (v.multi !== true) report(rule, `${name} template should be a multi select`);
    // site's All is `.*`: it also matches a series without the label (a single Prometheus).
    if (v.allValue !== allValue) report(rule, `${name} template allValue should be '${allValue}'`);
  }
  for (const v of vars.filter((x) => x.type === 'query')) {
    const problem = labelQueryProblem(v.query);
    if (problem) report('template-label-promql-rule', `template ${v.name}: ${problem}`);
    // Go linter: template-on-time-change-reload
    if (v.refresh !== 2)
      report('template-on-time-change-reload', `template ${v.name} should refresh on time change`);
  }
}

/** label_values(selector, label) | label_values(label) | label_names() | metrics(re) | query_result(expr) */
function labelQueryProblem(query: VariableModel['query']): string | undefined {
  if (typeof query !== 'string') return 'query is not a string';
  const m = /^([a-z_]+)\((.*)\)$/s.exec(query.trim());
  if (!m) return `invalid query ${query}`;
  const [, fn, args] = m as unknown as [string, string, string];
  try {
    switch (fn) {
      case 'label_values': {
        const comma = args.lastIndexOf(',');
        const label = (comma < 0 ? args : args.slice(comma + 1)).trim();
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) return `invalid label ${label}`;
        if (comma >= 0 && parsePromQL(args.slice(0, comma)).kind !== 'vector') return 'not a selector';
        return undefined;
      }
      case 'query_result':
        parsePromQL(args);
        return undefined;
      case 'label_names':
      case 'metrics':
        return undefined;
      default:
        return `invalid function ${fn}`;
    }
  } catch (e) {
    if (e instanceof PromQLSyntaxError) return e.message;
    throw e;
  }
}

function panelRules(d: Dashboard, report: Report): void {
  for (const p of everyPanel(d)) {
    if (isRow(p)) {
      if (!p.title) report('panel-title-description-rule', `row ${p.id} has no title`);
      continue;
    }
    const at = { panel: p };
    if (!DATASOURCE_REFS.has(p.datasource?.uid ?? ''))
      report('panel-datasource-rule', `does not use the templated datasource: ${p.datasource?.uid}`, at);
    if (!p.title?.trim()) report('panel-title-description-rule', 'has no title', at);
    if (!p.description?.trim()) report('panel-title-description-rule', 'has no description', at);
    // Stricter than the Go rule (which checks some panel types): every panel has a valid unit.
    const unit = p.fieldConfig?.defaults.unit;
    if (unit === undefined || !VALID_UNITS.has(unit))
      report('panel-units-rule', `no or invalid unit: ${unit}`, at);
    if (targetsOf(p).length === 0) report('panel-no-targets-rule', 'has no targets', at);
    const refIds = targetsOf(p).map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length)
      report('target-refid-unique', `refIds ${refIds.join(',')}`, at);
  }
}

/** Which matchers a target must carry: site, job and instance always, access_point on a dashboard with `ap`. */
function requiredMatchers(
  d: Dashboard,
): Array<{ rule: string; label: string; op: '=' | '=~'; value: string }> {
  const required: Array<{ rule: string; label: string; op: '=' | '=~'; value: string }> = [
    { rule: 'target-site-rule', label: 'site', op: '=~', value: '$site' },
    { rule: 'target-job-rule', label: 'job', op: '=~', value: '$job' },
    { rule: 'target-instance-rule', label: 'instance', op: '=~', value: '$instance' },
  ];
  if (variable(d, 'ap'))
    required.push({ rule: 'target-ap-rule', label: 'access_point', op: '=', value: '$ap' });
  return required;
}

function targetRules(d: Dashboard, report: Report): void {
  const required = requiredMatchers(d);
  for (const p of panelsOf(d)) {
    for (const t of targetsOf(p)) {
      const at = { panel: p, target: t };
      if (!DATASOURCE_REFS.has(t.datasource?.uid ?? ''))
        report('target-datasource-rule', `target datasource ${t.datasource?.uid}`, at);
      let expr: Node;
      try {
        expr = parsePromQL(t.expr);
      } catch (e) {
        if (!(e instanceof PromQLSyntaxError)) throw e;
        report('target-promql-rule', e.message, at);
        continue;
      }
      for (const sel of selectors(expr)) {
        for (const m of required) {
          if (!sel.matchers.some((x) => x.label === m.label && x.op === m.op && x.value === m.value))
            report(m.rule, `${sel.name ?? '{}'} lacks ${m.label}${m.op}"${m.value}"`, at);
        }
      }
      // Stricter than the Go rule (which checks rate and irate): every range is $__rate_interval,
      // and every query has one.
      let ranges = 0;
      walk(expr, (n, parents) => {
        if (n.kind === 'matrix') {
          ranges++;
          if (n.range !== '$__rate_interval') report('target-rate-interval-rule', `range [${n.range}]`, at);
        }
        if (n.kind !== 'vector' || n.name === undefined) return;
        const parent = parents[parents.length - 1];
        const grandparent = parents[parents.length - 2];
        if (n.name.endsWith('_total')) {
          const ok =
            parent?.kind === 'matrix' &&
            grandparent?.kind === 'call' &&
            ['rate', 'irate', 'increase'].includes(grandparent.func);
          if (!ok)
            report('target-counter-agg-rule', `counter ${n.name} is not in rate, irate or increase`, at);
        }
        if (
          n.name.endsWith('_bucket') &&
          !parents.some((x) => x.kind === 'call' && x.func === 'histogram_quantile')
        )
          report('target-histogram-rule', `${n.name} is not in histogram_quantile`, at);
      });
      // This project's rule: the worst value of each series over the interval is not a state of the
      // whole, so a max_over_time or min_over_time is never summed (a client that changed state
      // within the interval would count twice). Sums of gauges read last_over_time.
      walk(expr, (n, parents) => {
        if (n.kind !== 'call' || !['max_over_time', 'min_over_time'].includes(n.func)) return;
        const nearest = [...parents].reverse().find((x) => x.kind === 'aggregate');
        if (nearest?.kind === 'aggregate' && ['sum', 'count', 'avg'].includes(nearest.op))
          report('target-gauge-sum-rule', `${nearest.op} over ${n.func}: sums worst values`, at);
      });
      // This project's rule: an aggregation keeps `site` (by (site, ...), or a without () that
      // does not drop it), so a fleet view has one series per site and never adds sites up.
      // topk/bottomk/quantile-like selections keep every label of what they pick.
      walk(expr, (n) => {
        if (n.kind !== 'aggregate' || ['topk', 'bottomk'].includes(n.op)) return;
        const keeps = n.without ? !n.grouping.includes('site') : n.grouping.includes('site');
        if (!keeps) report('target-aggregation-site-rule', `${n.op} drops the site label`, at);
      });
      if (ranges === 0) report('target-rate-interval-rule', 'query does not use $__rate_interval', at);
    }
  }
}

function layoutRules(d: Dashboard, report: Report): void {
  const all = everyPanel(d);
  const ids = all.map((p) => p.id);
  for (const id of new Set(ids))
    if (id === undefined || ids.filter((x) => x === id).length > 1)
      report('panel-id-unique', `panel id ${id}`);
  const boxes = all.map((p) => ({ p, g: p.gridPos }));
  for (const { p, g } of boxes) {
    if (!g) {
      report('panel-grid-rule', `${p.title} has no position`);
      continue;
    }
    if (g.x < 0 || g.y < 0 || g.w <= 0 || g.h <= 0 || g.x + g.w > GRID_WIDTH)
      report('panel-grid-rule', `${p.title} is off the grid: ${JSON.stringify(g)}`);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!.g;
      const b = boxes[j]!.g;
      if (!a || !b) continue;
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      if (overlap) report('panel-overlap-rule', `"${boxes[i]!.p.title}" overlaps "${boxes[j]!.p.title}"`);
    }
  }
}

export function lintDashboard(d: Dashboard): Problem[] {
  const problems: Problem[] = [];
  const report: Report = (rule, message, where) => {
    const problem: Problem = { rule, dashboard: d.title ?? '(untitled)', message };
    if (where?.panel) problem.panel = where.panel.title ?? `#${where.panel.id}`;
    if (where?.target) problem.target = where.target.refId ?? '?';
    problems.push(problem);
  };
  // Go linter: uneditable-dashboard (generated dashboards are changed in their generator).
  if (d.editable !== false) report('uneditable-dashboard', 'dashboard is editable');
  // Grafana lays a collapsed row's panels out below it, over whatever follows: last row only.
  const rows = (d.panels ?? []).filter(isRow);
  rows.forEach((row, i) => {
    if (row.collapsed && i !== rows.length - 1)
      report('panel-collapsed-row-rule', `collapsed row "${row.title}" is not the last row`);
    if (!row.collapsed && (row.panels ?? []).length > 0)
      report('panel-collapsed-row-rule', `open row "${row.title}" holds panels of its own`);
  });
  templateRules(d, report);
  panelRules(d, report);
  targetRules(d, report);
  layoutRules(d, report);
  return problems;
}

/** Every PromQL expression of a dashboard: targets and query-variable selectors, with where they are. */
export function expressionsOf(d: Dashboard): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  for (const p of panelsOf(d))
    for (const t of targetsOf(p)) out.push({ where: `${d.title} / ${p.title} / ${t.refId}`, expr: t.expr });
  return out;
}
