import {
  MESSAGE_TYPE_REPLY,
  MESSAGE_TYPE_REQUEST,
  decodeRegistrationLayout,
  encodeRegistration,
  identificationLow,
  identificationToHex,
  ipv4ToUint32,
  replyCode,
  type AdvertisementFlags,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
} from '../wire/index.ts';
import { ReplyCode } from '../wire/reply-codes.ts';
import type { RegistrationKind } from '../events.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import { UdpEndpoint, type Peer } from '../runtime/udp.ts';
import { AgentAdvertiser } from './advertiser.ts';
import {
  HolderPool,
  TokenBuckets,
  evictionFor,
  homeAgentRefusal,
  isLoopback,
  ownAddresses,
  parseServedHomeAgents,
  type HomeAgentPolicy,
  type RateLimitConfig,
} from './fa-hardening.ts';
import {
  agentEmitter,
  checkLifetime,
  checkPort,
  errorKindOf,
  lifetimeMs,
  reportLenient,
  reportMalformed,
  type AgentDeps,
  type AgentEmitter,
} from './common.ts';

/**
 * A foreign agent after RFC 5944 section 3.7: checks Registration Requests against what it
 * offers (lifetime, encapsulation, reverse tunnel), relays them unchanged to the home agent,
 * keeps the pending list, relays the home agent's replies unchanged back to the requester and
 * keeps the visitor list with expiry. Requests and replies share one UDP socket.
 */
export interface ForeignAgentAdvertisementConfig {
  /** Period of unsolicited advertisements; 0 or absent: answer solicitations only. */
  intervalMs?: number;
  /** Where advertisements go (the access points' advertisement sockets). */
  peers?: Peer[];
  /** Advertisement port to bind (0 = any free port; default 0). */
  port?: number;
  /** The R flag: registration required even with a co-located care-of address (default true). */
  registrationRequired?: boolean;
  /** The B flag (default false). */
  busy?: boolean;
  /** First sequence number (default 0). */
  initialSequence?: number;
  /** Flags added to the ones derived from the configuration (e.g. H when also a home agent). */
  flags?: Partial<AdvertisementFlags>;
  /** `udp` (default) or `icmp`: real ICMP router advertisements on the agent's interface (see AgentAdvertiser). */
  transport?: 'udp' | 'icmp';
  /** ICMP: where unsolicited advertisements go (default 224.0.0.1). */
  icmpTo?: string[];
}

/** The port a home agent listens on: one port for all, per address, or a function. */
export type HomeAgentPorts =
  number | ReadonlyMap<string, number> | ((homeAgent: string) => number | undefined);

export interface ForeignAgentConfig {
  id: string;
  /** The foreign agent's address (bound; requests, replies and advertisements use it). */
  address: string;
  /** Registration port (RFC 5944: 434; 0 = any free port, see `port` once started). */
  port: number;
  /** The care-of address offered (default: `address`). */
  careOfAddress?: string;
  /** Longest registration lifetime accepted, seconds (longer: 69). */
  maxLifetime: number;
  /** Encapsulations offered besides IP-in-IP (default: none). */
  encapsulations?: { gre?: boolean; minimal?: boolean };
  /** Whether reverse tunnelling is offered (default false; T without it: 74). */
  reverseTunnel?: boolean;
  /** Where home agents listen (default: this agent's own registration port). */
  homeAgentPort?: HomeAgentPorts;
  /** How long a relayed request waits for the home agent's reply (default 7000 ms). */
  pendingTimeoutMs?: number;
  /**
   * Most pending requests held at once (default 10000). When full, the oldest entry of the source
   * holding the most is evicted (its requester gets 66); a requester that is itself the biggest
   * holder gets 66 instead.
   */
  maxPending?: number;
  /** Most pending requests per source address (default maxPending / 10, at least 1; beyond: 66). */
  maxPendingPerSource?: number;
  /** Most pending requests per home agent (default maxPending / 2, at least 1; full: as maxPending). */
  maxPendingPerHomeAgent?: number;
  /** Most visitors (default 10000); a new registration beyond it gets 66. */
  maxVisitors?: number;
  /**
   * The home agents served: addresses or CIDR prefixes. When set, a request for any other home
   * agent gets 65. Absent: any home agent that is not refused for other reasons (docs/agents.md).
   */
  servedHomeAgents?: string[];
  /**
   * Token buckets on relayed requests, per source address and overall; `false` turns one off.
   * Defaults: per source 200/s with a burst of 1000, overall 2000/s with a burst of 5000. A
   * request over the limit gets 66.
   */
  relayRateLimit?: { perSource?: RateLimitConfig | false; overall?: RateLimitConfig | false };
  /** Periodic agent advertisements with the F flag. */
  advertisements?: ForeignAgentAdvertisementConfig;
}

