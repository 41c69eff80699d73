import { snake } from '../../src/exporters/families/common.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { METRIC_SECTIONS, renderSections } from '../../src/exporters/families/index.ts';
import { createPrometheusExporter } from '../../src/exporters/prometheus.ts';
import { SECURITY_VIOLATION_REASONS } from '../../src/pmip/events.ts';
import { replyCode } from '../../src/pmip/reply-codes.ts';
import { SCRIPT_START, SITE, scriptedSite } from '../support/event-script.ts';

const GOLDEN = new URL('../fixtures/metrics.golden.txt', import.meta.url);
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

function promtoolCheck(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : ` (exit ${r.status})`);
}

async function scriptedCollector(): Promise<Collector> {
  const site = await scriptedSite();
  const c = new Collector({ ...site.collectorConfig, clock: () => SCRIPT_START + 60_000 });
  await site.run(c.ingest);
  return c;
}

describe('Prometheus exposition', () => {
  it('renders the scripted site exactly as the golden file (UPDATE=1 rewrites it)', async () => {
    const c = await scriptedCollector();
    const { text, failed } = renderSections(c.snapshot());
    expect(failed).toEqual([]);
    if (process.env.UPDATE === '1') writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics: the golden file and a full live page', async () => {
    expect(promtoolCheck(readFileSync(GOLDEN, 'utf8'))).toBe('');
    const exporter = createPrometheusExporter({ collector: await scriptedCollector() });
    await exporter.render();
    expect(promtoolCheck(await exporter.render())).toBe('');
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool/);
  });

  it('has every denial and violation series an alert uses at 0 from start-up', async () => {
    const c = new Collector({ ...SITE });
    const text = await createPrometheusExporter({ collector: c, defaultMetrics: false }).render();
    for (let code = 128; code <= 139; code++) {
      const { reason } = replyCode(code);
      expect(text).toContain(
        `pmip_registration_denials_total{code="${code}",reason="${reason}",issuer="home_agent"} 0\n`,
      );
      expect(text).toContain(
        `pmip_ha_registration_denials_total{home_agent="ha-north",code="${code}",reason="${reason}"} 0\n`,
      );
      expect(text).toContain(
        `pmip_home_agent_registration_denials_total{home_agent="ha-north",code="${code}",reason="${reason}"} 0\n`,
      );
    }
    for (let code = 64; code <= 82; code++) {
      const { reason } = replyCode(code);
      expect(text).toContain(
        `pmip_registration_denials_total{code="${code}",reason="${reason}",issuer="foreign_agent"} 0\n`,
      );
      expect(text).toContain(
        `pmip_foreign_agent_registration_denials_total{foreign_agent="fa-east",code="${code}",reason="${reason}"} 0\n`,
      );
    }
    for (const reason of SECURITY_VIOLATION_REASONS) {
      expect(text).toContain(
        `pmip_security_violations_total{node_kind="access_point",reason="${snake(reason)}"} 0\n`,
      );
    }
    for (const ap of SITE.accessPoints) {
      for (const outcome of ['timeout', 'unauthenticated'])
        expect(text).toContain(
          `pmip_mn_registration_failures_total{access_point="${ap}",outcome="${outcome}"} 0\n`,
        );
    }
    for (const ha of ['ha-north', 'ha-south'])
      for (const outcome of ['denied', 'timeout', 'unauthenticated', 'discarded'])
        expect(text).toContain(
          `pmip_home_agent_registration_failures_total{home_agent="${ha}",outcome="${outcome}"} 0\n`,
        );
    for (const aap of SITE.aaps) expect(text).toContain(`pmip_aap_reachable{aap="${aap}"} 0\n`);
  });

  it('names the MIB object in the HELP text of every mobile-node, agent and security family', () => {
    const text = readFileSync(GOLDEN, 'utf8');
    const helps = text
      .split('\n')
      .filter((l) => /^# HELP pmip_(mn|ha|fa|security|registration_denials)_/.test(l));
    expect(helps.length).toBeGreaterThan(20);
    // "MIB: object" for RFC 2006 objects, "vendor MIB" for the vendor split of section 7.
    for (const h of helps) expect(h).toMatch(/MIB: [a-z]|vendor MIB/);
  });

  it('serves the rest of the page and counts the failure when one section throws', async () => {
    const c = await scriptedCollector();
    const broken = [
      ...METRIC_SECTIONS,
      {
        name: 'broken',
        render: () => {
          throw new Error('boom');
        },
      },
    ];
    const exporter = createPrometheusExporter({ collector: c, sections: broken, defaultMetrics: false });
    await exporter.render();
    const text = await exporter.render();
    expect(text).toContain('pmip_mn_registrations_accepted_total{access_point="ap-lab"} 3\n');
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="broken"} 2\n');
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="mobile_node"} 0\n');
  });

  it('serves the rest of the page when an injected view fails, and when a prom-client collect() fails', async () => {
    const c = new Collector({
      ...SITE,
      views: {
        subnetMap: () => {
          throw new Error('table gone');
        },
      },
    });
    const exporter = createPrometheusExporter({ collector: c, defaultMetrics: false });
    exporter.registry.registerMetric(
      new (await import('prom-client')).Gauge({
        name: 'pmip_test_broken',
        help: 'A gauge whose collect throws.',
        registers: [],
        collect() {
          throw new Error('collect failed');
        },
      }),
    );
    await exporter.render();
    const text = await exporter.render();
    expect(text).not.toContain('pmip_subnet_map_rows ');
    expect(text).toContain('pmip_mobile_clients{access_point="ap-lobby",state="registered"} 0\n');
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="subnet_map"} 2\n');
    expect(text).toContain('pmip_exporter_collect_failures_total{collector="registry"} 2\n');
  });

  it('exposes build info and the last render duration', async () => {
    const exporter = createPrometheusExporter({ collector: new Collector({ ...SITE }), version: '9.9.9' });
    await exporter.render();
    const text = await exporter.render();
    expect(text).toMatch(
      /^pmip_build_info\{version="9\.9\.9",events_version="2",nodejs_version="v\d+[^"]*"\} 1$/m,
    );
    expect(text).toMatch(/^pmip_exporter_render_duration_seconds [0-9.e-]+$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });
});
