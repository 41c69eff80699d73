/**
 * Live-socket fuzz (docs/security.md): `pmip-exporter demo` as a child process, every UDP socket
 * it has open found through /proc (Linux), then tens of thousands of random and mutated datagrams
 * sent to all of them: mutations of valid registration requests and replies, agent
 * advertisements and solicitations, AAP datagrams (sealed with a wrong group key), truncations,
 * random bytes, maximum-size datagrams, and targeted forgeries (a request naming the foreign
 * agent itself as home agent, foreign-agent denials, reboot sequence numbers). Afterwards the
 * process must be alive, healthy and serving, have counted the garbage, not have grown without
 * bound, not keep burning CPU once the fuzz stopped, go on accepting genuine registrations, and
 * stop cleanly on SIGTERM.
 *
 * Seeded: the seed is printed; replay a run with `FUZZ_SEED=S FUZZ_COUNT=N npx vitest run
 * test/security`. FUZZ_COUNT is the number of datagrams (default 30,000), sent within 25 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { endianness } from 'node:os';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  advertisementFlags,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  ntpTimestamp,
  requestFlags,
  seededRandom,
  type AgentAdvertisement,
  type RegistrationReply,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';
import { opsFrom, rowsFrom, sealAapMessage, type AapMessage } from '../../../src/pmip/aap/codec/index.ts';
import { RECONCILIATION_BUCKETS } from '../../../src/pmip/subnet-map/digest.ts';
import {
  agentAdvertisementArb,
  applyMutations,
  fixIcmpChecksum,
  mutationsArb,
  registrationBytesArb,
  type Mutation,
} from '../../support/wire-arbitraries.ts';

// ---- parameters ----------------------------------------------------------------------------------

function envInt(name: string, min: number, max: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name}: "${raw}" must be an integer from ${min} to ${max}`);
  return n;
}

const SEED = envInt('FUZZ_SEED', 0, 2 ** 31 - 1) ?? Math.floor(Math.random() * 2 ** 31);
const COUNT = envInt('FUZZ_COUNT', 1, 200_000) ?? 30_000;
/** The datagrams are spread over this long; whatever is not sent by SEND_DEADLINE_MS is not sent. */
const SEND_WINDOW_MS = 25_000;
const SEND_DEADLINE_MS = 30_000;
/** After the fuzz: how long genuine registrations are watched. */
const AFTER_MS = 10_000;
const MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024;
/**
 * CPU the demo may use after the fuzz stopped, in cores (its own load is a few hundredths): a
 * self-sustaining loop (a foreign agent relaying to itself) takes half a core to a whole one.
 */
const MAX_CPU_AFTER_CORES = 0.3;
const MAX_UDP_PAYLOAD = 65_507;
const READY_WITHIN_MS = 20_000;

const APS = 6;
const CLIENTS = 150;
const SUBNETS = Math.max(3, Math.ceil(APS / 2)); // docs/demo.md, Layout

// The demo's layout (docs/demo.md): subnet i is 127.(100+i).0.0/16, its home agent .0.1, its
// foreign agent .0.2, its access points .0.(10+j), its clients 127.(100+i).(1+).x.
const haAddress = (i: number): string => `127.${100 + i}.0.1`;
const faAddress = (i: number): string => `127.${100 + i}.0.2`;
/** Off every subnet: its advertisements are refused by source. */
const OFF_SUBNET_SOURCE = '127.250.0.1';
/** On subnet i: passes the access points' advertisement source rule. */
const onSubnetSource = (i: number): string => `127.${100 + i}.0.250`;

// ---- the child process -----------------------------------------------------------------------------

function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (
  samples: Sample[],
  name: string,
  where: (l: Record<string, string>) => boolean = () => true,
): number => samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);

/** Resident set size of a process, bytes (Linux). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** User + system CPU time of a process, seconds (Linux; /proc counts in USER_HZ = 100). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
}

interface UdpSocketInfo {
  address: string;
  port: number;
  /** Datagrams the kernel dropped at this socket (receive buffer full). */
  drops: number;
}

/**
 * Every UDP/IPv4 socket the process holds: its socket inodes from /proc/PID/fd, matched with
 * /proc/PID/net/udp. No cooperation from the process needed, so nothing it opens is missed.
 */