export interface PendingView {
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  /** The request's identification, 16 hex digits. */
  identification: string;
  /** Requested lifetime, seconds. */
  lifetime: number;
  /** Who sent the request (the access point) and gets the reply. */
  requester: Peer;
  receivedAt: number;
  expiresAt: number;
}

export interface VisitorView {
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  /** Granted lifetime, seconds (65535 = infinite). */
  lifetime: number;
  registeredAt: number;
  /** Absent for the infinite lifetime. */
  expiresAt?: number;
  remainingSeconds?: number;
  requester: Peer;
  identification: string;
  encapsulation: 'ip-in-ip' | 'gre' | 'minimal';
  reverseTunnel: boolean;
}

export interface ForeignAgentStats {
  requestsReceived: number;
  requestsRelayed: number;
  /** Requests the foreign agent denied itself. */
  denied: number;
  /** The foreign agent's own denials, per code. */
  deniedByCode: Record<number, number>;
  repliesReceived: number;
  repliesRelayed: number;
  repliesDroppedNoPending: number;
  repliesDroppedPoorlyFormed: number;
  /** Replies dropped because they did not come from the home agent endpoint the request went to. */
  repliesDroppedUnexpectedSource: number;
  pendingTimeouts: number;
  /** Requests refused (65) for their Home Agent field: own, broadcast, multicast, loopback, not served. */
  homeAgentRefused: number;
  /** Requests from this agent's own registration endpoint: never relayed nor answered (counted as 65). */
  ownEndpointDropped: number;
  /** Requests refused (66) by the relay rate limit. */
  relaysRateLimited: number;
  /** Requests refused (66) by the pending limits (per source, per home agent, table full). */
  pendingLimited: number;
  /** Pending requests evicted to make room for another source's (their requester gets 66). */
  pendingEvicted: number;
  /** Registrations refused (66) because the visitor table was full. */
  visitorTableFull: number;
  /** Acceptances whose lifetime was above the requested one or the maximum, recorded capped. */
  visitorLifetimesCapped: number;
  visitorsAdded: number;
  visitorsRemoved: number;
  malformedDatagrams: number;
  advertisementsSent: number;
}

interface PendingRecord {
  key: string;
  request: RegistrationRequest;
  deregistration: boolean;
  requester: Peer;
  /** Where the request was relayed: only a reply from exactly this address and port counts. */
  homeAgent: Peer;
  receivedAt: number;
  expiresAt: number;
  timer: TimerHandle;
}

interface VisitorRecord {
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  lifetime: number;
  registeredAt: number;
  expiresAt?: number;
  requester: Peer;
  identification: bigint;
  encapsulation: 'ip-in-ip' | 'gre' | 'minimal';
  reverseTunnel: boolean;
  timer?: TimerHandle;
}

const DEFAULT_PENDING_TIMEOUT_MS = 7000;
const DEFAULT_MAX_PENDING = 10_000;
const DEFAULT_MAX_VISITORS = 10_000;
const DEFAULT_RELAY_PER_SOURCE: RateLimitConfig = { ratePerSecond: 200, burst: 1000 };
const DEFAULT_RELAY_OVERALL: RateLimitConfig = { ratePerSecond: 2000, burst: 5000 };
const ZERO_ADDRESS = '0.0.0.0';
/** RFC 5944 section 3.4: the foreign agent's "administratively prohibited". */
const FA_ADMINISTRATIVELY_PROHIBITED = 65;
const FA_INSUFFICIENT_RESOURCES = 66;
const FA_REVERSE_TUNNEL_UNAVAILABLE = 74;
const FA_INVALID_CARE_OF_ADDRESS = 77;

