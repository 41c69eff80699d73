/**
 * The observer against the engine: the demo site runs in this process for a little over two
 * minutes (its faults give 131s, a 133 resync, 69s, a silent home agent's timeouts and a foreign
 * agent's restart, after which its access points register their visitors again) while
 * tshark captures its Mobile IP port on the loopback interface. The capture, observed, must count
 * what the engine itself counted over the same interval: requests, acceptances, denials by code,
 * timeouts, moves. Meanwhile `pmip-exporter observe --interface lo` runs live for a bounded time
 * against the same demo and its counters move.
 *
 * The interval: tshark is capturing before the demo starts, and stops a second after the demo
 * stopped, so the capture holds everything the engine sent: every transmission (first ones and
 * retransmissions together) must match exactly. How they split may differ by at most 2
 * (`SPLIT_EDGE`). The case seen (requests 328 observed | 327 engine, retransmissions 110 | 111),
 * found with the printed `splitDiffers` list (each client whose transmissions split differently,
 * both sequences): a client went home just as its foreign access point retransmitted; the
 * foreign agent's relay of that retransmission came 1 ms after the home access point's
 * deregistration and was taken for a new request from the foreign agent. Fixed (the replaced
 * attempt's legs stay its own: test/observe/observer.test.ts); the edge stays for a case not
 * yet seen, which `splitDiffers` would show. Outcomes may differ by at most 3 each (timeouts
 * 5), for reasons the wire cannot see (each case is printed when it happens):
 * - a client that leaves for another access point of its home subnet during the last wait of an
 *   attempt: the access point drops the attempt (never concluded, not counted), the wire sees no
 *   new request and times it out;
 * - a denial answering only the last transmission of a client whose key the access point lacks
 *   (the demo's 131 clients while the silent home agent comes back): the access point cannot
 *   verify it (unauthenticated), the wire, with no SA, sees a denial nobody retransmitted after;
 * - an attempt whose wait ran out in the last moment before the stop (the observer's clock is the
 *   last packet's time).
 * Replies follow the second case (a reply the access point could not use is not counted by it).
 * Moves: the engine counts a move when a client associates; the wire sees it with the first
 * request of the stay. A client that moves on before any request leaves is a move the wire
 * cannot see: at most 2 moves of each kind.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { statisticsDocument, type StatisticsDocument } from '../../src/exporters/statistics.ts';
import { WireObserver } from '../../src/observe/observer.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';
import { feedObserver } from '../../src/observe/source.ts';
import { startDemo, type DemoSite } from '../../src/sim/demo.ts';
import { freeUdpPortOn } from '../support/two-process-site.ts';
import { TSHARK, tsharkAvailable } from '../support/tshark.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const scratch = path.join(repoRoot, '.scratch', `observe-cross-${process.pid}`);
const CAPTURE_SECONDS = 125;
const LIVE_SECONDS = 30;
const OUTCOME_EDGE = 3;
/** First transmissions vs retransmissions: see the header (the case seen is fixed; `splitDiffers` names any other). */
const SPLIT_EDGE = 2;
/**
 * Timeouts: also the deregistrations whose client moved between two access points of its home
 * subnet during the last wait (no packet says so; 2-3 per run with the silent home agent).
 */
const TIMEOUT_EDGE = 5;
const MOVE_EDGE = 2;

const canCapture = tsharkAvailable() && process.getuid?.() === 0;
if (!canCapture) console.warn('engine-cross-check.test: SKIPPED: needs tshark and root to capture on lo');

