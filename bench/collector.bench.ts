/**
 * Collector and Prometheus exporter benchmarks.
 *
 * - Ingest: events per second into the collector, and the ratio to the naive design (one
 *   prom-client labelled `inc` per event) over the same events in the same run.
 * - Render: the whole /metrics page for a site of 500 access points, 50 home agents and 50,000
 *   clients: p50 render time, body size, and the ratio to a plain prom-client registry holding
 *   the same series.
 * - Memory per tracked client at 100,000 clients.
 *
 * Standalone: `node --import tsx bench/collector.bench.ts` prints the figures as JSON lines.
 * Measured with bench/lib.ts: ingest and the naive design in interleaved paired rounds
 * (`compare`), renders of ours and of the plain registry alternating round by round.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Collector } from '../src/collector/collector.ts';
import { createPrometheusExporter } from '../src/exporters/prometheus.ts';
import type { PmipEvent } from '../src/pmip/events.ts';
import { compare, consume, isMain, median, printFigure } from './lib.ts';

export interface CollectorBenchResult {
  ingestEventsPerSecond: number;
  naiveEventsPerSecond: number;
  /** The same site with all 50 home agents and 10 foreign agents hosted in this process. */
  labBodyBytes: number;
  labSeries: number;
  ingestRatio: number;
  renderP50Ms: number;
  baselineRenderP50Ms: number;
  renderRatio: number;
  bodyBytes: number;
  series: number;
  bytesPerClient: number;
}

const AP_COUNT = 500;
const HA_COUNT = 50;
const FA_COUNT = 10;

const apIds = Array.from({ length: AP_COUNT }, (_, i) => `ap-${String(i + 1).padStart(3, '0')}`);
const haIds = Array.from({ length: HA_COUNT }, (_, i) => ({
  id: `ha-${String(i + 1).padStart(2, '0')}`,
  address: `10.255.${i}.1`,
}));
const faIds = Array.from({ length: FA_COUNT }, (_, i) => ({
  id: `fa-${String(i + 1).padStart(2, '0')}`,
  address: `10.254.${i}.1`,
}));

function mac(i: number): string {
  const h = i.toString(16).padStart(8, '0');
  return `02:00:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}`;
}

