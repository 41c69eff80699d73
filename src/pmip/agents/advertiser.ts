import {
  advertisementFlags,
  decodeIcmpMobility,
  encodeAgentAdvertisement,
  nextAdvertisementSequence,
  type AdvertisementFlags,
  type AgentAdvertisement,
} from '../wire/advertisement.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import { bindUdp, type BindDatagramSocket, type DatagramSocket, type Peer } from '../runtime/udp.ts';
import { IcmpEndpoint, isSolicitation } from '../runtime/icmp.ts';
import { checkPort } from '../wire/checks.ts';
import { peerKey, reportMalformed, type AgentEmitter } from './common.ts';

/**
 * Agent advertisement over the "advertisement link" adapter (RFC 5944 section 2): the ICMP router
 * advertisement with the Mobility Agent Advertisement Extension, carried in UDP datagrams because
 * loopback has no link-local multicast. One advertisement goes to every configured peer (the
 * access points' advertisement sockets) each interval; an Agent Solicitation (ICMP type 10)
 * arriving on the same socket is answered at once, unicast to the solicitor.
 */
export interface AdvertiserConfig {
  /** Address to bind; it is also the router address advertised and the source the listeners see. */
  address: string;
  /** Advertisement port (0 = any free port). */
  port: number;
  /** Period of unsolicited advertisements; 0 or absent: answer solicitations only. */
  intervalMs?: number;
  /** Where unsolicited advertisements go. */
  peers?: Peer[];
  /** R, B, H, F, M, G, r, T. */
  flags: Partial<AdvertisementFlags>;
  /** Care-of addresses offered (at least one when F is set). */
  careOfAddresses: string[];
  /** Longest registration lifetime the agent accepts, seconds. */
  registrationLifetime: number;
  /** First sequence number (default 0). Lets a test start near 0xffff to see the wrap to 256. */
  initialSequence?: number;
  /** ICMP router lifetime, seconds (default 3 x interval, RFC 1256; 1800 without an interval). */
  routerLifetimeSeconds?: number;
  /** Prefix-Lengths Extension (19): the prefix length of the router address. */
  prefixLength?: number;
  /**
   * `udp` (default): advertisements in UDP datagrams to `peers`. `icmp`: real ICMP router
   * advertisements on the interface of `address`, to `icmpTo` (default 224.0.0.1, all systems,
   * RFC 5944 section 2.3.1 / RFC 1256), and solicitations (type 10) from anyone answered at once,
   * unicast. Needs the raw-socket module and root or CAP_NET_RAW.
   */
  transport?: 'udp' | 'icmp';
  icmpTo?: string[];
}

export interface AdvertiserDeps {
  scheduler: Scheduler;
  /** Already stamped with the agent's identity (see agentEmitter). */
  emit: AgentEmitter;
  /** How to bind the UDP advertisement socket (default: a real UDP endpoint). */
  bind?: BindDatagramSocket;
}

const DEFAULT_ROUTER_LIFETIME_SECONDS = 1800;
const ALL_SYSTEMS = '224.0.0.1';
const ALL_ROUTERS = '224.0.0.2';
const ALL_MOBILITY_AGENTS = '224.0.0.11';

export class AgentAdvertiser {
  private timer: TimerHandle | undefined;
  private nextSequence: number;
  private readonly peerList = new Map<string, Peer>();
  private stopped = false;
  private icmp: IcmpEndpoint | undefined;

  private constructor(
    private readonly config: AdvertiserConfig,
    private readonly deps: AdvertiserDeps,
    private socket: DatagramSocket | undefined,
  ) {
    this.nextSequence = config.initialSequence ?? 0;
    for (const p of config.peers ?? []) this.peerList.set(peerKey(p), { ...p });
  }