function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms: ${text}`)), ms);
    const on = (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stderr.on('data', on);
    child.stdout.on('data', on);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statistics(url: string): Promise<StatisticsDocument> {
  const res = await fetch(`${url}/api/v1/statistics`);
  return (await res.json()) as StatisticsDocument;
}

const requestsOf = (d: StatisticsDocument) =>
  d.registrations.sent.initial + d.registrations.sent.renewal + d.registrations.sent.deregistration;

describe.skipIf(!canCapture)('observing the demo on lo counts what the engine counted', () => {
  const file = path.join(scratch, 'demo.pcap');
  let engine: StatisticsDocument;
  let observed: StatisticsDocument;
  let live: { before: StatisticsDocument; after: StatisticsDocument; exitCode: number | null };
  let site: DemoSite | undefined;
  let tshark: ChildProcessWithoutNullStreams | undefined;
  const engineOutcomes: PmipEvent[] = [];
  const observedOutcomes: PmipEvent[] = [];
  /** Every transmission per client address, in order: `r` a retransmission, `f` a first one. */
  const engineSent = new Map<string, string[]>();
  const observedSent = new Map<string, string[]>();
  const recordSent = (into: Map<string, string[]>, e: PmipEvent) => {
    if (e.type !== 'registration-sent') return;
    const list = into.get(e.client.address) ?? [];
    list.push(`${e.retransmission ? 'r' : 'f'}${e.kind[0]}@${new Date(e.time).toISOString().slice(11, 23)}`);
    into.set(e.client.address, list);
  };

  beforeAll(async () => {
    mkdirSync(scratch, { recursive: true });
    const addresses = ['127.100.0.1', '127.100.0.2', '127.101.0.1', '127.102.0.2', '127.100.0.10'];
    const mipPort = await freeUdpPortOn(addresses);
    const aapPort = await freeUdpPortOn(addresses);
    tshark = spawn(TSHARK, ['-i', 'lo', '-f', `udp port ${mipPort}`, '-F', 'pcap', '-w', file]);
    await waitForOutput(tshark, /Capturing on/, 15_000);
    await sleep(500);
    const started = Date.now();
    site = await startDemo({
      accessPoints: 6,
      clients: 60,
      seed: 1,
      listen: { host: '127.0.0.1', port: 0 },
      mipPort,
      aapPort,
      logger: pino({ level: 'silent' }),
      subscribers: [
        (e) => {
          if (e.type === 'registration-outcome') engineOutcomes.push(e);
          recordSent(engineSent, e);
        },
      ],
    });

    // The live observer, for a bounded time, while the demo runs.
    await sleep(10_000);
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/pmip-exporter.js'),
        'observe',
        '--interface',
        'lo',
        '--port',
        String(mipPort),
        '--timeout-seconds',
        '8',
        '--listen',
        '127.0.0.1:0',
        '--duration',
        String(LIVE_SECONDS),
      ],
      { cwd: repoRoot },
    );
    const url = (await waitForOutput(child, /http:\/\/127\.0\.0\.1:\d+/, 20_000)).trim();
    await sleep(8000);
    const before = await statistics(url);
    await sleep(12_000);
    const after = await statistics(url);
    const exitCode = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    live = { before, after, exitCode };

    await sleep(Math.max(0, started + CAPTURE_SECONDS * 1000 - Date.now()));
    const stoppedAt = Date.now();
    await site.stop();
    engine = statisticsDocument(site.host.collector.snapshot());
    site = undefined;
    await sleep(1000);
    tshark.kill('SIGTERM');
    await new Promise((r) => tshark!.once('exit', r));
    tshark = undefined;

    const observer = new WireObserver({
      emit: (e) => {
        if (e.type === 'registration-outcome') observedOutcomes.push(e);
        recordSent(observedSent, e);
        collector.ingest(e);
      },
      port: mipPort,
      timeoutSeconds: 8,
    });
    const collector = new Collector({
      accessPoints: [],
      maxUnconfiguredNodes: 64,
      mode: 'observed',
      clock: () => observer.now(),
      views: { observation: () => observer.statistics() },
    });
    const fed = await feedObserver(createReadStream(file), observer);
    expect(fed.problem).toBeUndefined();
    observed = statisticsDocument(collector.snapshot());
    const brief = (d: StatisticsDocument) => ({
      requests: requestsOf(d),
      retransmissions: d.registrations.retransmissions,
      replies: d.registrations.repliesReceived,
      outcomes: d.registrations.outcomes,
      deniedByCode: d.registrations.deniedByCode,
      moves: d.moves,
      resyncs: d.timeSync.resyncs,
    });
    console.log(JSON.stringify({ engine: brief(engine), observed: brief(observed) }));
    // Outcomes one side has and the other not (client, outcome, kind): what the edge tolerance covers.
    const key = (e: PmipEvent) =>
      e.type === 'registration-outcome'
        ? `${e.client.address} ${e.outcome} ${e.kind} ${e.transmissions}`
        : '';
    const left = new Map<string, number>();
    for (const e of engineOutcomes) left.set(key(e), (left.get(key(e)) ?? 0) + 1);
    const extra: string[] = [];
    for (const e of observedOutcomes) {
      const n = left.get(key(e)) ?? 0;
      if (n > 0) left.set(key(e), n - 1);
      else extra.push(`${key(e)} at ${new Date(e.time).toISOString()}`);
    }
    const missing = [...left].filter(([, n]) => n > 0).map(([k, n]) => `${k} x${n}`);
    // Clients whose transmissions split differently into first ones and retransmissions (the
    // SPLIT_EDGE case): both sequences, with the kind's initial and the time of day.
    const flags = (l: string[] | undefined) => (l ?? []).map((x) => x[0]).join('');
    const splitDiffers = [...new Set([...engineSent.keys(), ...observedSent.keys()])]
      .filter((c) => flags(engineSent.get(c)) !== flags(observedSent.get(c)))
      .map((c) => ({ client: c, engine: engineSent.get(c) ?? [], observed: observedSent.get(c) ?? [] }));
    console.log(
      JSON.stringify({
        onlyObserved: extra,
        onlyEngine: missing,
        splitDiffers,
        stoppedAt: new Date(stoppedAt).toISOString(),
      }),
    );
  }, 240_000);

  afterAll(async () => {
    tshark?.kill('SIGTERM');
    await site?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the demo produced the faults the comparison needs: 131, a 133 resync, 69, timeouts, a foreign agent restart', () => {
    expect(statSync(file).size).toBeGreaterThan(10_000);
    expect(engine.homeAgentsSeen['127.100.0.1']).toBeDefined();
    const claimed131 = Object.values(engine.homeAgentsSeen).reduce(
      (t, h) => t + (h.unauthenticatedByClaimedCode['131'] ?? 0),
      0,
    );
    expect(claimed131).toBeGreaterThan(0);
    expect(engine.registrations.deniedByCode['133']).toBeGreaterThan(0);
    expect(engine.timeSync.resyncs).toBeGreaterThan(0);
    expect(engine.registrations.deniedByCode['69']).toBeGreaterThan(0);
    expect(engine.registrations.timeouts).toBeGreaterThan(0);
    // fa-1 restarts at 115 s: its access points see it and register their visitors again.
    expect(engine.discovery.agentRebootsDetected).toBeGreaterThan(0);
  });

  it('every transmission matches exactly, how it splits into requests and retransmissions and replies within the edge', () => {
    const transmissions = (d: StatisticsDocument) => requestsOf(d) + d.registrations.retransmissions;
    expect(transmissions(observed)).toBe(transmissions(engine));
    expect(Math.abs(requestsOf(observed) - requestsOf(engine))).toBeLessThanOrEqual(SPLIT_EDGE);
    expect(
      Math.abs(observed.registrations.retransmissions - engine.registrations.retransmissions),
    ).toBeLessThanOrEqual(SPLIT_EDGE);
    expect(
      Math.abs(observed.registrations.repliesReceived - engine.registrations.repliesReceived),
    ).toBeLessThanOrEqual(OUTCOME_EDGE);
  });

  it('acceptances, denials by code, timeouts and unauthenticated outcomes match within the edge', () => {
    const o = observed.registrations;
    const e = engine.registrations;
    expect(Math.abs(o.outcomes.accepted - e.outcomes.accepted)).toBeLessThanOrEqual(OUTCOME_EDGE);
    expect(Math.abs(o.timeouts - e.timeouts)).toBeLessThanOrEqual(TIMEOUT_EDGE);
    expect(Math.abs(o.outcomes.unauthenticated - e.outcomes.unauthenticated)).toBeLessThanOrEqual(
      OUTCOME_EDGE,
    );
    const codes = new Set([...Object.keys(o.deniedByCode), ...Object.keys(e.deniedByCode)]);
    for (const code of codes) {
      expect(
        Math.abs((o.deniedByCode[code] ?? 0) - (e.deniedByCode[code] ?? 0)),
        `denials with code ${code}`,
      ).toBeLessThanOrEqual(OUTCOME_EDGE);
    }
    expect(o.deniedByCode['133']).toBeGreaterThan(0);
    expect(o.deniedByCode['69']).toBeGreaterThan(0);
    // A 133 followed by an acceptance: the wire's resync.
    expect(observed.timeSync.resyncs).toBeGreaterThan(0);
  });

  it('moves match within the edge', () => {
    for (const k of ['homeToForeign', 'foreignToForeign', 'foreignToHome'] as const) {
      expect(Math.abs(observed.moves[k] - engine.moves[k]), k).toBeLessThanOrEqual(MOVE_EDGE);
    }
    expect(observed.moves.foreignToHome).toBeGreaterThan(0);
  });

  it('per home agent, the silent one has the timeouts', () => {
    const ha2 = observed.homeAgentsSeen['127.101.0.1'];
    expect(ha2?.timeouts).toBeGreaterThan(0);
    expect(Math.abs(ha2!.timeouts - engine.homeAgentsSeen['127.101.0.1']!.timeouts)).toBeLessThanOrEqual(
      TIMEOUT_EDGE,
    );
  });

  it('--interface lo live: counters move while it runs, and it exits 0 after --duration', () => {
    expect(live.after.mode).toBe('observed');
    expect(requestsOf(live.after)).toBeGreaterThan(requestsOf(live.before));
    expect(live.after.registrations.outcomes.accepted).toBeGreaterThan(
      live.before.registrations.outcomes.accepted,
    );
    expect(live.exitCode).toBe(0);
  });
});
