/**
 * InfluxDB exporter benchmarks, against a real line-protocol server started here
 * (VictoriaMetrics through `/api/v2/write`, as for InfluxDB 2.x/3.x; skipped with a message when
 * absent).
 *
 * - Writer throughput: points per second through the writer (the official client's WriteApi:
 *   batches of 5,000, gzip, our accounting) for the snapshots of a 500-access-point site, until the
 *   server has acknowledged every one; baseline: the same lines posted by hand with fetch in the
 *   same batches, no client, no gzip, in the same run.
 * - The cost on the collector's hot path while writing: events per second into the collector with
 *   the writer attached (a snapshot written every 500,000 events: at the measured rates one every 0.1-0.5 s, 20-100 times more often than the 10 s
 *   interval of a real site), as a ratio to the naive design (one prom-client labelled `inc` per
 *   event, bench/collector.bench.ts) over the same events in the same run. Once with the
 *   snapshots only (the default), once with the opt-in per-attempt points as well.
 *
 * Standalone: `node --import tsx bench/influx.bench.ts` prints the figures as JSON lines.
 */
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { influxdbSchema } from '../src/config/influxdb.ts';
import { snapshotLines } from '../src/exporters/influx/schema.ts';
import { InfluxWriter } from '../src/exporters/influx/writer.ts';
import type { PmipEvent } from '../src/pmip/events.ts';
import { hasVictoriaMetrics, startVictoriaMetrics } from '../test/support/victoria-metrics.ts';
import { benchIngest, clientState, siteCollector, trafficEvents } from './collector.bench.ts';
import { isMain, median, printFigure } from './lib.ts';

const CLIENTS = 50_000;
const quiet = pino({ level: 'silent' });

function writerFor(url: string, outcomes: boolean): InfluxWriter {
  return new InfluxWriter({
    config: influxdbSchema.parse({
      url,
      token: 'bench',
      org: 'bench',
      bucket: 'bench',
      batchSize: 5000,
      bufferPoints: 2_000_000,
      flushIntervalSeconds: 0.2,
      outcomes,
    }),
    site: 'bench',
    logger: quiet,
  });
}