function client(i: number): { mac: string; address: string } {
  return { mac: mac(i), address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
}

/**
 * A real site: the access points are ours, the agents are routers this process does not host
 * (`hosted: false`: no agent-side pmip_ha_ or pmip_fa_ families). `hosted` = the lab layout.
 */
export function siteCollector(
  clients: number,
  clock = () => Date.UTC(2026, 0, 1),
  hosted = false,
): Collector {
  return new Collector({
    accessPoints: apIds,
    homeAgents: haIds.map((h) => ({ ...h, hosted })),
    foreignAgents: faIds.map((f) => ({ ...f, hosted })),
    aaps: apIds.slice(0, 2),
    maxClients: Math.max(clients, 1),
    clock,
  });
}

export function clientState(i: number, time: number): PmipEvent {
  const ha = haIds[i % HA_COUNT]!;
  return {
    type: 'client-state',
    time,
    node: apIds[i % AP_COUNT]!,
    nodeKind: 'access-point',
    client: client(i),
    ssid: 'corp',
    state: 'registered',
    homeAgent: ha.address,
    careOfAddress: `10.253.${(i % AP_COUNT) >> 8}.${i % 256}`,
    expiresAt: time + 600_000,
    lastCode: 0,
  };
}

/** The registration traffic of a busy site: requests, replies and their outcomes, a few denials and timeouts. */
export function trafficEvents(count: number, clients: number): PmipEvent[] {
  const out: PmipEvent[] = [];
  const t = Date.UTC(2026, 0, 1);
  const kinds = ['initial', 'renewal', 'renewal', 'deregistration'] as const;
  for (let i = 0; i < count; i++) {
    const c = client((i * 7919) % clients);
    const node = apIds[i % AP_COUNT]!;
    const homeAgent = haIds[i % HA_COUNT]!.address;
    const kind = kinds[i & 3]!;
    if (i % 2 === 0) {
      out.push({
        type: 'registration-sent',
        time: t,
        node,
        nodeKind: 'access-point',
        client: c,
        kind,
        retransmission: i % 50 === 0,
        homeAgent,
        ...(kind === 'deregistration' ? {} : { foreignAgent: faIds[i % FA_COUNT]!.address }),
        careOfAddress: '10.253.0.1',
        lifetime: 600,
        toBroadcast: false,
      });
    } else if (i % 101 === 3) {
      out.push({
        type: 'registration-outcome',
        time: t,
        node,
        nodeKind: 'access-point',
        client: c,
        kind,
        outcome: 'timeout',
        homeAgent,
        ...(kind === 'deregistration' ? {} : { foreignAgent: faIds[i % FA_COUNT]!.address }),
        transmissions: 4,
      });
    } else {
      const code = i % 97 === 1 ? 133 : i % 89 === 1 ? 69 : 0;
      out.push({
        type: 'reply-received',
        time: t,
        node,
        nodeKind: 'access-point',
        client: c,
        kind,
        homeAgent,
        code,
        reason: '',
        accepted: code === 0,
        issuer: code === 69 ? 'foreign-agent' : 'home-agent',
        lifetime: 600,
        roundTripSeconds: (i % 100) / 1000,
        ...(kind === 'deregistration' ? {} : { foreignAgent: faIds[i % FA_COUNT]!.address }),
      });
      out.push({
        type: 'registration-outcome',
        time: t,
        node,
        nodeKind: 'access-point',
        client: c,
        kind,
        outcome: code === 0 ? 'accepted' : 'denied',
        homeAgent,
        ...(kind === 'deregistration' ? {} : { foreignAgent: faIds[i % FA_COUNT]!.address }),
        code,
        reason: '',
        issuer: code === 69 ? 'foreign-agent' : 'home-agent',
        transmissions: 1,
        roundTripSeconds: (i % 100) / 1000,
      });
    }
  }
  return out;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `rounds`: timed rounds of 200 ms per side (bench/lib.ts compare). */
export function benchIngest(
  eventCount = 1_000_000,
  rounds = 15,
): Pick<CollectorBenchResult, 'ingestEventsPerSecond' | 'naiveEventsPerSecond' | 'ingestRatio'> {
  const clients = 50_000;
  const events = trafficEvents(eventCount, clients);
  const collector = siteCollector(clients);
  for (let i = 0; i < clients; i++) collector.ingest(clientState(i, Date.UTC(2026, 0, 1)));

  // The naive design: one prom-client labelled inc per event, straight from the event.
  const registry = new Registry();
  const sent = new Counter({
    name: 'naive_sent_total',
    help: 'x',
    labelNames: ['access_point', 'kind'],
    registers: [registry],
  });
  const replies = new Counter({
    name: 'naive_replies_total',
    help: 'x',
    labelNames: ['access_point', 'code'],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'naive_outcomes_total',
    help: 'x',
    labelNames: ['access_point', 'outcome'],
    registers: [registry],
  });
  const perHomeAgent = new Counter({
    name: 'naive_home_agent_outcomes_total',
    help: 'x',
    labelNames: ['home_agent', 'outcome'],
    registers: [registry],
  });
  const naive = (e: PmipEvent): void => {
    if (e.type === 'registration-sent') sent.inc({ access_point: e.node, kind: e.kind });
    else if (e.type === 'reply-received') replies.inc({ access_point: e.node, code: e.code });
    else if (e.type === 'registration-outcome') {
      outcomes.inc({ access_point: e.node, outcome: e.outcome });
      perHomeAgent.inc({ home_agent: e.homeAgent ?? 'none', outcome: e.outcome });
    }
  };

  // One operation = the next CHUNK events, in a plain loop (as the engine's sink sees them).
  const CHUNK = 1000;
  const chunks = Math.floor(events.length / CHUNK);
  let ourChunk = 0;
  let naiveChunk = 0;
  const r = compare(
    {
      name: 'collector ingest',
      fn: () => {
        const from = (ourChunk++ % chunks) * CHUNK;
        for (let k = from; k < from + CHUNK; k++) collector.ingest(events[k]!);
      },
    },
    {
      name: 'naive prom-client inc',
      fn: () => {
        const from = (naiveChunk++ % chunks) * CHUNK;
        for (let k = from; k < from + CHUNK; k++) naive(events[k]!);
      },
    },
    { rounds, roundMs: 200, batch: 1 },
  );
  consume(collector.snapshot().self.eventsIngested);
  return {
    ingestEventsPerSecond: r.subject.opsPerSecond * CHUNK,
    naiveEventsPerSecond: r.baseline.opsPerSecond * CHUNK,
    ingestRatio: r.ratio,
  };
}

/** A prom-client registry with the same series as an exposition text (default metrics included). */
function plainRegistryLike(text: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples = new Map<string, Array<[Record<string, string>, number]>>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      samples.set(name!, []);
    } else if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      helps.set(rest.slice(0, rest.indexOf(' ')), rest.slice(rest.indexOf(' ') + 1));
    } else if (line !== '' && !line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) continue;
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
      const family = [...samples.keys()].reverse().find((f) => m[1]!.startsWith(f))!;
      samples.get(family)!.push([labels, Number(m[3])]);
    }
  }
  for (const [name, type] of types) {
    if (registry.getSingleMetric(name)) continue; // the default metrics are there already
    const rows = samples.get(name)!;
    const help = helps.get(name) ?? name;
    if (type === 'histogram') {
      const buckets = [
        ...new Set(
          rows
            .map(([l]) => l.le)
            .filter((le): le is string => le !== undefined && le !== '+Inf')
            .map(Number),
        ),
      ];
      const labelNames = [...new Set(rows.flatMap(([l]) => Object.keys(l)).filter((k) => k !== 'le'))];
      const h = new Histogram({ name, help, buckets, labelNames, registers: [registry] });
      const sets = new Map<string, Record<string, string>>();
      for (const [l] of rows) {
        const { le: _le, ...rest } = l;
        sets.set(JSON.stringify(rest), rest);
      }
      for (const labels of sets.values()) h.observe(labels, 0.01);
      continue;
    }
    const labelNames = [...new Set(rows.flatMap(([l]) => Object.keys(l)))];
    if (type === 'counter') {
      const c = new Counter({ name, help, labelNames, registers: [registry] });
      for (const [labels, v] of rows) c.inc(labels, v);
    } else {
      const g = new Gauge({ name, help, labelNames, registers: [registry] });
      for (const [labels, v] of rows) g.set(labels, v);
    }
  }
  return registry;
}

