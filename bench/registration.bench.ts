/**
 * Registration throughput: sustained registrations per second through
 * AP -> FA -> HA -> FA -> AP on loopback with many concurrent clients, p50/p99 latency, and the
 * ratio to a bare four-hop UDP relay that moves datagrams of the same sizes the same way, in the
 * same run, with the same number of messages in flight. Targets: >= 5,000 registrations/s and
 * >= 0.5 of the relay.
 */
import { HomeAgent } from '../src/pmip/agents/home-agent.ts';
import { ForeignAgent } from '../src/pmip/agents/foreign-agent.ts';
import { AccessPoint } from '../src/pmip/proxy/access-point.ts';
import { realScheduler } from '../src/pmip/runtime/scheduler.ts';
import { UdpEndpoint, type Peer } from '../src/pmip/runtime/udp.ts';
import { LocalSecurityAssociations } from '../src/pmip/security/store.ts';
import { SubnetMapTable } from '../src/pmip/subnet-map/table.ts';
import { seededRandom } from '../src/pmip/wire/identification.ts';
import type { PmipEvent } from '../src/pmip/events.ts';
import type { AuthAlgorithm } from '../src/pmip/wire/auth.ts';
import { isMain, printFigure } from './lib.ts';

export interface RegistrationBenchResult {
  name: string;
  clients: number;
  inFlight: number;
  seconds: number;
  registrations: number;
  registrationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  relayRoundTripsPerSecond: number;
  ratioToRelay: number;
  targets: { perSecond: number; ratio: number };
  pass: boolean;
}

const KEY = '00112233445566778899aabbccddeeff';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The baseline: four sockets passing a 46-byte "request" A->B->C and a 42-byte "reply" C->B->A. */
async function relayRoundTrips(inFlight: number, seconds: number): Promise<number> {
  const request = Buffer.alloc(46, 1);
  const reply = Buffer.alloc(42, 3);
  let completed = 0;
  let running = true;
  const peers: Record<string, Peer> = {};
  const ap = await UdpEndpoint.bind({
    address: '127.0.50.10',
    port: 0,
    onDatagram: () => {
      completed++;
      if (running) ap.send(request, peers.fa!);
    },
  });
  let apPeer: Peer | undefined;
  const fa = await UdpEndpoint.bind({
    address: '127.0.50.2',
    port: 0,
    onDatagram: (payload, from) => {
      if (payload.length === request.length) {
        apPeer = from;
        fa.send(payload, haPeer);
      } else fa.send(payload, apPeer!);
    },
  });
  const ha = await UdpEndpoint.bind({
    address: '127.0.51.1',
    port: 0,
    onDatagram: (_payload, from) => ha.send(reply, from),
  });
  peers.fa = { address: fa.address, port: fa.port };
  const haPeer: Peer = { address: ha.address, port: ha.port };
  const warm = Date.now() + 300;
  for (let i = 0; i < inFlight; i++) ap.send(request, peers.fa);
  while (Date.now() < warm) await new Promise((r) => setTimeout(r, 10));
  const start = completed;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const n = completed - start;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  running = false;
  await Promise.all([ap.close(), fa.close(), ha.close()]);
  return n / elapsed;
}