function pendingKey(homeAddress: string, identification: bigint): string {
  return `${homeAddress}/${identificationLow(identification)}`;
}

export class ForeignAgent {
  private readonly pendingList = new Map<string, PendingRecord>();
  private readonly visitorList = new Map<string, VisitorRecord>();
  private readonly counters: Omit<ForeignAgentStats, 'deniedByCode' | 'advertisementsSent'> = {
    requestsReceived: 0,
    requestsRelayed: 0,
    denied: 0,
    repliesReceived: 0,
    repliesRelayed: 0,
    repliesDroppedNoPending: 0,
    repliesDroppedPoorlyFormed: 0,
    repliesDroppedUnexpectedSource: 0,
    pendingTimeouts: 0,
    homeAgentRefused: 0,
    ownEndpointDropped: 0,
    relaysRateLimited: 0,
    pendingLimited: 0,
    pendingEvicted: 0,
    visitorTableFull: 0,
    visitorLifetimesCapped: 0,
    visitorsAdded: 0,
    visitorsRemoved: 0,
    malformedDatagrams: 0,
  };
  private readonly byCode = new Map<number, number>();
  private readonly emit: AgentEmitter;
  private socket: UdpEndpoint | undefined;
  private advertiserInstance: AgentAdvertiser | undefined;
  private stopped = false;
  readonly careOfAddress: string;
  private readonly gre: boolean;
  private readonly minimal: boolean;
  private readonly reverse: boolean;
  private readonly pendingTimeoutMs: number;
  private readonly maxPending: number;
  private readonly maxPendingPerSource: number;
  private readonly maxPendingPerHomeAgent: number;
  private readonly maxVisitors: number;
  /** Pending requests by source address, and per home agent by source address. */
  private readonly pendingBySource = new HolderPool<PendingRecord>();
  private readonly pendingByHomeAgent = new Map<string, HolderPool<PendingRecord>>();
  private readonly homeAgentPolicy: HomeAgentPolicy;
  private readonly wildcard: boolean;
  private readonly relayPerSource: TokenBuckets | undefined;
  private readonly relayOverall: TokenBuckets | undefined;

