import { createSocket } from 'node:dgram';
import { HomeAgent } from '../../src/pmip/agents/home-agent.ts';
import { ForeignAgent } from '../../src/pmip/agents/foreign-agent.ts';
import {
  AccessPoint,
  type AccessPointConfig,
  type ClientLocation,
} from '../../src/pmip/proxy/access-point.ts';
import { FakeScheduler, skewedScheduler } from '../../src/pmip/runtime/scheduler.ts';
import { SimulatedDataPlane } from '../../src/pmip/runtime/data-plane.ts';
import { LocalSecurityAssociations, type LocalBinding } from '../../src/pmip/security/store.ts';
import { SubnetMapTable } from '../../src/pmip/subnet-map/table.ts';
import { seededRandom } from '../../src/pmip/wire/identification.ts';
import type { AuthAlgorithm } from '../../src/pmip/wire/auth.ts';
import type { PmipEventType, ReplayMode } from '../../src/pmip/events.ts';
import { EventRecorder, type EventOf } from './event-recorder.ts';

/**
 * A small lab site on loopback, all real UDP: three subnets 127.0.N.0/24 (N = 1, 2, 3), each with a
 * home agent at .1, a foreign agent at .2 and an access point at .10. Every agent listens on the
 * same free port on its own address (like the demo). One fake clock drives every node; an access
 * point may run a skewed clock.
 */
export const SUBNETS = ['A', 'B', 'C'] as const;
export type SubnetName = (typeof SUBNETS)[number];
export const NET: Record<SubnetName, number> = { A: 1, B: 2, C: 3 };
export const HA = (s: SubnetName): string => `127.0.${NET[s]}.1`;
export const FA = (s: SubnetName): string => `127.0.${NET[s]}.2`;
export const AP = (s: SubnetName): string => `127.0.${NET[s]}.10`;

export const KEY = '0123456789abcdef0123456789abcdef';
export const WRONG_KEY = 'fedcba9876543210fedcba9876543210';

export interface LabOptions {
  replay?: ReplayMode;
  algorithm?: AuthAlgorithm;
  /** Clock skew per access point, ms (positive: ahead). */
  apClockOffsetMs?: Partial<Record<SubnetName, number>>;
  /** Longest lifetime each foreign agent accepts (default 600). */
  faMaxLifetime?: Partial<Record<SubnetName, number>>;
  /** Access points use a static foreign agent (no discovery) with no advertised maximum. */
  staticForeignAgents?: boolean;
  /** Key the access points use for these client addresses (default: the right one). */
  apKeyFor?: Record<string, string>;
  lifetime?: number;
  retryAfterFailureMs?: number;
}

export { EventRecorder };