  /** Binds the advertisement socket, sends the first advertisement and starts the period. */
  static async start(config: AdvertiserConfig, deps: AdvertiserDeps): Promise<AgentAdvertiser> {
    checkPort(config.port, 'advertisements.port');
    const seq = config.initialSequence ?? 0;
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff)
      throw new Error(`advertisements.initialSequence: ${seq} must be an integer from 0 to 65535`);
    const interval = config.intervalMs ?? 0;
    if (!Number.isFinite(interval) || interval < 0)
      throw new Error(`advertisements.intervalMs: ${interval} must be 0 or a positive number`);
    if (config.flags.F && config.careOfAddresses.length === 0)
      throw new Error('advertisements: a foreign agent (F flag) must advertise at least one care-of address');
    const adv = new AgentAdvertiser(config, deps, undefined);
    // Fail early on an advertisement that cannot be encoded (bad address, lifetime...).
    encodeAgentAdvertisement(adv.build(seq));
    if (config.transport === 'icmp') {
      adv.icmp = IcmpEndpoint.open({
        address: config.address,
        // RFC 5944 section 2.2: solicitations go to 224.0.0.11 (all mobility agents), RFC 1256
        // section 3 to 224.0.0.2 (all routers): hear both.
        joinGroups: [ALL_MOBILITY_AGENTS, ALL_ROUTERS],
        // The raw socket hears every ICMP message of the host: solicitations are answered at once
        // (RFC 5944 section 2.3), everything else (our own advertisements included) is ignored.
        onMessage: (icmp, from) => {
          if (isSolicitation(icmp) && from !== config.address) adv.advertise([{ address: from, port: 0 }]);
        },
      });
      adv.peerList.clear();
      for (const a of config.icmpTo ?? [ALL_SYSTEMS]) adv.peerList.set(a, { address: a, port: 0 });
    } else {
      adv.socket = await (deps.bind ?? bindUdp)({
        address: config.address,
        port: config.port,
        onDatagram: (payload, from) => adv.onDatagram(payload, from),
        onHandlerError: (error, from) => reportMalformed(deps.emit, 'advertisement', error, from),
      });
    }
    if (interval > 0) adv.tick();
    return adv;
  }

  get port(): number {
    return this.socket?.port ?? 0;
  }

  get address(): string {
    return this.config.address;
  }

  /** The sequence number the next advertisement will carry. */
  get sequence(): number {
    return this.nextSequence;
  }

  get peers(): Peer[] {
    return [...this.peerList.values()].map((p) => ({ ...p }));
  }

  /** Adds a listener for unsolicited advertisements (e.g. an access point that started later). */
  addPeer(peer: Peer): void {
    this.peerList.set(peerKey(peer), { ...peer });
  }

  removePeer(peer: Peer): void {
    this.peerList.delete(peerKey(peer));
  }

  /**
   * Sends one advertisement now to `to` (default: every peer). Returns the sequence number it
   * carried, or undefined when there was nobody to send to (no sequence number is used then).
   */
  advertise(to?: Peer[]): number | undefined {
    const targets = to ?? [...this.peerList.values()];
    const socket = this.socket;
    const icmp = this.icmp;
    if (this.stopped || (!socket && !icmp) || targets.length === 0) return undefined;
    const sequence = this.nextSequence;
    const bytes = encodeAgentAdvertisement(this.build(sequence));
    this.nextSequence = nextAdvertisementSequence(sequence);
    for (const t of targets) {
      try {
        if (icmp) icmp.send(bytes, t.address);
        else socket!.send(bytes, t);
      } catch {
        // A closed socket or an unreachable peer: the advertisement is lost, like on a real link.
      }
    }
    this.deps.emit({ type: 'advertisement-sent', sequence });
    return sequence;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.icmp?.close();
    this.icmp = undefined;
    await socket?.close();
  }

  private tick(): void {
    if (this.stopped) return;
    this.advertise();
    this.timer = this.deps.scheduler.after(this.config.intervalMs ?? 0, () => this.tick());
  }

  private onDatagram(payload: Buffer, from: Peer): void {
    if (this.stopped) return;
    let message;
    try {
      message = decodeIcmpMobility(payload);
    } catch (error) {
      reportMalformed(this.deps.emit, 'advertisement', error, from);
      return;
    }
    // Another agent's advertisement on the shared link is not for us; a solicitation is.
    if (message.type === 'agent-solicitation') this.advertise([from]);
  }

  private build(sequence: number): AgentAdvertisement {
    const interval = this.config.intervalMs ?? 0;
    const routerLifetime =
      this.config.routerLifetimeSeconds ??
      (interval > 0
        ? Math.min(0xffff, Math.max(1, Math.ceil((3 * interval) / 1000)))
        : DEFAULT_ROUTER_LIFETIME_SECONDS);
    const adv: AgentAdvertisement = {
      type: 'agent-advertisement',
      icmpCode: 0,
      routerLifetime,
      routerAddresses: [{ address: this.config.address, preference: 0 }],
      sequence,
      registrationLifetime: this.config.registrationLifetime,
      flags: advertisementFlags(this.config.flags),
      careOfAddresses: [...this.config.careOfAddresses],
      padding: 0,
    };
    if (this.config.prefixLength !== undefined) adv.prefixLengths = [this.config.prefixLength];
    return adv;
  }
}