function udpSocketsOf(pid: number): UdpSocketInfo[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed in the meantime
    }
  }
  const out: UdpSocketInfo[] = [];
  const lines = readFileSync(`/proc/${pid}/net/udp`, 'utf8').trim().split('\n').slice(1);
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    const [hexAddress, hexPort] = (cols[1] ?? '').split(':');
    if (!hexAddress || !hexPort || !inodes.has(cols[9] ?? '')) continue;
    const bytes = Buffer.from(hexAddress, 'hex');
    if (endianness() === 'LE') bytes.reverse();
    out.push({ address: [...bytes].join('.'), port: parseInt(hexPort, 16), drops: Number(cols[12] ?? 0) });
  }
  return out.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
}

type Protocol = 'registration' | 'advertisement' | 'aap';
type SocketRole =
  | 'home-agent registration'
  | 'foreign-agent registration'
  | 'foreign-agent advertisement'
  | 'aap (authoritative access point)'
  | 'access point (registration, advertisement, AAP client or probe)'
  | 'other';

interface Target extends UdpSocketInfo {
  role: SocketRole;
  subnet: number;
  /** What is sent there: the socket's own protocol mostly, the others too (type confusion). */
  protocols: Array<[Protocol, number]>;
}

function classify(s: UdpSocketInfo, mipPort: number, aapPort: number): Target {
  const o = s.address.split('.').map(Number);
  const subnet = o[1]! - 100;
  const inSite = o[0] === 127 && subnet >= 0 && subnet < SUBNETS && o[2] === 0;
  const mostly = (p: Protocol): Array<[Protocol, number]> =>
    (['registration', 'advertisement', 'aap'] as const).map((q) => [q, q === p ? 0.8 : 0.1]);
  const even: Array<[Protocol, number]> = [
    ['registration', 1 / 3],
    ['advertisement', 1 / 3],
    ['aap', 1 / 3],
  ];
  let role: SocketRole = 'other';
  let protocols = even;
  if (inSite && s.port === mipPort && o[3] === 1)
    [role, protocols] = ['home-agent registration', mostly('registration')];
  else if (inSite && s.port === mipPort && o[3] === 2)
    [role, protocols] = ['foreign-agent registration', mostly('registration')];
  else if (inSite && o[3] === 2) [role, protocols] = ['foreign-agent advertisement', mostly('advertisement')];
  else if (s.port === aapPort) [role, protocols] = ['aap (authoritative access point)', mostly('aap')];
  else if (inSite && o[3]! >= 10) role = 'access point (registration, advertisement, AAP client or probe)';
  return { ...s, role, subnet: inSite ? subnet : 0, protocols };
}

// ---- the datagrams -----------------------------------------------------------------------------------

type Shape = 'valid' | 'mutated' | 'truncated' | 'structured' | 'random' | 'max-size' | 'targeted';
const SHAPES: Array<[Shape, number]> = [
  ['valid', 0.12],
  ['mutated', 0.4],
  ['truncated', 0.1],
  ['structured', 0.08],
  ['random', 0.2],
  ['max-size', 0.02],
  ['targeted', 0.08],
];

class Fuzzer {
  private readonly r: ReturnType<typeof seededRandom>;
  private readonly mutations: Mutation[][];
  private readonly registrationBytes: Buffer[];
  private readonly advertisements: AgentAdvertisement[];

  constructor(seed: number) {
    this.r = seededRandom(seed);
    // Pools of structured values from fast-check, from the same seed.
    this.mutations = fc.sample(mutationsArb, { seed, numRuns: 4000 });
    this.registrationBytes = fc.sample(registrationBytesArb, { seed: seed + 1, numRuns: 1000 });
    this.advertisements = fc.sample(agentAdvertisementArb, { seed: seed + 2, numRuns: 1000 });
  }

