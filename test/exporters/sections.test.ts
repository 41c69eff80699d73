/** Each metric section's render time and success as self-metrics (node_exporter's per-collector pair). */
import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { METRIC_SECTIONS, renderSectionRuns, renderSections } from '../../src/exporters/families/index.ts';
import type { MetricSection } from '../../src/exporters/families/index.ts';
import { createPrometheusExporter } from '../../src/exporters/prometheus.ts';
import { SCRIPT_START, SITE, scriptedSite } from '../support/event-script.ts';

async function scriptedCollector(): Promise<Collector> {
  const site = await scriptedSite();
  const c = new Collector({ ...site.collectorConfig, clock: () => SCRIPT_START + 60_000 });
  await site.run(c.ingest);
  return c;
}

/** A section that writes a family and then throws: none of what it wrote may reach the page. */
const broken: MetricSection = {
  name: 'broken',
  render: (w) => {
    w.family('pmip_half_written_total', 'counter', 'Written before the section threw.');
    w.sample('pmip_half_written_total', '', 7);
    throw new Error('boom');
  },
};

function sectionSamples(text: string, family: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${family}\\{section="([a-z_]+)"\\} (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('section self-metrics', () => {
  it('times each section with the injected clock, in section order', async () => {
    const c = await scriptedCollector();
    // Each section reads the clock twice: start, end. Durations 1 us, 2 us, ... 9 us.
    let t = 0n;
    let k = 0;
    const clock = () => {
      const now = t;
      if (k % 2 === 0) t += BigInt(1000 * (k / 2 + 1));
      k++;
      return now;
    };
    const { runs, failed } = renderSections(c.snapshot(), METRIC_SECTIONS, clock);
    expect(failed).toEqual([]);
    expect(runs.map((r) => r.section)).toEqual(METRIC_SECTIONS.map((s) => s.name));
    expect(runs.map((r) => r.seconds)).toEqual(METRIC_SECTIONS.map((_, i) => ((i + 1) * 1000) / 1e9));
    expect(runs.every((r) => r.ok)).toBe(true);
    expect(renderSectionRuns(runs.slice(0, 2))).toBe(
      [
        '# HELP pmip_exporter_section_duration_seconds Time each metric section took to render in this scrape, seconds (node_exporter: node_scrape_collector_duration_seconds).',
        '# TYPE pmip_exporter_section_duration_seconds gauge',
        'pmip_exporter_section_duration_seconds{section="mobile_node"} 0.000001',
        'pmip_exporter_section_duration_seconds{section="home_agents_seen"} 0.000002',
        '# HELP pmip_exporter_section_success 1 when the metric section rendered in this scrape, 0 when it failed and its families were left out (node_exporter: node_scrape_collector_success).',
        '# TYPE pmip_exporter_section_success gauge',
        'pmip_exporter_section_success{section="mobile_node"} 1',
        'pmip_exporter_section_success{section="home_agents_seen"} 1',
        '',
      ].join('\n'),
    );
  });

  it('measures real time: a section that busy-waits 20 ms shows at least 0.02 s', async () => {
    const slow: MetricSection = {
      name: 'slow',
      render: () => {
        const until = performance.now() + 20;
        while (performance.now() < until);
      },
    };
    const { runs } = renderSections(new Collector({ ...SITE }).snapshot(), [slow]);
    expect(runs[0]!.seconds).toBeGreaterThanOrEqual(0.02);
    expect(runs[0]!.seconds).toBeLessThan(5);
  });

  it('a section that throws renders nothing of its own, counts as failed, and the rest is served', async () => {
    const c = await scriptedCollector();
    const sections = [...METRIC_SECTIONS.slice(0, 3), broken, ...METRIC_SECTIONS.slice(3)];
    const exporter = createPrometheusExporter({ collector: c, sections, defaultMetrics: false });
    const text = await exporter.render();
    expect(text).not.toContain('pmip_half_written_total');
    expect(text).toContain('pmip_mn_registrations_accepted_total{access_point="ap-lab"} 3\n');
    expect(text).toContain('pmip_exporter_events_ingested_total 75\n');
    const success = sectionSamples(text, 'pmip_exporter_section_success');
    expect(success).toEqual({
      ...Object.fromEntries(METRIC_SECTIONS.map((s) => [s.name, 1])),
      broken: 0,
    });
    const durations = sectionSamples(text, 'pmip_exporter_section_duration_seconds');
    expect(Object.keys(durations).sort()).toEqual(sections.map((s) => s.name).sort());
    for (const v of Object.values(durations)) expect(v).toBeGreaterThanOrEqual(0);
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="broken"} 1\n');
  });

  it('a failed subnet map view fails the subnet_map section only', async () => {
    const c = new Collector({
      ...SITE,
      views: {
        subnetMap: () => {
          throw new Error('table gone');
        },
      },
    });
    const text = await createPrometheusExporter({ collector: c, defaultMetrics: false }).render();
    const success = sectionSamples(text, 'pmip_exporter_section_success');
    expect(success.subnet_map).toBe(0);
    expect(Object.entries(success).filter(([, v]) => v === 0)).toEqual([['subnet_map', 0]]);
    expect(text).not.toContain('# TYPE pmip_subnet_map_rows');
  });

  it('with no snapshot every section says it failed, and the registry part is still served', async () => {
    const collector = {
      snapshot: () => {
        throw new Error('no snapshot');
      },
    } as unknown as Collector;
    const text = await createPrometheusExporter({ collector, defaultMetrics: false }).render();
    expect(sectionSamples(text, 'pmip_exporter_section_success')).toEqual(
      Object.fromEntries(METRIC_SECTIONS.map((s) => [s.name, 0])),
    );
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="snapshot"} 1\n');
    expect(text).not.toContain('pmip_mn_');
  });
});