/** Polls (real time) until `predicate` holds. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets in-flight datagrams land: real time passes, the fake clock does not. */
export function settle(ms = 60): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function freeUdpPort(address: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export class Lab {
  readonly scheduler = new FakeScheduler(Date.UTC(2026, 10, 28, 12, 0, 0));
  readonly recorder = new EventRecorder();
  readonly homeAgents = new Map<SubnetName, HomeAgent>();
  readonly foreignAgents = new Map<SubnetName, ForeignAgent>();
  readonly accessPoints = new Map<SubnetName, AccessPoint>();
  readonly dataPlanes = new Map<string, SimulatedDataPlane>();
  readonly locations = new Map<string, ClientLocation>();
  readonly subnetMap = new SubnetMapTable();
  readonly haSas: LocalSecurityAssociations;
  port = 0;

  constructor(readonly options: LabOptions) {
    this.haSas = new LocalSecurityAssociations(this.bindings(KEY));
    for (const s of SUBNETS) this.subnetMap.upsert(HA(s), '255.255.255.0', 'config', this.scheduler.now());
  }

  /** One binding per subnet's client range, and per-address overrides for the AP side. */
  bindings(key: string, overrides: Record<string, string> = {}): LocalBinding[] {
    const replay = this.options.replay ?? 'timestamp';
    const algorithm = this.options.algorithm ?? 'prefix-suffix';
    const out: LocalBinding[] = SUBNETS.map((s, i) => ({
      address: `127.0.${NET[s]}.32`,
      rangeEnd: `127.0.${NET[s]}.254`,
      spi: 256 + i,
      keyHex: key,
      algorithm,
      replay,
    }));
    for (const [address, k] of Object.entries(overrides)) {
      const s = SUBNETS.find((x) => address.startsWith(`127.0.${NET[x]}.`))!;
      out.push({ address, spi: 256 + SUBNETS.indexOf(s), keyHex: k, algorithm, replay });
    }
    return out;
  }

  async startHomeAgent(s: SubnetName): Promise<HomeAgent> {
    const ha = await HomeAgent.start(
      {
        id: `ha-${s}`,
        address: HA(s),
        port: this.port,
        subnet: `127.0.${NET[s]}.0/24`,
        maxLifetime: 1800,
        securityAssociations: this.haSas,
      },
      { scheduler: this.scheduler, random: seededRandom(100 + NET[s]), emit: this.recorder.emit },
    );
    this.homeAgents.set(s, ha);
    return ha;
  }

  async start(): Promise<this> {
    this.port = await freeUdpPort('127.0.1.1');
    for (const s of SUBNETS) await this.startHomeAgent(s);
    const apSas = new LocalSecurityAssociations(this.bindings(KEY, this.options.apKeyFor));
    for (const s of SUBNETS) {
      const offset = this.options.apClockOffsetMs?.[s] ?? 0;
      const dataPlane = new SimulatedDataPlane();
      this.dataPlanes.set(`ap-${s}`, dataPlane);
      const config: AccessPointConfig = {
        id: `ap-${s}`,
        address: AP(s),
        subnet: `127.0.${NET[s]}.0/24`,
        ssids: [{ name: 'corp', pmip: true }],
        aaps: ['127.0.1.10'],
        homeAgentPort: this.port,
        foreignAgentPort: this.port,
        lifetime: this.options.lifetime ?? 600,
        retryAfterFailureMs: this.options.retryAfterFailureMs ?? 5000,
      };
      if (this.options.staticForeignAgents) config.foreignAgent = { address: FA(s), port: this.port };
      const ap = await AccessPoint.start(config, {
        scheduler: offset ? skewedScheduler(this.scheduler, offset) : this.scheduler,
        random: seededRandom(200 + NET[s]),
        emit: this.recorder.emit,
        dataPlane,
        securityAssociations: apSas,
        subnetMap: this.subnetMap,
        locations: this.locations,
      });
      this.accessPoints.set(s, ap);
    }
    for (const s of SUBNETS) {
      const ap = this.accessPoints.get(s)!;
      const fa = await ForeignAgent.start(
        {
          id: `fa-${s}`,
          address: FA(s),
          port: this.port,
          maxLifetime: this.options.faMaxLifetime?.[s] ?? 600,
          homeAgentPort: this.port,
          ...(this.options.staticForeignAgents
            ? {}
            : {
                advertisements: {
                  intervalMs: 10_000,
                  peers: [{ address: AP(s), port: ap.ports.advertisement! }],
                },
              }),
        },
        { scheduler: this.scheduler, random: seededRandom(300 + NET[s]), emit: this.recorder.emit },
      );
      this.foreignAgents.set(s, fa);
    }
    if (!this.options.staticForeignAgents) {
      // Each access point hears its foreign agent's first advertisement.
      await waitUntil(
        () => SUBNETS.every((s) => this.accessPoints.get(s)!.knownAgents().length > 0),
        'every access point to hear its foreign agent',
      );
    }
    return this;
  }

  /**
   * One more access point on subnet B (besides ap-B), on the lab's clock, home agents and subnet
   * map, with the right keys: `config` gives its id, address and whatever differs.
   */
  async extraAccessPoint(
    config: Pick<AccessPointConfig, 'id' | 'address'> & Partial<AccessPointConfig>,
    seed: number,
  ): Promise<AccessPoint> {
    return AccessPoint.start(
      {
        subnet: '127.0.2.0/24',
        ssids: [{ name: 'corp', pmip: true }],
        aaps: ['127.0.1.10'],
        homeAgentPort: this.port,
        foreignAgentPort: this.port,
        ...config,
      },
      {
        scheduler: this.scheduler,
        random: seededRandom(seed),
        emit: this.recorder.emit,
        dataPlane: { apply: () => undefined },
        securityAssociations: new LocalSecurityAssociations(this.bindings(KEY)),
        subnetMap: this.subnetMap,
      },
    );
  }

  ap(s: SubnetName): AccessPoint {
    return this.accessPoints.get(s)!;
  }
  ha(s: SubnetName): HomeAgent {
    return this.homeAgents.get(s)!;
  }
  fa(s: SubnetName): ForeignAgent {
    return this.foreignAgents.get(s)!;
  }

  async waitFor<T extends PmipEventType>(
    type: T,
    match: (e: EventOf<T>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<EventOf<T>> {
    let found: EventOf<T> | undefined;
    await waitUntil(
      () => {
        found = this.recorder.of(type).find(match);
        return found !== undefined;
      },
      `a ${type} event`,
      timeoutMs,
    );
    return found!;
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...[...this.accessPoints.values()].map((x) => x.stop()),
      ...[...this.foreignAgents.values()].map((x) => x.stop()),
      ...[...this.homeAgents.values()].map((x) => x.stop()),
    ]);
  }
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  return new Lab(options).start();
}