  float(): number {
    return this.r.float();
  }
  int(n: number): number {
    return Math.floor(this.r.float() * n);
  }
  chance(p: number): boolean {
    return this.r.float() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  weighted<T>(xs: ReadonlyArray<readonly [T, number]>): T {
    let x = this.r.float() * xs.reduce((a, [, w]) => a + w, 0);
    for (const [v, w] of xs) if ((x -= w) < 0) return v;
    return xs[xs.length - 1]![0];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.r.uint32();
      for (let k = 0; k < 4 && i + k < n; k++) b[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return b;
  }
  uint16(): number {
    return this.r.uint32() & 0xffff;
  }
  identification(): bigint {
    return this.chance(0.6)
      ? ntpTimestamp(Date.now() + (this.chance(0.5) ? 0 : (this.float() - 0.5) * 86_400_000), this.r)
      : (BigInt(this.r.uint32()) << 32n) | BigInt(this.r.uint32());
  }
  clientAddress(subnet: number): string {
    return `127.${100 + subnet}.${1 + this.int(2)}.${1 + this.int(250)}`;
  }
  anyAddress(): string {
    return this.chance(0.7)
      ? `127.${this.int(256)}.${this.int(256)}.${this.int(256)}`
      : this.pick(['0.0.0.0', '255.255.255.255', '224.0.0.1', '240.0.0.1', '10.0.0.1']);
  }

  /** One datagram for `target`: the shape and protocol it took, and its bytes. */
  next(target: Target): { shape: Shape; protocol: Protocol; bytes: Buffer } {
    const protocol = this.weighted(target.protocols);
    const shape = this.weighted(SHAPES);
    return { shape, protocol, bytes: this.make(shape, protocol, target) };
  }

  private make(shape: Shape, protocol: Protocol, t: Target): Buffer {
    switch (shape) {
      case 'valid':
        return this.valid(protocol, t);
      case 'mutated': {
        const out = applyMutations(this.valid(protocol, t), this.pick(this.mutations));
        // A mutated advertisement with a good checksum gets past the checksum into the parser.
        return protocol === 'advertisement' && this.chance(0.5) ? fixIcmpChecksum(out) : out;
      }
      case 'truncated': {
        const v = this.valid(protocol, t);
        return v.subarray(0, this.int(v.length));
      }
      case 'structured':
        return this.structured(protocol);
      case 'random': {
        const n = this.weighted([
          [this.int(5), 0.25],
          [this.int(65), 0.4],
          [this.int(1501), 0.35],
        ] as const);
        const b = this.bytes(n);
        // The first byte decides the parser path: make the interesting ones common.
        if (n > 0 && this.chance(0.5)) b[0] = this.pick([1, 3, 9, 10, 0x53]);
        return b;
      }
      case 'max-size': {
        const b = this.bytes(MAX_UDP_PAYLOAD);
        if (this.chance(0.5)) this.valid(protocol, t).copy(b); // a valid message followed by junk
        return b;
      }
      case 'targeted':
        return this.targeted(protocol, t);
    }
  }

  private valid(protocol: Protocol, t: Target): Buffer {
    try {
      if (protocol === 'registration') return this.chance(0.55) ? this.request(t) : this.reply();
      if (protocol === 'advertisement')
        return this.chance(0.85) ? this.advertisement(t.subnet) : encodeAgentSolicitation();
      return this.aap(t);
    } catch {
      return this.bytes(this.int(64)); // a combination the encoder refuses: send junk instead
    }
  }

  private request(t: Target, over: Partial<RegistrationRequest> = {}): Buffer {
    const s = this.int(SUBNETS);
    const req: RegistrationRequest = {
      type: 'registration-request',
      flags: requestFlags({
        S: this.chance(0.1),
        B: this.chance(0.1),
        D: this.chance(0.1),
        M: this.chance(0.1),
        G: this.chance(0.1),
        T: this.chance(0.1),
      }),
      lifetime: this.pick([0, 1, 40, 120, 600, 1800, 65535]),
      homeAddress: this.clientAddress(s),
      homeAgent: this.chance(0.9) ? haAddress(s) : this.anyAddress(),
      careOfAddress: this.chance(0.8) ? faAddress(t.subnet) : this.anyAddress(),
      identification: this.identification(),
      extensions: this.chance(0.3)
        ? [{ kind: 'nai', type: 131, nai: `fuzz${this.int(1000)}@example.net` }]
        : [],
      ...over,
    };
    // Signed with a key the attacker made up (it does not have the site's).
    const auth = this.chance(0.85)
      ? {
          spi: this.chance(0.8) ? 256 + s : this.r.uint32(),
          key: this.bytes(16),
          algorithm: this.pick(['prefix-suffix', 'hmac-md5'] as const),
        }
      : undefined;
    return encodeRegistration(req, auth);
  }

  private reply(over: Partial<RegistrationReply> = {}): Buffer {
    const s = this.int(SUBNETS);
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code: this.pick([0, 1, 64 + this.int(64), 69, 128 + this.int(12), 131, 133, this.int(256)]),
      lifetime: this.pick([0, 1, 40, 120, 65535]),
      homeAddress: this.clientAddress(s),
      homeAgent: this.chance(0.9) ? haAddress(s) : this.anyAddress(),
      identification: this.identification(),
      extensions: [],
      ...over,
    };
    const auth = this.chance(0.7)
      ? { spi: 256 + s, key: this.bytes(16), algorithm: this.pick(['prefix-suffix', 'hmac-md5'] as const) }
      : undefined;
    return encodeRegistration(reply, auth);
  }

  private advertisement(subnet: number, over: Partial<AgentAdvertisement> = {}): Buffer {
    const source = this.chance(0.5) ? onSubnetSource(subnet) : faAddress(subnet);
    const adv: AgentAdvertisement = {
      type: 'agent-advertisement',
      icmpCode: this.chance(0.9) ? 0 : 16,
      routerLifetime: this.pick([0, 1, 15, 1800, 9000, 65535]),
      routerAddresses: [{ address: source, preference: 0 }],
      sequence: this.chance(0.3) ? this.int(256) : this.uint16(),
      registrationLifetime: this.pick([0, 1, 40, 600, 65535]),
      flags: advertisementFlags({
        R: this.chance(0.8),
        B: this.chance(0.1),
        H: this.chance(0.3),
        F: this.chance(0.8),
        M: this.chance(0.1),
        G: this.chance(0.1),
        T: this.chance(0.1),
      }),
      careOfAddresses: this.chance(0.9)
        ? [this.chance(0.5) ? source : this.anyAddress()]
        : Array.from({ length: this.int(63) }, () => this.anyAddress()),
      padding: this.int(3),
      ...over,
    };
    if (this.chance(0.3)) adv.prefixLengths = [16];
    return encodeAgentAdvertisement(adv);
  }

  private aap(t: Target): Buffer {
    const digest = (): string => this.bytes(8).toString('hex');
    const row = (): { homeAgent: number; prefixLength: number } => ({
      homeAgent: this.r.uint32(),
      prefixLength: this.int(33),
    });
    const rows = (): Array<{ homeAgent: number; prefixLength: number }> =>
      Array.from({ length: this.int(8) }, row);
    const chunk = { index: 0, count: 1 + (this.chance(0.8) ? 0 : this.int(70_000)) };
    if (chunk.count > 0xffff) chunk.count = 0xffff;
    const message: AapMessage = this.pick<() => AapMessage>([
      () => ({
        type: 'report',
        full: this.chance(0.5),
        homeAgent: this.chance(0.8) ? row() : null,
        digest: digest(),
      }),
      () => ({ type: 'leave', reason: this.pick(['stopped', 'moved'] as const) }),
      () => ({
        type: 'ack',
        acked: this.pick(['update', 'handover'] as const),
        id: this.r.uint32(),
        version: this.r.uint32(),
        digest: digest(),
      }),
      () => ({
        type: 'pull',
        transferId: this.r.uint32(),
        buckets: (BigInt(this.r.uint32()) << 32n) | BigInt(this.r.uint32()),
      }),
      () => ({
        type: 'digest',
        version: this.r.uint32(),
        rows: this.int(10_000),
        digest: digest(),
        buckets: Array.from({ length: RECONCILIATION_BUCKETS }, digest),
      }),
      () => {
        const rs = rows();
        return {
          type: 'table',
          version: this.r.uint32(),
          digest: digest(),
          totalRows: rs.length,
          unchanged: rs.length === 0,
          chunk,
          rows: rowsFrom(rs),
        };
      },
      () => ({
        type: 'update',
        updateId: this.r.uint32(),
        version: this.r.uint32(),
        digest: digest(),
        chunk,
        ops: opsFrom(rows().map((x) => ({ ...x, op: this.pick(['upsert', 'remove'] as const) }))),
      }),
      () => ({
        type: 'state',
        transferId: this.r.uint32(),
        version: this.r.uint32(),
        digest: digest(),
        chunk,
        rows: rows().map((x) => ({ ...x, deleted: this.chance(0.3), stamp: Date.now() })),
      }),
    ])();
    const ids = ['ap-1', 'ap-2', 'ap-3', 'ap-4', 'ap-5', 'ap-6', 'aap-1', 'aap-2'];
    return sealAapMessage(
      {
        senderId: this.chance(0.9) ? this.pick(ids) : `fuzz-${this.int(1000)}`,
        // Usually the receiver the datagram arrives at, or could: the AAPs' names for themselves.
        receiverId: this.chance(0.2) ? `${t.address}:${t.port}` : this.pick(ids),
        epoch: Date.now() - this.int(3_600_000),
        sequence: 1 + this.int(1_000_000),
      },
      message,
      this.bytes(32), // not the site's group key: the attacker does not have it
    );
  }

  private structured(protocol: Protocol): Buffer {
    if (protocol === 'registration') return this.pick(this.registrationBytes);
    if (protocol === 'advertisement') {
      try {
        return encodeAgentAdvertisement(this.pick(this.advertisements));
      } catch {
        return fixIcmpChecksum(this.bytes(8 + this.int(80)));
      }
    }
    // An AAP frame: good magic and version, random rest.
    const b = this.bytes(18 + this.int(200));
    b.writeUInt16BE(0x534d, 0);
    b[2] = this.chance(0.8) ? 2 : this.int(256);
    b[3] = this.int(11);
    return b;
  }

  /** Forgeries aimed at the rules of docs/security.md. */
  private targeted(protocol: Protocol, t: Target): Buffer {
    try {
      if (protocol === 'registration') {
        return this.pick<() => Buffer>([
          // The relay loop: a foreign agent named as the home agent (itself, or another one),
          // care-of address its own, or a deregistration (no care-of check).
          () =>
            this.request(t, {
              homeAgent: this.chance(0.7) ? t.address : faAddress(this.int(SUBNETS)),
              careOfAddress: this.chance(0.5) ? t.address : this.clientAddress(t.subnet),
              lifetime: this.pick([0, 40, 120]),
            }),
          // Broadcast, multicast, unspecified home agents.
          () =>
            this.request(t, {
              homeAgent: this.pick([
                '255.255.255.255',
                '224.0.0.1',
                '0.0.0.0',
                `127.${100 + t.subnet}.255.255`,
              ]),
            }),
          // A foreign-agent denial (64-127, unauthenticated by design) from a stranger.
          () =>
            this.reply({
              code: this.pick([64, 65, 66, 69, 70, 77, 88]),
              lifetime: this.pick([0, 1, 29, 65535]),
              extensions: [],
            }),
          // A 133 with a wild time, an accepted reply with an infinite lifetime.
          () => this.reply({ code: this.pick([0, 133]), lifetime: 65535 }),
        ])();
      }
      if (protocol === 'advertisement') {
        // From the subnet: reboots (sequence 0-255), busy, no care-of address, every lifetime.
        return this.advertisement(t.subnet, {
          sequence: this.int(256),
          routerLifetime: this.pick([0, 1, 65535]),
          flags: advertisementFlags({ F: true, R: true, B: this.chance(0.3), H: this.chance(0.3) }),
          careOfAddresses: this.chance(0.3) ? [] : [onSubnetSource(t.subnet)],
        });
      }
      return this.aap(t);
    } catch {
      return this.bytes(this.int(64));
    }
  }
}

// ---- the test ------------------------------------------------------------------------------------------

describe.skipIf(process.platform !== 'linux')('live-socket fuzz of the demo site (child process)', () => {
  let child: ChildProcess | undefined;
  const senders: Socket[] = [];
  afterAll(() => {
    for (const s of senders) s.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it(`survives ${COUNT} hostile datagrams on every UDP socket and keeps serving (seed ${SEED})`, async () => {
    console.log(
      `live-fuzz: seed ${SEED}, ${COUNT} datagrams (replay: FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT})`,
    );
    const httpPort = await freeTcpPort();
    const mipPort = 20000 + Math.floor(Math.random() * 10000);
    const aapPort = mipPort + 1;
    const t0 = Date.now();
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'demo',
        '--aps',
        String(APS),
        '--clients',
        String(CLIENTS),
        '--seed',
        '1',
        '--listen',
        `127.0.0.1:${httpPort}`,
        '--mip-port',
        String(mipPort),
        '--aap-port',
        String(aapPort),
        '--log-level',
        'warn',
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString()).slice(-65_536);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    while (!out.includes('demo ready')) {
      if (Date.now() - t0 > READY_WITHIN_MS)
        throw new Error(`no ready line within ${READY_WITHIN_MS} ms:\n${out}`);
      if (proc.exitCode !== null) throw new Error(`demo exited ${proc.exitCode}:\n${out}`);
      await sleep(100);
    }
    const pid = proc.pid!;
    const base = `http://127.0.0.1:${httpPort}`;
    const scrape = async (): Promise<Sample[]> => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      return parseMetrics(await res.text());
    };
    const accepted = (m: Sample[]): number => sum(m, 'pmip_mn_registrations_accepted_total');
    const malformed = (m: Sample[], where?: (l: Record<string, string>) => boolean): number =>
      sum(m, 'pmip_malformed_datagrams_total', where);

    // The site works before the fuzz: registrations accepted.
    let before = await scrape();
    for (let deadline = Date.now() + 15_000; accepted(before) === 0 && Date.now() < deadline;) {
      await sleep(250);
      before = await scrape();
    }
    expect(accepted(before)).toBeGreaterThan(0);
    // The demo's own load (CPU, requests its agents handle), for comparison with after the fuzz.
    const agentRequests = (m: Sample[]): number =>
      sum(m, 'pmip_fa_registration_requests_received_total') +
      sum(m, 'pmip_ha_registration_requests_received_total');
    const cpuIdle0 = cpuSecondsOf(pid);
    const idle0 = agentRequests(before);
    const idleStart = Date.now();
    await sleep(2000);
    before = await scrape();
    const idleSeconds = (Date.now() - idleStart) / 1000;
    const cpuIdleCores = (cpuSecondsOf(pid) - cpuIdle0) / idleSeconds;
    const agentRateBefore = (agentRequests(before) - idle0) / idleSeconds;

    // Every UDP socket of the process, and what it is.
    const sockets = udpSocketsOf(pid).map((s) => classify(s, mipPort, aapPort));
    const byRole = new Map<SocketRole, Target[]>();
    for (const s of sockets) byRole.set(s.role, [...(byRole.get(s.role) ?? []), s]);
    console.log(
      `live-fuzz: ${sockets.length} UDP sockets in pid ${pid}:\n` +
        [...byRole]
          .map(
            ([role, ts]) => `  ${ts.length} x ${role}: ${ts.map((x) => `${x.address}:${x.port}`).join(' ')}`,
          )
          .join('\n'),
    );
    expect(byRole.get('home-agent registration')).toHaveLength(SUBNETS);
    expect(byRole.get('foreign-agent registration')).toHaveLength(SUBNETS);
    expect(byRole.get('aap (authoritative access point)')).toHaveLength(2);
    expect(byRole.get('foreign-agent advertisement')?.length ?? 0).toBeGreaterThanOrEqual(SUBNETS);
    // per access point: a registration socket and a subnet map client at least
    expect(
      byRole.get('access point (registration, advertisement, AAP client or probe)')?.length ?? 0,
    ).toBeGreaterThanOrEqual(2 * APS);
    const dropsBefore = sockets.reduce((a, s) => a + s.drops, 0);

    // The attacker's sockets: one off every subnet, one on each subnet.
    const sourceAddresses = [
      OFF_SUBNET_SOURCE,
      ...Array.from({ length: SUBNETS }, (_v, i) => onSubnetSource(i)),
    ];
    let repliesReceived = 0;
    let replyBytes = 0;
    for (const address of sourceAddresses) {
      const s = createSocket('udp4');
      s.on('message', (msg) => {
        repliesReceived++;
        replyBytes += msg.length;
      });
      s.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, address, () => resolve());
      });
      senders.push(s);
    }
    const offSubnet = senders[0]!;
    const sourceFor = (t: Target, protocol: Protocol, f: Fuzzer): Socket =>
      // Advertisements mostly from the target's own subnet (past the source rule, into the table).
      protocol === 'advertisement' && f.chance(0.6)
        ? senders[1 + t.subnet]!
        : f.chance(0.5)
          ? offSubnet
          : f.pick(senders);

    const fuzzer = new Fuzzer(SEED);
    const rssBefore = rssOf(pid);
    let rssMax = rssBefore;
    const cpuBefore = cpuSecondsOf(pid);
    const perRole = new Map<SocketRole, number>();
    const perShape = new Map<Shape, number>();
    let sent = 0;
    let sentBytes = 0;
    let sendErrors = 0;
    const fuzzStart = Date.now();
    while (sent < COUNT && Date.now() - fuzzStart < SEND_DEADLINE_MS) {
      const due = Math.min(COUNT, Math.ceil((COUNT * (Date.now() - fuzzStart + 10)) / SEND_WINDOW_MS));
      for (; sent < due; sent++) {
        const t = fuzzer.pick(sockets);
        const { shape, protocol, bytes } = fuzzer.next(t);
        sourceFor(t, protocol, fuzzer).send(bytes, t.port, t.address, (e) => {
          if (e) sendErrors++;
        });
        sentBytes += bytes.length;
        perRole.set(t.role, (perRole.get(t.role) ?? 0) + 1);
        perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
      }
      if (sent % 2000 < 60) {
        rssMax = Math.max(rssMax, rssOf(pid));
        expect(proc.exitCode, `demo died during the fuzz:\n${out}`).toBeNull();
      }
      await sleep(10);
    }
    const fuzzMs = Date.now() - fuzzStart;
    await sleep(1000); // let the last datagrams be read
    const cpuFuzz = cpuSecondsOf(pid) - cpuBefore;
    rssMax = Math.max(rssMax, rssOf(pid));

    // Alive and healthy.
    expect(proc.exitCode, `demo exited:\n${out}`).toBeNull();
    expect(() => process.kill(pid, 0)).not.toThrow();
    const healthy = await fetch(`${base}/-/healthy`);
    expect(healthy.status).toBe(200);
    await healthy.text();

    // /metrics renders and counted the garbage, at every kind of socket.
    const afterFuzz = await scrape();
    expect(afterFuzz.some((s) => s.name === 'pmip_build_info')).toBe(true);
    const malformedRise = malformed(afterFuzz) - malformed(before);
    expect(malformedRise).toBeGreaterThan(0);
    const risen = (nodeKind: string, socket: string): number =>
      malformed(afterFuzz, (l) => l.node_kind === nodeKind && l.socket === socket) -
      malformed(before, (l) => l.node_kind === nodeKind && l.socket === socket);
    const coverage: Record<string, number> = {};
    for (const [nodeKind, socket] of [
      ['access_point', 'registration'],
      ['access_point', 'advertisement'],
      ['access_point', 'aap'],
      ['home_agent', 'registration'],
      ['foreign_agent', 'registration'],
      ['foreign_agent', 'advertisement'],
    ] as const) {
      coverage[`${nodeKind}/${socket}`] = risen(nodeKind, socket);
      expect(risen(nodeKind, socket), `malformed datagrams counted at ${nodeKind}/${socket}`).toBeGreaterThan(
        0,
      );
    }
    const refusedRise =
      sum(afterFuzz, 'pmip_aap_messages_refused_total') - sum(before, 'pmip_aap_messages_refused_total');
    expect(refusedRise).toBeGreaterThan(0);
    // The relay-loop forgeries reached the foreign agents' home agent rule and were refused (65).
    const code65 = (m: Sample[]): number =>
      sum(m, 'pmip_fa_registration_denials_total', (l) => l.code === '65');
    const refused65 = code65(afterFuzz) - code65(before);
    expect(refused65).toBeGreaterThan(0);
    const errorKinds = new Map<string, number>();
    for (const s of afterFuzz.filter((x) => x.name === 'pmip_malformed_datagrams_total' && x.value > 0)) {
      const k = `${s.labels.node_kind}/${s.labels.socket}/${s.labels.error_kind}`;
      errorKinds.set(k, (errorKinds.get(k) ?? 0) + s.value);
    }

    // Memory did not grow without bound.
    const rssAfter = rssOf(pid);
    expect(rssAfter - rssBefore).toBeLessThan(MAX_RSS_GROWTH_BYTES);

    // Genuine registrations go on being accepted, and nothing keeps the process busy.
    const acceptedAt = accepted(afterFuzz);
    const cpuAt = cpuSecondsOf(pid);
    const watchStart = Date.now();
    let acceptedLater = acceptedAt;
    let perApRise = 0;
    while (Date.now() - watchStart < AFTER_MS) {
      await sleep(1000);
      const m = await scrape();
      acceptedLater = accepted(m);
      perApRise = [
        ...new Set(
          m
            .filter((s) => s.name === 'pmip_mn_registrations_accepted_total')
            .map((s) => s.labels.access_point),
        ),
      ].filter(
        (ap) =>
          sum(m, 'pmip_mn_registrations_accepted_total', (l) => l.access_point === ap) >
          sum(afterFuzz, 'pmip_mn_registrations_accepted_total', (l) => l.access_point === ap),
      ).length;
    }
    const last = await scrape();
    const watchSeconds = (Date.now() - watchStart) / 1000;
    const relayedAfter =
      sum(last, 'pmip_fa_registration_requests_relayed_total') -
      sum(afterFuzz, 'pmip_fa_registration_requests_relayed_total');
    const agentRateAfter = (agentRequests(last) - agentRequests(afterFuzz)) / watchSeconds;
    const cpuAfterCores = (cpuSecondsOf(pid) - cpuAt) / watchSeconds;
    const dropsAfter = udpSocketsOf(pid).reduce((a, s) => a + s.drops, 0);

    console.log(
      [
        `live-fuzz: sent ${sent} datagrams (${(sentBytes / 1e6).toFixed(1)} MB) in ${(fuzzMs / 1000).toFixed(1)} s, ${sendErrors} send errors; ${repliesReceived} answers came back (${(replyBytes / 1e6).toFixed(2)} MB)`,
        `  per socket role: ${[...perRole].map(([k, v]) => `${k}: ${v}`).join('; ')}`,
        `  per shape: ${[...perShape].map(([k, v]) => `${k} ${v}`).join(', ')}`,
        `  kernel drops at the demo's sockets during the run: ${dropsAfter - dropsBefore}`,
        `  malformed datagrams counted: +${malformedRise} (${Object.entries(coverage)
          .map(([k, v]) => `${k} +${v}`)
          .join(', ')}); AAP messages refused +${refusedRise}; foreign agent 65 denials +${refused65}`,
        `  error kinds: ${[...errorKinds].map(([k, v]) => `${k}=${v}`).join(' ')}`,
        `  RSS ${(rssBefore / 2 ** 20).toFixed(0)} MB before, ${(rssMax / 2 ** 20).toFixed(0)} MB at most, ${(rssAfter / 2 ** 20).toFixed(0)} MB after`,
        `  CPU ${cpuIdleCores.toFixed(2)} cores before, ${(cpuFuzz / ((fuzzMs + 1000) / 1000)).toFixed(2)} during the fuzz, ${cpuAfterCores.toFixed(2)} after`,
        `  requests handled by the agents: ${agentRateBefore.toFixed(1)}/s before, ${agentRateAfter.toFixed(1)}/s after the fuzz (foreign agents relayed ${relayedAfter} in ${watchSeconds.toFixed(1)} s)`,
        `  registrations accepted: ${accepted(before)} before, ${acceptedAt} after the fuzz, ${acceptedLater} ${AFTER_MS / 1000} s later (${perApRise} of ${APS} access points)`,
        `  total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
    expect(acceptedLater - acceptedAt).toBeGreaterThanOrEqual(5);
    expect(perApRise).toBeGreaterThanOrEqual(APS / 2);
    // Nothing the fuzz left behind keeps the site busy: no loop, no storm.
    expect(agentRateAfter).toBeLessThan(5 * agentRateBefore + 100);
    expect(cpuAfterCores).toBeLessThan(MAX_CPU_AFTER_CORES);
    expect(proc.exitCode).toBeNull();

    // And it still stops cleanly.
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const stopAt = Date.now();
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5000);
  }, 120_000);
});
