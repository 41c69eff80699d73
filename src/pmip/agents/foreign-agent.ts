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
  agentEmitter,
  checkLifetime,
  checkPort,
  errorKindOf,
  lifetimeMs,
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
  /** Most pending requests held at once (default 10000; beyond: 66 insufficient resources). */
  maxPending?: number;
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
  pendingTimeouts: number;
  visitorsAdded: number;
  visitorsRemoved: number;
  malformedDatagrams: number;
  advertisementsSent: number;
}

interface PendingRecord {
  key: string;
  request: RegistrationRequest;
  requester: Peer;
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
const ZERO_ADDRESS = '0.0.0.0';
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
    pendingTimeouts: 0,
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

    const key = pendingKey(req.homeAddress, req.identification);
    const denial = this.check(req, deregistration, key);
    if (denial !== undefined) {
      this.deny(denial, req, from);
      return;
    }
    const socket = this.socket;
    if (!socket) return;
    const homeAgent: Peer = { address: req.homeAgent, port: this.homeAgentPort(req.homeAgent) };
    try {
      // Relayed unchanged: the Mobile-Home authenticator covers every byte before it.
      socket.send(decoded.bytes, homeAgent);
    } catch {
      return;
    }
    const previous = this.pendingList.get(key);
    previous?.timer.cancel();
    const now = this.deps.scheduler.now();
    const record: PendingRecord = {
      key,
      request: req,
      requester: { ...from },
      receivedAt: now,
      expiresAt: now + this.pendingTimeoutMs,
      timer: this.deps.scheduler.after(this.pendingTimeoutMs, () => this.pendingTimedOut(record)),
    };
    this.pendingList.set(key, record);
    this.counters.requestsRelayed++;
    this.emit({ type: 'request-relayed', homeAddress: req.homeAddress, homeAgent: req.homeAgent });
  }

  /** The denial code for a request this agent cannot serve, or undefined to relay it. */
  private check(req: RegistrationRequest, deregistration: boolean, key: string): number | undefined {
    if (req.homeAddress === ZERO_ADDRESS || req.homeAgent === ZERO_ADDRESS)
      return ReplyCode.faPoorlyFormedRequest;
    if (req.lifetime > this.config.maxLifetime) return ReplyCode.faLifetimeTooLong;
    const asked = req.flags.G || req.flags.M;
    if (asked && !((req.flags.G && this.gre) || (req.flags.M && this.minimal)))
      return ReplyCode.faEncapsulationUnavailable;
    if (req.flags.T && !this.reverse) return FA_REVERSE_TUNNEL_UNAVAILABLE;
    if (!deregistration && req.careOfAddress !== this.careOfAddress) return FA_INVALID_CARE_OF_ADDRESS;
    if (!this.pendingList.has(key) && this.pendingList.size >= this.maxPending)
      return FA_INSUFFICIENT_RESOURCES;
    return undefined;
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
    this.pendingList.delete(record.key);
    this.counters.pendingTimeouts++;
  }

  /**
   * Denies a request: the reply goes straight back to the requester with the request's
   * identification, no authentication extension (there is no mobile-foreign SA), and for 69
   * the longest lifetime this agent accepts (section 3.7.2).
   */
  private deny(code: number, req: RegistrationRequest, to: Peer): void {
    const info = replyCode(code);
    this.counters.denied++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    this.emit({ type: 'request-denied', code, reason: info.reason, homeAddress: req.homeAddress });
    const socket = this.socket;
    if (!socket) return;
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

  private onReply(decoded: DecodedRegistration<RegistrationReply>, _from: Peer): void {
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
    pending.timer.cancel();
    this.pendingList.delete(key);
    const info = replyCode(reply.code);
    const req = pending.request;
    if (info.accepted && reply.lifetime > 0) this.addVisitor(req, reply, pending.requester);
    else this.removeVisitor(reply.homeAddress, info.accepted ? 'deregistered' : 'denied');
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
    const record: VisitorRecord = {
      homeAddress: req.homeAddress,
      homeAgent: reply.homeAgent,
      careOfAddress: req.careOfAddress,
      lifetime: reply.lifetime,
      registeredAt: now,
      requester: { ...requester },
      identification: reply.identification,
      encapsulation: req.flags.G && this.gre ? 'gre' : req.flags.M && this.minimal ? 'minimal' : 'ip-in-ip',
      reverseTunnel: req.flags.T,
    };
    const ms = lifetimeMs(reply.lifetime);
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
