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
export const debugCounts = new Map<string, number>();

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
  let haPeer: Peer | undefined;
  let apPeer: Peer | undefined;
  const fa = await UdpEndpoint.bind({
    address: '127.0.50.2',
    port: 0,
    onDatagram: (payload, from) => {
      if (payload.length === request.length) {
        apPeer = from;
        fa.send(payload, haPeer!);
      } else fa.send(payload, apPeer!);
    },
  });
  const ha = await UdpEndpoint.bind({
    address: '127.0.51.1',
    port: 0,
    onDatagram: (_payload, from) => ha.send(reply, from),
  });
  peers.fa = { address: fa.address, port: fa.port };
  haPeer = { address: ha.address, port: ha.port };
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
  inFlight: number,
  seconds: number,
): Promise<{ perSecond: number; count: number; latencies: number[] }> {
  const sas = new LocalSecurityAssociations([
    { address: '127.0.61.1', rangeEnd: '127.0.61.254', spi: 256, keyHex: KEY, algorithm },
    { address: '127.0.62.1', rangeEnd: '127.0.62.254', spi: 257, keyHex: KEY, algorithm },
    { address: '127.0.63.1', rangeEnd: '127.0.63.254', spi: 258, keyHex: KEY, algorithm },
  ]);
  const subnetMap = new SubnetMapTable();
  subnetMap.upsert('127.0.60.1', '255.255.252.0', 'config', Date.now()); // 127.0.60.0/22: clients' home
  let accepted = 0;
  let measuring = false;
  const latencies: number[] = [];
  const queue: string[] = [];
  let ap: AccessPoint | undefined;
  const emit = (e: PmipEvent): void => {
    if (process.env.BENCH_DEBUG) debugCounts.set(`${e.type}${'code' in e ? `/${e.code}` : ''}`, (debugCounts.get(`${e.type}${'code' in e ? `/${e.code}` : ''}`) ?? 0) + 1);
    if (e.type !== 'reply-received' || e.node !== 'ap') return;
    if (e.accepted) {
      accepted++;
      if (measuring) latencies.push(e.roundTripSeconds * 1000);
    }
    // Keep the window full: the answered client registers again at once.
    const mac = e.client.mac;
    queue.push(mac);
  };
  const ha = await HomeAgent.start(
    { id: 'ha', address: '127.0.60.1', port: 0, subnet: '127.0.60.0/22', maxLifetime: 3600, securityAssociations: sas },
    { scheduler: realScheduler, random: seededRandom(1), emit: () => undefined },
  );
  const fa = await ForeignAgent.start(
    { id: 'fa', address: '127.0.70.2', port: 0, maxLifetime: 3600, homeAgentPort: ha.port },
    { scheduler: realScheduler, random: seededRandom(2), emit: () => undefined },
  );
  ap = await AccessPoint.start(
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
    { scheduler: realScheduler, random: seededRandom(3), emit, dataPlane: { apply: () => undefined }, securityAssociations: sas, subnetMap },
  );
  const macs: string[] = [];
  for (let i = 0; i < clients; i++) {
    const mac = `02:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    macs.push(mac);
  }
  // Associate the first `inFlight` clients; the rest wait their turn in the queue.
  const address = (i: number): string => `127.0.${61 + Math.floor(i / 254) % 3}.${1 + (i % 254)}`;
  for (let i = 0; i < clients; i++) {
    if (i < inFlight) ap.associate({ mac: macs[i]!, address: address(i), ssid: 'corp' });
  }
  let next = inFlight;
  const pump = setInterval(() => {
    // Each answered slot goes to the next client (new association) or renews one already known.
    while (queue.length > 0) {
      queue.shift();
      if (next < clients) {
        ap!.associate({ mac: macs[next]!, address: address(next), ssid: 'corp' });
        next++;
      } else {
        ap!.renew(macs[Math.floor(Math.random() * clients)]!);
      }
    }
  }, 0);
  await new Promise((r) => setTimeout(r, 500)); // warm-up
  measuring = true;
  const start = accepted;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const count = accepted - start;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  measuring = false;
  clearInterval(pump);
  await Promise.all([ap.stop(), fa.stop(), ha.stop()]);
  return { perSecond: count / elapsed, count, latencies };
}

export async function runRegistrationBench(options: { seconds?: number; clients?: number; inFlight?: number } = {}): Promise<RegistrationBenchResult[]> {
  const seconds = options.seconds ?? 3;
  const clients = options.clients ?? 5000;
  const inFlight = options.inFlight ?? 64;
  const out: RegistrationBenchResult[] = [];
  for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) {
    const relay = await relayRoundTrips(inFlight, seconds);
    const reg = await registrations(algorithm, clients, inFlight, seconds);
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runRegistrationBench();
  for (const r of results) console.log(JSON.stringify(r));
}
