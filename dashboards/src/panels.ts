/**
 * Panel factories and the parts every PMIP dashboard shares: the templated data source, the
 * `datasource`, `job` and `instance` variables, query selectors, and rows of panels with ids
 * assigned in order. A panel is a title, a description, a unit and its queries; the factories
 * give every panel of a kind the same look.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { DashboardsConfig, Thresholds } from './config.ts';

/** Every panel and every query reads the data source the `datasource` variable names. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Range of every range-vector selector: Grafana's rate interval (scrape-interval aware). */
export const RATE_INTERVAL = '$__rate_interval';

export interface Query {
  expr: string;
  /** Legend format, e.g. `{{code}} {{reason}}`. */
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: readonly Query[];
  /** Grid columns (of 24). */
  width: number;
  height: number;
}

/** `metric{<config selectors>,<extra>}`: the selectors every query carries. */
export function selector(config: DashboardsConfig, metric: string, ...extra: string[]): string {
  return `${metric}{${[...config.selectors, ...extra].join(',')}}`;
}

/** `rate(metric{...}[$__rate_interval])` */
export function rate(config: DashboardsConfig, metric: string, ...extra: string[]): string {
  return `rate(${selector(config, metric, ...extra)}[${RATE_INTERVAL}])`;
}

/**
 * A gauge over the rate interval: `fn(metric{...}[$__rate_interval])`. Gauges are read through
 * an `*_over_time` function so a missed scrape leaves no gap: `last_over_time` for gauges that are
 * then summed (every series' value at the same scrape: a client that changed state within the
 * interval counts once), `max_over_time` / `min_over_time` only for the worst value of one series
 * (render time, reachability, a timestamp), never summed.
 */
export function overTime(
  fn: 'max_over_time' | 'min_over_time' | 'last_over_time',
  config: DashboardsConfig,
  metric: string,
  ...extra: string[]
): string {
  return `${fn}(${selector(config, metric, ...extra)}[${RATE_INTERVAL}])`;
}

function targets(queries: readonly Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) =>
    new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .expr(q.expr)
      .legendFormat(q.legend)
      .range()
      .refId(String.fromCharCode(65 + i)),
  );
}

/** Instant queries in table format: one row per series, a column per label. */
function tableTargets(queries: readonly Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) =>
    new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .expr(q.expr)
      .legendFormat(q.legend)
      .instant()
      .format(prometheus.PromQueryFormat.Table)
      .refId(String.fromCharCode(65 + i)),
  );
}

function thresholdSteps(t: Thresholds | undefined, higherIsWorse = true): dashboard.ThresholdsConfigBuilder {
  const steps: dashboard.Threshold[] =
    t === undefined
      ? [{ value: null, color: 'green' }]
      : higherIsWorse
        ? [
            { value: null, color: 'green' },
            { value: t.warning, color: 'orange' },
            { value: t.critical, color: 'red' },
          ]
        : [
            { value: null, color: 'red' },
            { value: t.critical, color: 'orange' },
            { value: t.warning, color: 'green' },
          ];
  // Equal levels: no amber band.
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.filter((s, i) => !(s.color === 'orange' && steps[i + 1]?.value === s.value)));
}

export interface TimeseriesSpec extends PanelSpec {
  stack?: boolean;
  min?: number;
  max?: number;
  /** Coloured threshold lines on the graph. */
  thresholds?: Thresholds;
  /** For ratios where low is bad (acceptance). */
  lowerIsWorse?: boolean;
}

export function timeseriesPanel(spec: TimeseriesSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .targets(targets(spec.queries))
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(spec.stack ? 40 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .placement(common.LegendPlacement.Bottom)
        .displayMode(common.LegendDisplayMode.List),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .thresholds(thresholdSteps(spec.thresholds, !spec.lowerIsWorse))
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        spec.thresholds ? common.GraphThresholdsStyleMode.Dashed : common.GraphThresholdsStyleMode.Off,
      ),
    );
  if (spec.stack) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  return panel;
}

export interface StatSpec extends PanelSpec {
  thresholds?: Thresholds;
  lowerIsWorse?: boolean;
  decimals?: number;
}

export function statPanel(spec: StatSpec): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .targets(targets(spec.queries))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(spec.thresholds ? common.BigValueColorMode.Value : common.BigValueColorMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholdSteps(spec.thresholds, !spec.lowerIsWorse));
  if (spec.decimals !== undefined) panel.decimals(spec.decimals);
  return panel;
}

export interface TableSpec extends PanelSpec {
  /** Label columns in order, with their headers (other columns, Time and Value included, are hidden). */
  columns: ReadonlyArray<[label: string, header: string]>;
  /** Header of the Value column, when it is shown (after the label columns). */
  value?: string;
}