async function registrations(
  algorithm: AuthAlgorithm,
  clients: number,
  seconds: number,
): Promise<{ perSecond: number; count: number; latencies: number[] }> {
  const sas = new LocalSecurityAssociations([
    { address: '127.0.61.1', rangeEnd: '127.0.63.254', spi: 256, keyHex: KEY, algorithm },
  ]);
  const subnetMap = new SubnetMapTable();
  subnetMap.upsert('127.0.60.1', '255.255.252.0', 'config', Date.now()); // 127.0.60.0/22: the clients' home
  let accepted = 0;
  let measuring = false;
  let running = true;
  const latencies: number[] = [];
  const renew: string[] = [];
  const emit = (e: PmipEvent): void => {
    if (e.type !== 'reply-received') return;
    if (e.accepted) {
      accepted++;
      if (measuring) latencies.push(e.roundTripSeconds * 1000);
    }
    // Closed loop: every client registers again as soon as it is answered (after the access
    // point has finished handling this reply).
    if (renew.push(e.client.mac) === 1) setImmediate(renewAll);
  };
  const ha = await HomeAgent.start(
    {
      id: 'ha',
      address: '127.0.60.1',
      port: 0,
      subnet: '127.0.60.0/22',
      maxLifetime: 3600,
      securityAssociations: sas,
    },
    { scheduler: realScheduler, random: seededRandom(1), emit: () => undefined },
  );
  const fa = await ForeignAgent.start(
    {
      id: 'fa',
      address: '127.0.70.2',
      port: 0,
      maxLifetime: 3600,
      homeAgentPort: ha.port,
      // The engine's ceiling is measured, not the relay rate limit (default 200/s per source).
      relayRateLimit: { perSource: false, overall: false },
    },
    { scheduler: realScheduler, random: seededRandom(2), emit: () => undefined },
  );
  const ap = await AccessPoint.start(
    {
      id: 'ap',
      address: '127.0.70.10',
      subnet: '127.0.70.0/24',
      ssids: [{ name: 'corp', pmip: true }],
      aaps: ['127.0.70.20'],
      homeAgentPort: ha.port,
      foreignAgent: { address: '127.0.70.2', port: fa.port, maxLifetime: 3600 },
      lifetime: 3600,
      maxRetransmissions: 5,
    },
    {
      scheduler: realScheduler,
      random: seededRandom(3),
      emit,
      dataPlane: { apply: () => undefined },
      securityAssociations: sas,
      subnetMap,
    },
  );
  function renewAll(): void {
    const macs = renew.splice(0);
    if (running) for (const mac of macs) ap.renew(mac);
  }
  for (let i = 0; i < clients; i++) {
    ap.associate({
      mac: `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
      address: `127.0.${61 + Math.floor(i / 254)}.${1 + (i % 254)}`,
      ssid: 'corp',
    });
  }
  await new Promise((r) => setTimeout(r, 500)); // warm-up
  measuring = true;
  const start = accepted;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const count = accepted - start;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  measuring = false;
  running = false;
  await Promise.all([ap.stop(), fa.stop(), ha.stop()]);
  return { perSecond: count / elapsed, count, latencies };
}

export async function runRegistrationBench(
  options: { seconds?: number; clients?: number; inFlight?: number } = {},
): Promise<RegistrationBenchResult[]> {
  const seconds = options.seconds ?? 3;
  const clients = options.clients ?? options.inFlight ?? 64;
  const inFlight = options.inFlight ?? 64;
  const out: RegistrationBenchResult[] = [];
  for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) {
    const relay = await relayRoundTrips(inFlight, seconds);
    const reg = await registrations(algorithm, inFlight, seconds);
    const sorted = reg.latencies.sort((a, b) => a - b);
    const ratio = reg.perSecond / relay;
    out.push({
      name: `registration AP->FA->HA->FA->AP (${algorithm})`,
      clients,
      inFlight,
      seconds,
      registrations: reg.count,
      registrationsPerSecond: Math.round(reg.perSecond),
      p50Ms: Number(quantile(sorted, 0.5).toFixed(3)),
      p99Ms: Number(quantile(sorted, 0.99).toFixed(3)),
      relayRoundTripsPerSecond: Math.round(relay),
      ratioToRelay: Number(ratio.toFixed(3)),
      targets: { perSecond: 5000, ratio: 0.5 },
      pass: reg.perSecond >= 5000 && ratio >= 0.5,
    });
  }
  return out;
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  for (const r of await runRegistrationBench({ seconds: quick ? 1 : 3 })) {
    const base = {
      bench: 'registration',
      clients: r.clients,
      inFlight: r.inFlight,
      registrations: r.registrations,
    };
    printFigure({
      ...base,
      name: `${r.name}: registrations/s`,
      value: r.registrationsPerSecond,
      unit: '1/s',
      target: '>= 5000',
      ok: r.registrationsPerSecond >= 5000,
    });
    printFigure({
      ...base,
      name: `${r.name}: ratio to a bare four-hop UDP relay (${r.relayRoundTripsPerSecond} round trips/s)`,
      value: r.ratioToRelay,
      target: '>= 0.5',
      ok: r.ratioToRelay >= 0.5,
    });
    printFigure({ ...base, name: `${r.name}: latency p50`, value: r.p50Ms, unit: 'ms' });
    printFigure({ ...base, name: `${r.name}: latency p99`, value: r.p99Ms, unit: 'ms' });
  }
}