  private constructor(
    readonly config: ForeignAgentConfig,
    private readonly deps: AgentDeps,
  ) {
    const field = `foreignAgents[${config.id}]`;
    ipv4ToUint32(config.address, `${field}.address`);
    checkPort(config.port, `${field}.port`);
    checkLifetime(config.maxLifetime, `${field}.maxLifetime`);
    this.careOfAddress = config.careOfAddress ?? config.address;
    ipv4ToUint32(this.careOfAddress, `${field}.careOfAddress`);
    this.gre = config.encapsulations?.gre ?? false;
    this.minimal = config.encapsulations?.minimal ?? false;
    this.reverse = config.reverseTunnel ?? false;
    this.pendingTimeoutMs = config.pendingTimeoutMs ?? DEFAULT_PENDING_TIMEOUT_MS;
    if (!Number.isFinite(this.pendingTimeoutMs) || this.pendingTimeoutMs <= 0)
      throw new Error(`${field}.pendingTimeoutMs: must be a positive number of milliseconds`);
    this.maxPending = config.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1)
      throw new Error(`${field}.maxPending: must be an integer >= 1`);
    const positive = (value: number | undefined, fallback: number, name: string): number => {
      const v = value ?? fallback;
      if (!Number.isInteger(v) || v < 1) throw new Error(`${field}.${name}: must be an integer >= 1`);
      return v;
    };
    this.maxPendingPerSource = positive(
      config.maxPendingPerSource,
      Math.max(1, Math.floor(this.maxPending / 10)),
      'maxPendingPerSource',
    );
    this.maxPendingPerHomeAgent = positive(
      config.maxPendingPerHomeAgent,
      Math.max(1, Math.floor(this.maxPending / 2)),
      'maxPendingPerHomeAgent',
    );
    this.maxVisitors = positive(config.maxVisitors, DEFAULT_MAX_VISITORS, 'maxVisitors');
    this.wildcard = config.address === ZERO_ADDRESS;
    const policy: HomeAgentPolicy = {
      own: ownAddresses(config.address, this.careOfAddress),
      // Loopback home agents only for a foreign agent on loopback itself (lab and tests); a
      // wildcard-bound agent is reached on every loopback address, so none is acceptable.
      loopbackAllowed: !this.wildcard && isLoopback(ipv4ToUint32(config.address)),
    };
    if (config.servedHomeAgents !== undefined)
      policy.served = parseServedHomeAgents(config.servedHomeAgents, `${field}.servedHomeAgents`);
    this.homeAgentPolicy = policy;
    const limits = config.relayRateLimit ?? {};
    const perSource = limits.perSource ?? DEFAULT_RELAY_PER_SOURCE;
    const overall = limits.overall ?? DEFAULT_RELAY_OVERALL;
    this.relayPerSource =
      perSource === false ? undefined : new TokenBuckets(perSource, `${field}.relayRateLimit.perSource`);
    this.relayOverall =
      overall === false ? undefined : new TokenBuckets(overall, `${field}.relayRateLimit.overall`, 1);
    if (typeof config.homeAgentPort === 'number') checkPort(config.homeAgentPort, `${field}.homeAgentPort`);
    this.emit = agentEmitter(deps.emit, deps.scheduler, config.id, 'foreign-agent');
  }

  /** Validates the configuration, binds the registration socket (and the advertiser) and starts. */
  static async start(config: ForeignAgentConfig, deps: AgentDeps): Promise<ForeignAgent> {
    const fa = new ForeignAgent(config, deps);
    try {
      fa.socket = await UdpEndpoint.bind({
        address: config.address,
        port: config.port,
        // Home agents may be reached at a subnet-directed broadcast address.
        broadcast: true,
        onDatagram: (payload, from) => fa.onDatagram(payload, from),
        onHandlerError: (error, from) => fa.malformed(error, from),
      });
      const adv = config.advertisements;
      if (adv) {
        fa.advertiserInstance = await AgentAdvertiser.start(
          {
            address: config.address,
            port: adv.port ?? 0,
            intervalMs: adv.intervalMs ?? 0,
            peers: adv.peers ?? [],
            flags: {
              ...adv.flags,
              F: true,
              R: adv.registrationRequired ?? true,
              B: adv.busy ?? false,
              M: fa.minimal,
              G: fa.gre,
              T: fa.reverse,
            },
            careOfAddresses: [fa.careOfAddress],
            registrationLifetime: config.maxLifetime,
            initialSequence: adv.initialSequence ?? 0,
            ...(adv.transport ? { transport: adv.transport } : {}),
            ...(adv.icmpTo ? { icmpTo: adv.icmpTo } : {}),
          },
          { scheduler: deps.scheduler, emit: fa.emit },
        );
      }
    } catch (error) {
      await fa.stop();
      throw error;
    }
    return fa;
  }

  get id(): string {
    return this.config.id;
  }

  get address(): string {
    return this.config.address;
  }

  /** The bound registration port (useful when 0 was configured). */
  get port(): number {
    return this.socket?.port ?? 0;
  }

  get advertiser(): AgentAdvertiser | undefined {
    return this.advertiserInstance;
  }

  /** The visitor list (faVisitorTable). */
  visitors(): VisitorView[] {
    const now = this.deps.scheduler.now();
    return [...this.visitorList.values()].map((v) => {
      const view: VisitorView = {
        homeAddress: v.homeAddress,
        homeAgent: v.homeAgent,
        careOfAddress: v.careOfAddress,
        lifetime: v.lifetime,
        registeredAt: v.registeredAt,
        requester: { ...v.requester },
        identification: identificationToHex(v.identification),
        encapsulation: v.encapsulation,
        reverseTunnel: v.reverseTunnel,
      };
      if (v.expiresAt !== undefined) {
        view.expiresAt = v.expiresAt;
        view.remainingSeconds = Math.max(0, Math.ceil((v.expiresAt - now) / 1000));
      }
      return view;
    });
  }

  /** Requests relayed to a home agent and not yet answered. */
  pending(): PendingView[] {
    return [...this.pendingList.values()].map((p) => ({
      homeAddress: p.request.homeAddress,
      homeAgent: p.request.homeAgent,
      careOfAddress: p.request.careOfAddress,
      identification: identificationToHex(p.request.identification),
      lifetime: p.request.lifetime,
      requester: { ...p.requester },
      receivedAt: p.receivedAt,
      expiresAt: p.expiresAt,
    }));
  }

  get stats(): Readonly<ForeignAgentStats> {
    const deniedByCode: Record<number, number> = {};
    for (const [code, n] of this.byCode) deniedByCode[code] = n;
    return Object.freeze({
      ...this.counters,
      deniedByCode,
      advertisementsSent: this.advertiserInstance?.sent ?? 0,
    });
  }

  /** Stops the timers and closes the sockets. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pendingList.values()) p.timer.cancel();
    for (const v of this.visitorList.values()) {
      v.timer?.cancel();
      delete v.timer;
    }
    const socket = this.socket;
    this.socket = undefined;
    await Promise.all([socket?.close(), this.advertiserInstance?.stop()]);
  }

  // ---- receiving ----------------------------------------------------------------------------------

  private malformed(error: unknown, from: Peer): void {
    this.counters.malformedDatagrams++;
    reportMalformed(this.emit, 'registration', error, from);
  }

  private onDatagram(payload: Buffer, from: Peer): void {
    if (this.stopped) return;
    let decoded: DecodedRegistration;
    try {
      decoded = decodeRegistrationLayout(payload);
    } catch (error) {
      if (payload[0] === MESSAGE_TYPE_REPLY) {
        // Section 3.7.3: a reply that does not parse is dropped (and counted as poorly formed).
        this.counters.repliesDroppedPoorlyFormed++;
        this.emit({ type: 'reply-dropped', reason: 'poorly-formed' });
      }
      this.counters.malformedDatagrams++;
      this.emit({
        type: 'malformed-datagram',
        socket: 'registration',
        errorKind: errorKindOf(error),
        peer: from.address,
      });
      return;
    }
    reportLenient(this.emit, 'registration', decoded.message.extensions, from);
    if (payload[0] === MESSAGE_TYPE_REQUEST)
      this.onRequest(decoded as DecodedRegistration<RegistrationRequest>, from);
    else this.onReply(decoded as DecodedRegistration<RegistrationReply>, from);
  }

  // ---- requests from access points (section 3.7.2) ------------------------------------------------

  private onRequest(decoded: DecodedRegistration<RegistrationRequest>, from: Peer): void {
    const req = decoded.message;
    const deregistration = req.lifetime === 0 || req.careOfAddress === req.homeAddress;
    const kind: RegistrationKind = deregistration
      ? 'deregistration'
      : this.visitorList.has(req.homeAddress)
        ? 'renewal'
        : 'initial';
    this.counters.requestsReceived++;
    this.emit({
      type: 'request-received',
      kind,
      homeAddress: req.homeAddress,
      careOfAddress: req.careOfAddress,
    });

    if (this.isOwnEndpoint(from)) {
      // Section 3.7: a foreign agent transmits a Registration Request only when relaying one from
      // a mobile node to its home agent, and a Reply only to such a node. What comes from our
      // own registration endpoint is neither: relaying it (or answering it) is a loop.
      this.counters.ownEndpointDropped++;
      this.deny(FA_ADMINISTRATIVELY_PROHIBITED, req, undefined);
      return;
    }
    const denial = this.check(req, deregistration, from.address);
    if (denial !== undefined) {
      this.deny(denial, req, from);
      return;
    }
    const socket = this.socket;
    if (!socket) return;

    const key = pendingKey(req.homeAddress, req.identification);
    // A repeated request with the same key supersedes the pending one (its room is reused).
    const previous = this.pendingList.get(key);
    if (previous) this.removePending(previous);
    const room = this.makeRoom(from.address, req.homeAgent);
    if (room === 'full') {
      this.counters.pendingLimited++;
      this.deny(FA_INSUFFICIENT_RESOURCES, req, from);
      return;
    }
    const homeAgent: Peer = { address: req.homeAgent, port: this.homeAgentPort(req.homeAgent) };
    try {
      // Relayed unchanged: the Mobile-Home authenticator covers every byte before it.
      socket.send(decoded.bytes, homeAgent);
    } catch {
      return;
    }
    const now = this.deps.scheduler.now();
    this.relayPerSource?.take(from.address, now);
    this.relayOverall?.take('', now);
    if (room !== undefined) {
      // The table (or this home agent's share) is full: the biggest holder pays, with a 66.
      this.removePending(room);
      this.counters.pendingEvicted++;
      this.deny(FA_INSUFFICIENT_RESOURCES, room.request, room.requester);
    }
    const record: PendingRecord = {
      key,
      request: req,
      deregistration,
      requester: { ...from },
      homeAgent,
      receivedAt: now,
      expiresAt: now + this.pendingTimeoutMs,
      timer: this.deps.scheduler.after(this.pendingTimeoutMs, () => this.pendingTimedOut(record)),
    };
    this.addPending(record);
    this.counters.requestsRelayed++;
    this.emit({ type: 'request-relayed', homeAddress: req.homeAddress, homeAgent: req.homeAgent });
  }

  /** The denial code for a request this agent cannot serve, or undefined to relay it. */
  private check(req: RegistrationRequest, deregistration: boolean, source: string): number | undefined {
    if (req.homeAddress === ZERO_ADDRESS || req.homeAgent === ZERO_ADDRESS)
      return ReplyCode.faPoorlyFormedRequest;
    // Section 3.7 allows a Registration Request to be transmitted only towards the mobile node's
    // home agent. Its own addresses, broadcast, multicast and reserved addresses, loopback (from
    // an agent not on loopback) and home agents outside `servedHomeAgents` cannot be that, and
    // relaying there loops or reflects: refused as a matter of policy with 65, "administratively
    // prohibited" (section 3.4). Not 80 (home network unreachable): that one reports an ICMP error.
    if (homeAgentRefusal(req.homeAgent, this.homeAgentPolicy) !== undefined) {
      this.counters.homeAgentRefused++;
      return FA_ADMINISTRATIVELY_PROHIBITED;
    }
    if (req.lifetime > this.config.maxLifetime) return ReplyCode.faLifetimeTooLong;
    const asked = req.flags.G || req.flags.M;
    if (asked && !((req.flags.G && this.gre) || (req.flags.M && this.minimal)))
      return ReplyCode.faEncapsulationUnavailable;
    if (req.flags.T && !this.reverse) return FA_REVERSE_TUNNEL_UNAVAILABLE;
    if (!deregistration && req.careOfAddress !== this.careOfAddress) return FA_INVALID_CARE_OF_ADDRESS;
    if (!deregistration && this.visitorTableFull(req.homeAddress)) {
      this.counters.visitorTableFull++;
      return FA_INSUFFICIENT_RESOURCES;
    }
    const now = this.deps.scheduler.now();
    if (
      (this.relayPerSource && !this.relayPerSource.has(source, now)) ||
      (this.relayOverall && !this.relayOverall.has('', now))
    ) {
      this.counters.relaysRateLimited++;
      return FA_INSUFFICIENT_RESOURCES;
    }
    return undefined;
  }

  /** True when a new visitor (not `homeAddress` already) would not fit. */
  private visitorTableFull(homeAddress: string): boolean {
    return !this.visitorList.has(homeAddress) && this.visitorList.size >= this.maxVisitors;
  }

  /** From this agent's own registration endpoint (any local address when bound to 0.0.0.0). */
  private isOwnEndpoint(from: Peer): boolean {
    if (from.port !== this.port) return false;
    const u = ipv4ToUint32(from.address);
    return this.homeAgentPolicy.own.has(u) || (this.wildcard && isLoopback(u));
  }

  /**
   * Room for one more pending request from `source` to `homeAgent`: undefined when there is room,
   * the entry to evict (the oldest of the biggest holder) when a pool is full, or 'full' when the
   * source is over its own limit or is itself the biggest holder of the full pool.
   */
  private makeRoom(source: string, homeAgent: string): PendingRecord | 'full' | undefined {
    if (this.pendingBySource.count(source) >= this.maxPendingPerSource) return 'full';
    const perHomeAgent = this.pendingByHomeAgent.get(homeAgent);
    if (perHomeAgent && perHomeAgent.size >= this.maxPendingPerHomeAgent)
      return evictionFor(perHomeAgent, source) ?? 'full';
    if (this.pendingBySource.size >= this.maxPending)
      return evictionFor(this.pendingBySource, source) ?? 'full';
    return undefined;
  }

  private addPending(record: PendingRecord): void {
    const source = record.requester.address;
    this.pendingList.set(record.key, record);
    this.pendingBySource.add(source, record);
    let pool = this.pendingByHomeAgent.get(record.request.homeAgent);
    if (!pool) {
      pool = new HolderPool();
      this.pendingByHomeAgent.set(record.request.homeAgent, pool);
    }
    pool.add(source, record);
  }

  private removePending(record: PendingRecord): void {
    record.timer.cancel();
    if (this.pendingList.get(record.key) === record) this.pendingList.delete(record.key);
    const source = record.requester.address;
    this.pendingBySource.remove(source, record);
    const pool = this.pendingByHomeAgent.get(record.request.homeAgent);
    if (pool) {
      pool.remove(source, record);
      if (pool.size === 0) this.pendingByHomeAgent.delete(record.request.homeAgent);
    }
  }

  private homeAgentPort(homeAgent: string): number {
    const ports = this.config.homeAgentPort;
    const own = this.port;
    if (ports === undefined) return own;
    if (typeof ports === 'number') return ports;
    if (typeof ports === 'function') return ports(homeAgent) ?? own;
    return ports.get(homeAgent) ?? own;
  }

  private pendingTimedOut(record: PendingRecord): void {
    if (this.stopped || this.pendingList.get(record.key) !== record) return;
    // No reply from the home agent: forget the request. The requester retransmits; the foreign
    // agent never answers on the home agent's behalf (section 3.7).
    this.removePending(record);
    this.counters.pendingTimeouts++;
  }

  /**
   * Denies a request: the reply goes straight back to the requester with the request's
   * identification, no authentication extension (there is no mobile-foreign SA), and for 69
   * the longest lifetime this agent accepts (section 3.7.2). Without `to` the denial is only
   * counted (`request-denied`, no reply).
   */
  private deny(code: number, req: RegistrationRequest, to: Peer | undefined): void {
    const info = replyCode(code);
    this.counters.denied++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    this.emit({ type: 'request-denied', code, reason: info.reason, homeAddress: req.homeAddress });
    const socket = this.socket;
    if (!socket || !to) return;
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code,
      lifetime: code === ReplyCode.faLifetimeTooLong ? this.config.maxLifetime : 0,
      homeAddress: req.homeAddress,
      homeAgent: req.homeAgent,
      identification: req.identification,
      extensions: [],
    };
    try {
      socket.send(encodeRegistration(reply), to);
    } catch {
      return;
    }
    this.emit({
      type: 'reply-sent',
      code,
      reason: info.reason,
      homeAddress: req.homeAddress,
      relayed: false,
    });
  }

  // ---- replies from home agents (section 3.7.3) ---------------------------------------------------

  private onReply(decoded: DecodedRegistration<RegistrationReply>, from: Peer): void {
    const reply = decoded.message;
    this.counters.repliesReceived++;
    // The home agent's 133 replaces the high 32 bits: match on the low 32 bits only.
    const key = pendingKey(reply.homeAddress, reply.identification);
    const pending = this.pendingList.get(key);
    if (!pending) {
      this.counters.repliesDroppedNoPending++;
      this.emit({ type: 'reply-dropped', reason: 'no-pending-request' });
      return;
    }
    // Section 3.7.3: a reply is matched against the request sent to the replying home agent, and
    // section 3.7 lets the foreign agent relay only replies received from the home agent. Anyone
    // else (another address, or another port of the same host) is dropped; the request stays
    // pending for the real answer.
    if (from.address !== pending.homeAgent.address || from.port !== pending.homeAgent.port) {
      this.counters.repliesDroppedUnexpectedSource++;
      this.emit({ type: 'reply-dropped', reason: 'unexpected-source' });
      return;
    }
    this.removePending(pending);
    const info = replyCode(reply.code);
    const req = pending.request;
    if (info.accepted && !pending.deregistration && reply.lifetime > 0) {
      if (this.visitorTableFull(req.homeAddress)) {
        // The home agent accepted, but there is no room for the visitor: this agent denies the
        // service itself (section 3.7) rather than relay an acceptance it cannot honour.
        this.counters.visitorTableFull++;
        this.deny(FA_INSUFFICIENT_RESOURCES, req, pending.requester);
        return;
      }
      this.addVisitor(req, reply, pending.requester);
    } else this.removeVisitor(reply.homeAddress, info.accepted ? 'deregistered' : 'denied');
    const socket = this.socket;
    if (!socket) return;
    try {
      socket.send(decoded.bytes, pending.requester);
    } catch {
      return;
    }
    this.counters.repliesRelayed++;
    this.emit({
      type: 'reply-sent',
      code: reply.code,
      reason: info.reason,
      homeAddress: reply.homeAddress,
      relayed: true,
    });
  }

  private addVisitor(req: RegistrationRequest, reply: RegistrationReply, requester: Peer): void {
    const now = this.deps.scheduler.now();
    const previous = this.visitorList.get(req.homeAddress);
    previous?.timer?.cancel();
    // A home agent may grant less than asked, never more; and never more than this agent's
    // maximum. The reply's bytes are relayed unchanged (its authenticator covers them); the
    // visitor entry keeps the capped lifetime and expires with it.
    const lifetime = Math.min(reply.lifetime, req.lifetime, this.config.maxLifetime);
    if (lifetime < reply.lifetime) this.counters.visitorLifetimesCapped++;
    const record: VisitorRecord = {
      homeAddress: req.homeAddress,
      homeAgent: reply.homeAgent,
      careOfAddress: req.careOfAddress,
      lifetime,
      registeredAt: now,
      requester: { ...requester },
      identification: reply.identification,
      encapsulation: req.flags.G && this.gre ? 'gre' : req.flags.M && this.minimal ? 'minimal' : 'ip-in-ip',
      reverseTunnel: req.flags.T,
    };
    const ms = lifetimeMs(lifetime);
    if (ms !== undefined) {
      record.expiresAt = now + ms;
      record.timer = this.deps.scheduler.after(ms, () => this.expire(record));
    }
    this.visitorList.set(req.homeAddress, record);
    this.counters.visitorsAdded++;
    // Also on a refresh: the event carries the new lifetime for the collector's visitor table.
    this.emit({
      type: 'visitor-added',
      homeAddress: record.homeAddress,
      homeAgent: record.homeAgent,
      lifetime: record.lifetime,
    });
  }

  private expire(record: VisitorRecord): void {
    if (this.stopped || this.visitorList.get(record.homeAddress) !== record) return;
    delete record.timer;
    this.removeVisitor(record.homeAddress, 'expired');
  }

  private removeVisitor(homeAddress: string, cause: 'deregistered' | 'expired' | 'denied'): void {
    const record = this.visitorList.get(homeAddress);
    if (!record) return;
    record.timer?.cancel();
    this.visitorList.delete(homeAddress);
    this.counters.visitorsRemoved++;
    this.emit({ type: 'visitor-removed', homeAddress, homeAgent: record.homeAgent, lifetime: 0, cause });
  }
}