/** A table of the series' labels (and optionally their value) at the end of the time range. */
export function tablePanel(spec: TableSpec): table.PanelBuilder {
  const order = [...spec.columns.map(([l]) => l), ...(spec.value ? ['Value'] : [])];
  return new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .targets(tableTargets(spec.queries))
    .showHeader(true)
    .cellHeight(common.TableCellHeight.Sm)
    .align(common.FieldTextAlignment.Auto)
    .inspect(false)
    .filterable(true)
    .sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.columns[0]![1])])
    .transformations([
      {
        id: 'organize',
        options: {
          excludeByName: Object.fromEntries(
            ['Time', ...(spec.value ? [] : ['Value']), 'job', 'instance', '__name__'].map((c) => [c, true]),
          ),
          indexByName: Object.fromEntries(order.map((c, i) => [c, i])),
          renameByName: Object.fromEntries([
            ...spec.columns,
            ...(spec.value ? [['Value', spec.value] as const] : []),
          ]),
        },
      },
    ])
    .thresholds(thresholdSteps(undefined));
}

export interface StateSpec extends PanelSpec {
  /** value -> [text, colour] */
  states: ReadonlyArray<[number, string, string]>;
}

export function stateTimelinePanel(spec: StateSpec): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.width)
    .height(spec.height)
    .targets(targets(spec.queries))
    .showValue(common.VisibilityMode.Never)
    .mergeValues(true)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: Object.fromEntries(
          spec.states.map(([value, text, color], index) => [String(value), { text, color, index }]),
        ),
      },
    ])
    .thresholds(thresholdSteps(undefined));
}

/**
 * The `datasource`, `site`, `job` and `instance` variables (the dashboard linter's template
 * rules). `site` is the label a fleet's per-site Prometheus adds (`external_labels`, see
 * docs/fleet.md); its All is `.*`, which also matches a series without the label, so the same
 * dashboards work on one plain Prometheus that has no `site` at all.
 */
export function standardVariables(config: DashboardsConfig): dashboard.VariableModel[] {
  const labelVariable = (name: string, label: string, query: string, description: string, allValue = '.+') =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .description(description)
      .datasource(DATASOURCE)
      .query(query)
      .definition(query)
      .multi(true)
      .includeAll(true)
      .allValue(allValue)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .build();
  const site = `${config.siteLabel}=~"$site"`;
  return [
    new dashboard.DatasourceVariableBuilder('datasource')
      .label('Data source')
      .description('The Prometheus that scrapes pmip-exporter.')
      .type(config.datasourceType)
      .build(),
    labelVariable(
      'site',
      'Site',
      `label_values(${config.infoMetric}, ${config.siteLabel})`,
      "Site(s) of a fleet: the label each site's Prometheus adds. Empty on a single Prometheus without it; All matches that too.",
      '.*',
    ),
    labelVariable(
      'job',
      'Job',
      `label_values(${config.infoMetric}{${site}}, job)`,
      'Scrape job(s) of pmip-exporter.',
    ),
    labelVariable(
      'instance',
      'Instance',
      `label_values(${config.infoMetric}{${site},job=~"$job"}, instance)`,
      'Exporter instance(s): one per site.',
    ),
  ];
}

/** A built variable as a builder, for DashboardBuilder.withVariable. */
export function asBuilder<T>(value: T): { build(): T } {
  return { build: () => value };
}

export interface PanelBuilderWithId {
  id(id: number): unknown;
  build(): dashboard.Panel;
}

export interface Row {
  title: string;
  panels: readonly PanelBuilderWithId[];
  /** Folded: its panels are inside the row and show when it is opened (the last row only). */
  collapsed?: boolean;
}

/** Common dashboard settings, the variables, then the rows; rows and panels get ids 1, 2, 3, ... */
export function buildDashboard(
  config: DashboardsConfig,
  meta: { uid: string; title: string; description: string; extraVariables?: dashboard.VariableModel[] },
  rows: readonly Row[],
): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder(meta.title)
    .uid(`${config.uidPrefix}-${meta.uid}`)
    .description(meta.description)
    .tags([...config.tags])
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh(config.refresh)
    .time({ from: config.timeFrom, to: 'now' })
    .timezone('browser');
  for (const variable of [...standardVariables(config), ...(meta.extraVariables ?? [])])
    builder.withVariable(asBuilder(variable));
  let id = 1;
  rows.forEach((row, index) => {
    const rowBuilder = new dashboard.RowBuilder(row.title).id(id++);
    if (row.collapsed) {
      // Grafana lays a folded row's panels out below it: only the last row may be folded.
      if (index !== rows.length - 1)
        throw new Error(`row "${row.title}": only the last row may be collapsed`);
      rowBuilder.collapsed(true);
      for (const panel of row.panels) {
        panel.id(id++);
        rowBuilder.withPanel(panel);
      }
      builder.withRow(rowBuilder);
      return;
    }
    builder.withRow(rowBuilder);
    for (const panel of row.panels) {
      panel.id(id++);
      builder.withPanel(panel);
    }
  });
  return builder;
}
