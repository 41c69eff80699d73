/**
 * The family table (src/exporters/families/table.ts) is the one description of every family:
 * whatever the page emits under `pmip_` is in it with the same HELP, TYPE and label names, every
 * entry is emitted by some page, and docs/metrics.md documents every entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { Mn, Seen } from '../../src/collector/counters.ts';
import type { CollectorSnapshot } from '../../src/collector/snapshot.ts';
import { renderSectionRuns, renderSections } from '../../src/exporters/families/index.ts';
import { ALL_FAMILIES } from '../../src/exporters/families/table.ts';
import type { FamilyDescription } from '../../src/exporters/families/table.ts';
import { registerInfluxMetrics } from '../../src/exporters/influx/metrics.ts';
import type { InfluxWriterStatus } from '../../src/exporters/influx/writer.ts';
import { createPrometheusExporter } from '../../src/exporters/prometheus.ts';
import { SCRIPT_START, scriptedSite } from '../support/event-script.ts';

const METRICS_DOC = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');

/** The committed alert rules and dashboards, as text. */
function rulesAndDashboards(): Array<[string, string]> {
  const read = (dir: string, ext: string) =>
    readdirSync(new URL(`../../${dir}/`, import.meta.url))
      .filter((f) => f.endsWith(ext) && !f.includes('schema'))
      .map((f): [string, string] => [
        `${dir}/${f}`,
        readFileSync(new URL(`../../${dir}/${f}`, import.meta.url), 'utf8'),
      ]);
  return [...read('alerts', '.yml'), ...read('dashboards', '.json')];
}

interface Emitted {
  help: string;
  type: string;
  /** Label names of each sample, `le` left out, as one comma-joined string per sample. */
  labelSets: Set<string>;
}

/** Parses an exposition into families (by HELP name); samples of a histogram go to its family. */
function parse(text: string): Map<string, Emitted> {
  const out = new Map<string, Emitted>();
  let current: Emitted | undefined;
  for (const line of text.split('\n')) {
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) {
      current = { help: m[2]!, type: '', labelSets: new Set() };
      out.set(m[1]!, current);
      continue;
    }
    m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) {
      current!.type = m[2]!;
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (m && current) {
      const names = [...(m[2] ?? '').matchAll(/([a-z_]+)="(?:[^"\\]|\\.)*"/g)]
        .map((x) => x[1]!)
        .filter((n) => n !== 'le');
      current.labelSets.add(names.join(','));
    }
  }
  return out;
}

/** A page with every optional family present: RADIUS, proxy mode, lenient decodes, InfluxDB. */
async function fullPage(): Promise<string> {
  const site = await scriptedSite();
  const c = new Collector({ ...site.collectorConfig, clock: () => SCRIPT_START + 60_000 });
  await site.run(c.ingest);
  const s = c.snapshot();
  const everything: CollectorSnapshot = {
    ...s,
    homeAgentAuthentication: [{ homeAgent: 'ha-north', mode: 'per-node' }],
    lenientDecodes: [{ nodeKind: 'home-agent', what: 'per-node-auth-short', count: 2 }],
    radius: new Collector({ accessPoints: ['ap-1'], radiusServers: ['aaa-1'] }).snapshot().radius!,
  };
  // The table's broadcast family is on the page only once an access point sent to a broadcast.
  const ap = s.accessPoints;
  const counters = ap.counters.slice();
  everything.accessPoints = { ...ap, counters };
  counters[ap.slots[0]! * ap.width + Mn.requestsToBroadcast] = 1;
  // The link advertisement families are on the page only once an agent advertised to the link (observed).
  for (const side of ['homeAgentsSeen', 'foreignAgentsSeen'] as const) {
    const g = s[side];
    const seen = g.counters.slice();
    seen[g.slots[0]! * g.width + Seen.linkAdvertisements] = 3;
    everything[side] = { ...g, counters: seen };
  }

  const exporter = createPrometheusExporter({ collector: c, defaultMetrics: false, version: 't' });
  const status: InfluxWriterStatus = {
    api: 'v2',
    target: 'http://127.0.0.1:1',
    intervalSeconds: 10,
    outcomes: false,
    pointsQueued: 3,
    pointsWritten: 2,
    pointsBuffered: 1,
    pointsDropped: { buffer_full: 0, rejected: 0, retries_exhausted: 0, shutdown: 0 },
    writeFailures: {
      unauthorized: 0,
      not_found: 0,
      bad_request: 0,
      throttled: 0,
      server_error: 0,
      timeout: 0,
      unreachable: 0,
      other: 0,
    },
    lastWriteDurationSeconds: 0.01,
    lastSuccessAt: SCRIPT_START,
    lastFailure: null,
  };
  const influx = new Registry();
  registerInfluxMetrics(influx, () => status);
  await exporter.render();
  const { text, runs } = renderSections(everything);
  return text + renderSectionRuns(runs) + (await exporter.registry.metrics()) + (await influx.metrics());
}

describe('the metric family table', () => {
  it('names each family once, with Prometheus naming rules', () => {
    const names = ALL_FAMILIES.map((d) => d.name);
    expect(names.length).toBeGreaterThan(80);
    expect(new Set(names).size).toBe(names.length);
    for (const d of ALL_FAMILIES) {
      expect(d.name).toMatch(/^pmip_[a-z0-9_]+$/);
      if (d.type === 'counter') expect(d.name).toMatch(/_total$/);
      else expect(d.name).not.toMatch(/_total$/);
      for (const l of d.labels) expect(l).toMatch(/^[a-z][a-z_]*$/);
      expect(d.help.length).toBeGreaterThan(10);
    }
  });

  it('describes every pmip_ family the page emits: same HELP, TYPE and label names', async () => {
    const emitted = parse(await fullPage());
    const table = new Map<string, FamilyDescription>(ALL_FAMILIES.map((d) => [d.name, d]));
    const ours = [...emitted.keys()].filter((n) => n.startsWith('pmip_'));
    expect(ours.length).toBeGreaterThan(80);
    for (const name of ours) {
      const d = table.get(name);
      expect(d, name).toBeDefined();
      const e = emitted.get(name)!;
      expect(e.help, name).toBe(d!.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'));
      expect(e.type, name).toBe(d!.type);
      expect(e.labelSets.size, `${name}: samples`).toBeGreaterThan(0);
      expect([...e.labelSets], name).toEqual([d!.labels.join(',')]);
    }
    // ...and every entry of the table is emitted by that page.
    expect(ALL_FAMILIES.map((d) => d.name).filter((n) => !emitted.has(n))).toEqual([]);
  });

  it('has every pmip_ series the alert rules and dashboards query', () => {
    const known = new Set(ALL_FAMILIES.map((d) => d.name));
    const histograms = ALL_FAMILIES.filter((d) => d.type === 'histogram').map((d) => d.name);
    for (const h of histograms) for (const s of ['_bucket', '_sum', '_count']) known.add(h + s);
    const unknown: string[] = [];
    let used = 0;
    for (const [file, text] of rulesAndDashboards()) {
      // Recording rules (level:metric:operation) and prefixes in regexes (pmip_ha_.*) are not series.
      for (const m of text.matchAll(/(?<![:\w])pmip_[a-z0-9_]*[a-z0-9](?![:\w])/g)) {
        used++;
        if (!known.has(m[0])) unknown.push(`${file}: ${m[0]}`);
      }
    }
    expect(used).toBeGreaterThan(100);
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('has every family documented in docs/metrics.md', () => {
    const missing = ALL_FAMILIES.map((d) => d.name).filter((n) => !METRICS_DOC.includes(n));
    expect(missing).toEqual([]);
  });
});
