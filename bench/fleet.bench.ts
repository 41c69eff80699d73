/**
 * Fleet sizing (docs/fleet.md): what one site sends and what a central store takes.
 *
 * - Cardinality: series on /metrics as a real site grows (access points, home agents, foreign
 *   agents; agents not hosted here), up to 500 access points / 50 home agents.
 * - Samples per second one site sends: series / scrape interval (15 s and Prometheus' default 60 s).
 * - Bytes per scrape with and without gzip, and the time of one scrape through the real HTTP
 *   server with `Accept-Encoding: gzip` against the same scrape without it (baseline, same run,
 *   interleaved); render + gzip p50 against the render budget of bench/collector.bench.ts.
 * - Central ingestion: a VictoriaMetrics on this machine fed three 500-access-point sites' pages
 *   (text import, `extra_label=site=...`, as fast as it takes them): samples per second, and the
 *   ratio to what three such sites send at 15 s.
 *
 * Standalone: `node --import tsx bench/fleet.bench.ts [--quick]` prints JSON figures.
 */
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { Collector } from '../src/collector/collector.ts';
import { startExporterServer } from '../src/exporters/http-server.ts';
import { createPrometheusExporter } from '../src/exporters/prometheus.ts';
import { startVictoriaMetrics, hasVictoriaMetrics } from '../test/support/victoria-metrics.ts';
import {
  clientState,
  siteCollector,
  trafficEvents,
  TARGETS as COLLECTOR_TARGETS,
} from './collector.bench.ts';
import { isMain, median, printFigure, type BenchFigure } from './lib.ts';

const BENCH = 'fleet';
const quick = process.argv.includes('--quick');

/** Series of an exposition: sample lines. */
export function seriesOf(text: string): number {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}

/** A site of `aps` access points, `has` home agents and `fas` foreign agents (not hosted), with `clients` clients. */
function sizedCollector(aps: number, has: number, fas: number, clients: number): Collector {
  const apIds = Array.from({ length: aps }, (_, i) => `ap-${i + 1}`);
  const collector = new Collector({
    accessPoints: apIds,
    homeAgents: Array.from({ length: has }, (_, i) => ({
      id: `ha-${i + 1}`,
      address: `10.255.${i}.1`,
      hosted: false,
    })),
    foreignAgents: Array.from({ length: fas }, (_, i) => ({
      id: `fa-${i + 1}`,
      address: `10.254.${i}.1`,
      hosted: false,
    })),
    aaps: apIds.slice(0, 2),
    maxClients: Math.max(clients, 1),
    clock: () => Date.UTC(2026, 0, 1),
  });
  return collector;
}

async function cardinality(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const [aps, has, fas] of [
    [10, 2, 1],
    [50, 5, 2],
    [100, 10, 3],
    [250, 25, 5],
    [500, 50, 10],
  ] as const) {
    const exporter = createPrometheusExporter({ collector: sizedCollector(aps, has, fas, 0) });
    const series = seriesOf(await exporter.render());
    figures.push({
      bench: BENCH,
      name: `series, ${aps} access points / ${has} home agents / ${fas} foreign agents`,
      value: series,
      unit: 'series',
      aps,
      has,
      fas,
    });
  }
  return figures;
}

/** The 500-access-point site of bench/collector.bench.ts, with its clients and traffic. */
function realSite(): Collector {
  const clients = quick ? 5_000 : 50_000;
  const collector = siteCollector(clients);
  const t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < clients; i++) collector.ingest(clientState(i, t));
  for (const e of trafficEvents(quick ? 100_000 : 1_000_000, clients)) collector.ingest(e);
  return collector;
}

