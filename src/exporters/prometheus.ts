/**
 * The Prometheus view: the collector's families rendered by our own serializer (see
 * serializer.ts and families/), followed by a prom-client registry holding the default process
 * metrics and the exporter's self-metrics. A failing section or collect() is counted in
 * pmip_exporter_collect_failures_total and left out; the rest of the page is still served. Each
 * section's time and success of this scrape follow the sections (pmip_exporter_section_*), and
 * `onFailure` hears what it threw (the server logs it: see http-server.ts).
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Collector } from '../collector/collector.ts';
import { EVENTS_VERSION } from '../collector/vocabulary.ts';
import { METRIC_SECTIONS, renderSectionRuns, renderSections } from './families/index.ts';
import type { MetricSection, SectionRun } from './families/index.ts';
import { EXPORTER, promOptions } from './families/table.ts';

const MISNAMED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface PrometheusExporterOptions {
  collector: Collector;
  /** process_* and nodejs_* metrics from prom-client. Default true. */
  defaultMetrics?: boolean;
  /** Defaults to the package.json version. */
  version?: string;
  /** The sections to render; tests replace them to prove a failure is isolated. */
  sections?: readonly MetricSection[];
  /** Told of every failure counted in pmip_exporter_collect_failures_total, with what was thrown. */
  onFailure?: (collector: string, err: unknown) => void;
}

export interface PrometheusExporter {
  readonly registry: Registry;
  readonly contentType: string;
  /** The whole exposition text. Never rejects. */
  render(): Promise<string>;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createPrometheusExporter(options: PrometheusExporterOptions): PrometheusExporter {
  const { collector } = options;
  const sections = options.sections ?? METRIC_SECTIONS;
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters: `promtool check metrics` rejects them. nodejs_active_handles and
    // nodejs_active_requests (by type) remain.
    for (const name of MISNAMED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }

  const failures = new Counter({
    ...promOptions<'collector'>(EXPORTER.collectFailures),
    registers: [registry],
  });
  for (const s of sections) failures.inc({ collector: s.name }, 0);
  failures.inc({ collector: 'snapshot' }, 0);
  failures.inc({ collector: 'registry' }, 0);

  const renderDuration = new Gauge({ ...promOptions(EXPORTER.renderDuration), registers: [registry] });
  new Gauge({
    ...promOptions<'version' | 'events_version' | 'nodejs_version'>(EXPORTER.buildInfo),
    registers: [registry],
  }).set(
    {
      version: options.version ?? packageVersion(),
      events_version: String(EVENTS_VERSION),
      nodejs_version: process.version,
    },
    1,
  );

  async function render(): Promise<string> {
    const start = process.hrtime.bigint();
    let own: string;
    try {
      const result = renderSections(collector.snapshot(), sections);
      own = result.text + renderSectionRuns(result.runs);
      result.failed.forEach((name, i) => {
        failures.inc({ collector: name });
        options.onFailure?.(name, result.errors[i]);
      });
    } catch (err) {
      failures.inc({ collector: 'snapshot' });
      options.onFailure?.('snapshot', err);
      // No snapshot, so no section rendered: each one says so.
      const runs: SectionRun[] = sections.map((s) => ({ section: s.name, seconds: 0, ok: false }));
      own = renderSectionRuns(runs);
    }
    let rest: string;
    try {
      rest = await registry.metrics();
    } catch (err) {
      failures.inc({ collector: 'registry' });
      options.onFailure?.('registry', err);
      rest = await registry.getSingleMetricAsString(EXPORTER.collectFailures.name).catch(() => '');
      rest += '\n';
    }
    renderDuration.set(Number(process.hrtime.bigint() - start) / 1e9);
    return own + rest;
  }

  return { registry, contentType: registry.contentType, render };
}
