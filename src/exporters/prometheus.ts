/**
 * The Prometheus view: the collector's families rendered by our own serializer (see
 * serializer.ts and families/), followed by a prom-client registry holding the default process
 * metrics and the exporter's self-metrics. A failing section or collect() is counted in
 * pmip_exporter_collect_failures_total and left out; the rest of the page is still served.
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Collector } from '../collector/collector.ts';
import { EVENTS_VERSION } from '../collector/vocabulary.ts';
import { METRIC_SECTIONS, renderSections } from './families/index.ts';
import type { MetricSection } from './families/index.ts';

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
    name: 'pmip_exporter_collect_failures_total',
    help: 'Metric sections whose collection failed and were left out of a scrape, by section.',
    labelNames: ['collector'] as const,
    registers: [registry],
  });
  for (const s of sections) failures.inc({ collector: s.name }, 0);
  failures.inc({ collector: 'snapshot' }, 0);
  failures.inc({ collector: 'registry' }, 0);

  const renderDuration = new Gauge({
    name: 'pmip_exporter_render_duration_seconds',
    help: 'Time the previous /metrics render took, seconds.',
    registers: [registry],
  });
  new Gauge({
    name: 'pmip_build_info',
    help: 'Build information: version, PmipEvent contract version and Node.js version; always 1.',
    labelNames: ['version', 'events_version', 'nodejs_version'] as const,
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
    let own = '';
    try {
      const result = renderSections(collector.snapshot(), collector, sections);
      own = result.text;
      for (const name of result.failed) failures.inc({ collector: name });
    } catch {
      failures.inc({ collector: 'snapshot' });
    }
    let rest: string;
    try {
      rest = await registry.metrics();
    } catch {
      failures.inc({ collector: 'registry' });
      rest = await registry.getSingleMetricAsString('pmip_exporter_collect_failures_total').catch(() => '');
      rest += '\n';
    }
    renderDuration.set(Number(process.hrtime.bigint() - start) / 1e9);
    return own + rest;
  }

  return { registry, contentType: registry.contentType, render };
}