function rawGet(url: string, gzip: boolean): Promise<{ bytes: number; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: gzip ? { 'Accept-Encoding': 'gzip' } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ bytes, encoding: res.headers['content-encoding'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function scrapes(collector: Collector): Promise<{ figures: BenchFigure[]; body: string }> {
  const exporter = createPrometheusExporter({ collector });
  const body = await exporter.render();
  const series = seriesOf(body);
  const rounds = quick ? 12 : 40;
  // In-process, interleaved: render alone, gzip alone (level 1, what the server uses; level 6 for comparison), and both
  // in a row (the CPU a compressed scrape costs in all; the server deflates on the libuv thread
  // pool, so the event loop itself only renders).
  const render: number[] = [];
  const gzipOnly: number[] = [];
  const gzip6: number[] = [];
  let gz6Bytes = 0;
  const renderGzip: number[] = [];
  let gzBytes = 0;
  for (let r = 0; r < rounds; r++) {
    let start = process.hrtime.bigint();
    const text = await exporter.render();
    render.push(msSince(start));
    start = process.hrtime.bigint();
    gzBytes = gzipSync(text, { level: 1 }).length;
    gzipOnly.push(msSince(start));
    start = process.hrtime.bigint();
    gz6Bytes = gzipSync(text, { level: 6 }).length;
    gzip6.push(msSince(start));
    start = process.hrtime.bigint();
    gzipSync(await exporter.render(), { level: 1 });
    renderGzip.push(msSince(start));
  }
  // Through the real server: gzip against identity, interleaved.
  const server = await startExporterServer({
    collector,
    listen: { host: '127.0.0.1', port: 0 },
    logger: pino({ level: 'silent' }),
  });
  const plainMs: number[] = [];
  const gzipMs: number[] = [];
  let plainBytes = 0;
  let wireGzBytes = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const gzip of r % 2 === 0 ? [false, true] : [true, false]) {
        const start = process.hrtime.bigint();
        const res = await rawGet(`${server.url}/metrics`, gzip);
        (gzip ? gzipMs : plainMs).push(msSince(start));
        if (gzip) {
          if (res.encoding !== 'gzip') throw new Error('no gzip answer');
          wireGzBytes = res.bytes;
        } else plainBytes = res.bytes;
      }
    }
  } finally {
    await server.close();
  }
  const skip = Math.floor(rounds / 5);
  const renderP50 = median(render.slice(skip));
  const renderGzipP50 = median(renderGzip.slice(skip));
  const budget = COLLECTOR_TARGETS.renderP50Ms;
  const scrapeRatio = median(gzipMs.slice(skip)) / median(plainMs.slice(skip));
  const figures: BenchFigure[] = [
    {
      bench: BENCH,
      name: 'series, 500-access-point site with 50,000 clients',
      value: series,
      unit: 'series',
    },
    {
      bench: BENCH,
      name: 'samples/s one site sends at a 15 s scrape interval',
      value: Math.round(series / 15),
      unit: 'samples/s',
    },
    {
      bench: BENCH,
      name: 'samples/s one site sends at a 60 s scrape interval',
      value: Math.round(series / 60),
      unit: 'samples/s',
    },
    { bench: BENCH, name: 'bytes per scrape, identity', value: plainBytes, unit: 'bytes' },
    { bench: BENCH, name: 'bytes per scrape, gzip (server)', value: wireGzBytes, unit: 'bytes' },
    {
      bench: BENCH,
      name: 'gzip size ratio',
      value: Number((wireGzBytes / plainBytes).toFixed(3)),
      unit: 'x',
    },
    { bench: BENCH, name: 'in-process gzip level 1 bytes', value: gzBytes, unit: 'bytes' },
    { bench: BENCH, name: 'in-process gzip level 6 bytes', value: gz6Bytes, unit: 'bytes' },
    { bench: BENCH, name: 'render p50', value: Number(renderP50.toFixed(2)), unit: 'ms' },
    {
      bench: BENCH,
      name: 'gzip level 1 p50',
      value: Number(median(gzipOnly.slice(skip)).toFixed(2)),
      unit: 'ms',
    },
    {
      bench: BENCH,
      name: 'gzip level 6 p50',
      value: Number(median(gzip6.slice(skip)).toFixed(2)),
      unit: 'ms',
    },
    {
      bench: BENCH,
      name: 'render + gzip p50',
      value: Number(renderGzipP50.toFixed(2)),
      unit: 'ms',
      target: `<= ${budget} (render budget)`,
      ok: renderGzipP50 <= budget,
    },
    {
      bench: BENCH,
      name: 'scrape p50, identity (HTTP)',
      value: Number(median(plainMs.slice(skip)).toFixed(2)),
      unit: 'ms',
    },
    {
      bench: BENCH,
      name: 'scrape p50, gzip (HTTP)',
      value: Number(median(gzipMs.slice(skip)).toFixed(2)),
      unit: 'ms',
    },
    {
      bench: BENCH,
      name: 'scrape time ratio gzip / identity',
      value: Number(scrapeRatio.toFixed(2)),
      unit: 'x',
    },
  ];
  return { figures, body };
}

/** Three sites' pages into one VictoriaMetrics, as fast as it takes them. */
async function centralIngestion(body: string): Promise<BenchFigure[]> {
  if (!hasVictoriaMetrics()) {
    console.error('victoria-metrics is not installed: central ingestion not measured');
    return [];
  }
  const vm = await startVictoriaMetrics();
  const series = seriesOf(body);
  const rowsAdded = async (): Promise<number> => {
    const text = await (await fetch(`${vm.url}/metrics`)).text();
    const m = /^vm_rows_added_to_storage_total (\d+)/m.exec(text);
    return Number(m?.[1] ?? NaN);
  };
  try {
    const sites = ['north', 'south', 'east'];
    const post = (site: string) =>
      fetch(`${vm.url}/api/v1/import/prometheus?extra_label=site=${site}`, { method: 'POST', body }).then(
        async (r) => {
          if (r.status !== 204) throw new Error(`import: ${r.status} ${await r.text()}`);
        },
      );
    // Warm-up: every series created once (the first page of a site makes its series).
    await Promise.all(sites.map(post));
    await new Promise((r) => setTimeout(r, 1500));
    const before = await rowsAdded();
    const start = process.hrtime.bigint();
    const seconds = quick ? 3 : 10;
    let pages = 0;
    while (msSince(start) < seconds * 1000) {
      await Promise.all(sites.map(post));
      pages += sites.length;
    }
    const elapsed = msSince(start) / 1000;
    // VictoriaMetrics adds rows to storage asynchronously: wait until the count settles.
    let after = await rowsAdded();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const next = await rowsAdded();
      if (next === after) break;
      after = next;
    }
    const rate = (after - before) / elapsed;
    const sent = (3 * series) / 15;
    return [
      {
        bench: BENCH,
        name: 'central ingestion, three sites (VictoriaMetrics text import)',
        value: Math.round(rate),
        unit: 'samples/s',
        pages,
      },
      {
        bench: BENCH,
        name: 'samples/s three such sites send at 15 s',
        value: Math.round(sent),
        unit: 'samples/s',
      },
      {
        bench: BENCH,
        name: 'central headroom (ingestion / three sites at 15 s)',
        value: Math.round(rate / sent),
        unit: 'x',
      },
    ];
  } finally {
    await vm.stop();
  }
}

if (isMain(import.meta.url)) {
  printFigure({
    bench: BENCH,
    name: 'load average (1 min) at start',
    value: Number(loadavg()[0]!.toFixed(1)),
  });
  for (const f of await cardinality()) printFigure(f);
  const { figures, body } = await scrapes(realSite());
  for (const f of figures) printFigure(f);
  for (const f of await centralIngestion(body)) printFigure(f);
}