export async function benchRender(
  rounds = 60,
  hosted = false,
): Promise<
  Pick<CollectorBenchResult, 'renderP50Ms' | 'baselineRenderP50Ms' | 'renderRatio' | 'bodyBytes' | 'series'>
> {
  const clients = 50_000;
  const collector = siteCollector(clients, undefined, hosted);
  const t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < clients; i++) collector.ingest(clientState(i, t));
  for (const e of trafficEvents(1_000_000, clients)) collector.ingest(e);
  for (let i = 0; i < HA_COUNT; i++) {
    collector.ingest({
      type: 'time-sync',
      time: t,
      node: apIds[i]!,
      nodeKind: 'access-point',
      homeAgent: haIds[i]!.address,
      mode: 'timestamp',
      offsetSeconds: i / 10,
    });
  }
  const exporter = createPrometheusExporter({ collector });
  let body = await exporter.render();
  if (process.env.BENCH_DUMP) (await import('node:fs')).writeFileSync(process.env.BENCH_DUMP, body);
  const baseline = plainRegistryLike(body);
  let baselineBody = '';
  const ours: number[] = [];
  const theirs: number[] = [];
  const time = async (render: () => Promise<string>, into: number[]): Promise<string> => {
    const start = process.hrtime.bigint();
    const text = await render();
    into.push(ms(start));
    return text;
  };
  for (let r = 0; r < rounds; r++) {
    // Alternating order (ABBA), as bench/lib.ts does: neither side always runs first.
    if (r % 2 === 0) {
      body = await time(() => exporter.render(), ours);
      baselineBody = await time(() => baseline.metrics(), theirs);
    } else {
      baselineBody = await time(() => baseline.metrics(), theirs);
      body = await time(() => exporter.render(), ours);
    }
  }
  const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const baselineSeries = baselineBody.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  if (Math.abs(series - baselineSeries) > 50)
    throw new Error(`baseline has ${baselineSeries} series, ours ${series}`);
  const renderP50Ms = median(ours.slice(5));
  const baselineRenderP50Ms = median(theirs.slice(5));
  return {
    renderP50Ms,
    baselineRenderP50Ms,
    // The median of the paired rounds' ratios, as bench/lib.ts compare() reports.
    renderRatio: median(ours.slice(5).map((v, i) => v / theirs[i + 5]!)),
    bodyBytes: Buffer.byteLength(body),
    series,
  };
}