async function waitWritten(w: InfluxWriter, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (w.status().pointsBuffered > 0) {
    if (Date.now() > end) throw new Error(`writer did not drain: ${JSON.stringify(w.status())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function benchWriterThroughput(
  url: string,
  snapshots = 40,
): Promise<{
  pointsPerSecond: number;
  baselinePointsPerSecond: number;
  ratio: number;
  pointsPerSnapshot: number;
}> {
  const collector = siteCollector(CLIENTS, Date.now);
  for (let i = 0; i < CLIENTS; i++) collector.ingest(clientState(i, Date.now()));
  for (const e of trafficEvents(200_000, CLIENTS)) collector.ingest({ ...e, time: Date.now() });
  const base = collector.snapshot();
  const pointsPerSnapshot = snapshotLines(base, 'bench').length;
  const ours: number[] = [];
  const theirs: number[] = [];
  let t = Date.now() - 3_600_000;
  for (let round = 0; round < 4; round++) {
    const w = writerFor(url, false);
    let start = process.hrtime.bigint();
    for (let k = 0; k < snapshots; k++) w.writeSnapshot({ ...base, time: t++ });
    await waitWritten(w);
    const a = Number(process.hrtime.bigint() - start) / 1e9;
    const queued = w.status().pointsQueued;
    await w.close();
    // Baseline: the same kind of lines, built once, posted by hand in batches of 5,000.
    const lines: string[] = [];
    for (let k = 0; k < snapshots; k++) lines.push(...snapshotLines({ ...base, time: t++ }, 'bench'));
    start = process.hrtime.bigint();
    for (let i = 0; i < lines.length; i += 5000) {
      const res = await fetch(`${url}/api/v2/write?org=bench&bucket=bench&precision=ns`, {
        method: 'POST',
        headers: { authorization: 'Token bench', 'content-type': 'text/plain; charset=utf-8' },
        body: lines.slice(i, i + 5000).join('\n'),
      });
      if (res.status !== 204) throw new Error(`baseline write: ${res.status}`);
    }
    const b = Number(process.hrtime.bigint() - start) / 1e9;
    if (round > 0) {
      ours.push(queued / a);
      theirs.push(lines.length / b);
    }
  }
  const pointsPerSecond = median(ours);
  const baselinePointsPerSecond = median(theirs);
  return {
    pointsPerSecond,
    baselinePointsPerSecond,
    ratio: pointsPerSecond / baselinePointsPerSecond,
    pointsPerSnapshot,
  };
}

/** The naive design of bench/collector.bench.ts: one prom-client labelled inc per event. */
function naiveDesign(): (e: PmipEvent) => void {
  const registry = new Registry();
  const mk = (name: string, labelNames: string[]) =>
    new Counter({ name, help: 'x', labelNames, registers: [registry] });
  const sent = mk('naive_sent_total', ['access_point', 'kind']);
  const replies = mk('naive_replies_total', ['access_point', 'code']);
  const outcomes = mk('naive_outcomes_total', ['access_point', 'outcome']);
  const perHomeAgent = mk('naive_home_agent_outcomes_total', ['home_agent', 'outcome']);
  return (e) => {
    if (e.type === 'registration-sent') sent.inc({ access_point: e.node, kind: e.kind });
    else if (e.type === 'reply-received') replies.inc({ access_point: e.node, code: e.code });
    else if (e.type === 'registration-outcome') {
      outcomes.inc({ access_point: e.node, outcome: e.outcome });
      perHomeAgent.inc({ home_agent: e.homeAgent ?? 'none', outcome: e.outcome });
    }
  };
}

export async function benchIngestWhileWriting(
  url: string,
  outcomes: boolean,
  eventCount = 1_000_000,
  rounds = 5,
): Promise<{
  ingestEventsPerSecond: number;
  naiveEventsPerSecond: number;
  ratio: number;
  controlRatio: number;
  pointsWritten: number;
}> {
  // The events and the collector of bench/collector.bench.ts as they are (fixed times: copying
  // the events to change their time makes them megamorphic and slows both designs 3-5x).
  const events = trafficEvents(eventCount, CLIENTS);
  const collector = siteCollector(CLIENTS);
  for (let i = 0; i < CLIENTS; i++) collector.ingest(clientState(i, Date.UTC(2026, 0, 1)));
  const writer = writerFor(url, outcomes);
  const naive = naiveDesign();
  const SNAPSHOT_EVERY = 500_000;
  // Synchronous loops, as in bench/collector.bench.ts: what the writer costs on the hot path is
  // its per-event handler and the synchronous part of each snapshot (snapshot, lines, queueing,
  // and when a batch is full the start of its request). The requests themselves complete between
  // the rounds (awaited, not timed), as they do between bursts of datagrams.
  const ours: number[] = [];
  const theirs: number[] = [];
  const bare: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    let start = process.hrtime.bigint();
    for (let j = 0; j < events.length; j++) {
      const e = events[j]!;
      collector.ingest(e);
      writer.handle(e);
      if ((j + 1) % SNAPSHOT_EVERY === 0) writer.writeSnapshot({ ...collector.snapshot(), time: Date.now() });
    }
    const a = Number(process.hrtime.bigint() - start) / 1e9;
    start = process.hrtime.bigint();
    for (let j = 0; j < events.length; j++) naive(events[j]!);
    const b = Number(process.hrtime.bigint() - start) / 1e9;
    // Control: the same collector and events, no writer.
    start = process.hrtime.bigint();
    for (let j = 0; j < events.length; j++) collector.ingest(events[j]!);
    const c = Number(process.hrtime.bigint() - start) / 1e9;
    if (r > 0) {
      ours.push(events.length / a);
      theirs.push(events.length / b);
      bare.push(events.length / c);
    }
    await waitWritten(writer);
  }
  await waitWritten(writer);
  await writer.close();
  const st = writer.status();
  if (st.pointsWritten !== st.pointsQueued) throw new Error(`points lost: ${JSON.stringify(st)}`);
  const ingestEventsPerSecond = median(ours);
  const naiveEventsPerSecond = median(theirs);
  return {
    ingestEventsPerSecond,
    naiveEventsPerSecond,
    ratio: ingestEventsPerSecond / naiveEventsPerSecond,
    controlRatio: median(bare) / naiveEventsPerSecond,
    pointsWritten: st.pointsWritten,
  };
}

/** One snapshot of the 500-access-point site turned into points: ms, median of 30. */
export function benchSnapshotCost(): { snapshotMs: number; linesMs: number; points: number } {
  const collector = siteCollector(CLIENTS);
  for (let i = 0; i < CLIENTS; i++) collector.ingest(clientState(i, Date.UTC(2026, 0, 1)));
  for (const e of trafficEvents(200_000, CLIENTS)) collector.ingest(e);
  const snap: number[] = [];
  const lines: number[] = [];
  let points = 0;
  for (let r = 0; r < 31; r++) {
    let t = process.hrtime.bigint();
    const s = collector.snapshot();
    const a = Number(process.hrtime.bigint() - t) / 1e6;
    t = process.hrtime.bigint();
    points = snapshotLines(s, 'bench').length;
    const b = Number(process.hrtime.bigint() - t) / 1e6;
    if (r > 0) {
      snap.push(a);
      lines.push(b);
    }
  }
  return { snapshotMs: median(snap), linesMs: median(lines), points };
}

export const TARGETS = { ingestRatio: 3 } as const;

if (isMain(import.meta.url)) {
  if (!hasVictoriaMetrics()) {
    console.log('influx bench: victoria-metrics not found (apt-get install victoria-metrics); skipped');
    process.exit(0);
  }
  const vm = await startVictoriaMetrics();
  try {
    const w = await benchWriterThroughput(vm.url);
    printFigure({
      bench: 'influx',
      name: 'writer points/s (500 APs, 60 agents; to VictoriaMetrics /api/v2/write)',
      value: Math.round(w.pointsPerSecond),
      unit: 'points/s',
      pointsPerSnapshot: w.pointsPerSnapshot,
    });
    printFigure({
      bench: 'influx',
      name: 'hand-made POSTs of the same lines, points/s',
      value: Math.round(w.baselinePointsPerSecond),
      unit: 'points/s',
    });
    printFigure({
      bench: 'influx',
      name: 'writer ratio to hand-made POSTs',
      value: Number(w.ratio.toFixed(2)),
    });
    const cost = benchSnapshotCost();
    printFigure({
      bench: 'influx',
      name: 'collector snapshot of the 500-AP site, ms (median)',
      value: Number(cost.snapshotMs.toFixed(2)),
      unit: 'ms',
    });
    printFigure({
      bench: 'influx',
      name: 'its points as line protocol, ms (median)',
      value: Number(cost.linesMs.toFixed(2)),
      unit: 'ms',
      points: cost.points,
    });
    const reference = benchIngest(1_000_000, 5);
    printFigure({
      bench: 'influx',
      name: 'reference: ingest ratio to naive without a writer (bench/collector.bench.ts, same run)',
      value: Number(reference.ingestRatio.toFixed(2)),
    });
    for (const outcomes of [false, true]) {
      const r = await benchIngestWhileWriting(vm.url, outcomes);
      const what = outcomes ? 'snapshots + per-attempt points' : 'snapshots';
      printFigure({
        bench: 'influx',
        name: `ingest events/s while writing ${what}`,
        value: Math.round(r.ingestEventsPerSecond),
        unit: 'events/s',
        pointsWritten: r.pointsWritten,
      });
      printFigure({
        bench: 'influx',
        name: `naive prom-client events/s (same run, ${what})`,
        value: Math.round(r.naiveEventsPerSecond),
        unit: 'events/s',
      });
      printFigure({
        bench: 'influx',
        name: `control: ingest ratio to naive, same loop without the writer (${what} run)`,
        value: Number(r.controlRatio.toFixed(2)),
      });
      printFigure({
        bench: 'influx',
        name: `ingest ratio to naive while writing ${what}`,
        value: Number(r.ratio.toFixed(2)),
        ...(outcomes ? {} : { target: `>= ${TARGETS.ingestRatio}`, ok: r.ratio >= TARGETS.ingestRatio }),
      });
    }
  } finally {
    await vm.stop();
  }
}