export function benchMemory(clients = 100_000): Pick<CollectorBenchResult, 'bytesPerClient'> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const t = Date.UTC(2026, 0, 1);
  const collector = siteCollector(clients);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < clients; i++) collector.ingest(clientState(i, t));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (collector.snapshot().self.clientsTracked !== clients) throw new Error('not every client tracked');
  return { bytesPerClient: (after - before) / clients };
}

export async function runCollectorBench(): Promise<CollectorBenchResult> {
  const memory = benchMemory();
  const ingest = benchIngest();
  const render = await benchRender();
  // The same site with every agent hosted here (the lab layout): the agents' own families too.
  const lab = await benchRender(8, true);
  return { ...ingest, ...render, ...memory, labBodyBytes: lab.bodyBytes, labSeries: lab.series };
}

export const TARGETS = {
  ingestEventsPerSecond: 2_000_000,
  ingestRatio: 3,
  renderP50Ms: 25,
  bodyBytes: 1_000_000,
  renderRatio: 1.0,
  bytesPerClient: 1024,
} as const;

if (isMain(import.meta.url)) {
  const r = await runCollectorBench();
  const rows: Array<[string, number, string, boolean]> = [
    [
      'ingest events/s',
      Math.round(r.ingestEventsPerSecond),
      `>= ${TARGETS.ingestEventsPerSecond}`,
      r.ingestEventsPerSecond >= TARGETS.ingestEventsPerSecond,
    ],
    ['naive prom-client inc events/s', Math.round(r.naiveEventsPerSecond), '', true],
    [
      'ingest ratio to naive',
      Number(r.ingestRatio.toFixed(2)),
      `>= ${TARGETS.ingestRatio}`,
      r.ingestRatio >= TARGETS.ingestRatio,
    ],
    [
      'render p50 ms',
      Number(r.renderP50Ms.toFixed(2)),
      `<= ${TARGETS.renderP50Ms}`,
      r.renderP50Ms <= TARGETS.renderP50Ms,
    ],
    ['plain prom-client render p50 ms', Number(r.baselineRenderP50Ms.toFixed(2)), '', true],
    [
      'render ratio to plain prom-client',
      Number(r.renderRatio.toFixed(3)),
      `<= ${TARGETS.renderRatio}`,
      r.renderRatio <= TARGETS.renderRatio,
    ],
    ['body bytes', r.bodyBytes, `<= ${TARGETS.bodyBytes}`, r.bodyBytes <= TARGETS.bodyBytes],
    ['series', r.series, '', true],
    ['body bytes, agents hosted (lab layout)', r.labBodyBytes, '', true],
    ['series, agents hosted (lab layout)', r.labSeries, '', true],
    [
      'bytes per tracked client (100k)',
      Math.round(r.bytesPerClient),
      `<= ${TARGETS.bytesPerClient}`,
      r.bytesPerClient <= TARGETS.bytesPerClient,
    ],
  ];
  for (const [name, value, target, ok] of rows) printFigure({ bench: 'collector', name, value, target, ok });
  if (rows.some(([, , , ok]) => !ok)) process.exitCode = 1;
}
