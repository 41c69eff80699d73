import {
  NTP_UNIX_OFFSET_SECONDS,
  decodeRegistrationLayout,
  encodeRegistration,
  identificationHigh,
  identificationLow,
  ipv4ToUint32,
  isWireError,
  lenientDecodes,
  perNodeAuthenticationMethod,
  PerNodeAuthenticationMethod,
  makeIdentification,
  ntpTimestamp,
  replyCode,
  requestFlags,
  verifyAuthentication,
  type DecodedRegistration,
  type Extension,
  type RandomSource,
  type RegistrationReply,
  type RegistrationRequest,
} from '../wire/index.ts';
import { ReplyCode } from '../wire/reply-codes.ts';
import type {
  AttemptDiscardReason,
  ClientOutcome,
  ClientRef,
  ClientState,
  EventSink,
  Movement,
  PmipEvent,
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplyDiscardReason,
  ReplyIssuerKind,
  SecurityAssociationShortfall,
  SecurityViolationReason,
} from '../events.ts';
import {
  SecurityAssociationUnavailable,
  type SecurityAssociation,
  type SecurityAssociationProvider,
} from '../security/store.ts';
import type { SubnetMapTable } from '../subnet-map/table.ts';
import { prefixLengthToMask } from '../subnet-map/table.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import { UdpEndpoint, type Peer } from '../runtime/udp.ts';
import { IcmpEndpoint, isMobilityAdvertisement } from '../runtime/icmp.ts';
import type { DataPlane } from '../runtime/data-plane.ts';
import { AgentDiscovery, endpointKey, type KnownAgent } from './discovery.ts';
import { assertPmipRules, type SsidSettings } from './rules.ts';

/**
 * The proxy access point: registers visiting wireless clients with their home agents through the
 * local foreign agent, on their behalf (RFC 5944; docs/agents.md, docs/events.md).
 */
export interface StaticForeignAgent {
  address: string;
  port: number;
  careOfAddress?: string;
  /** Longest lifetime it accepts, seconds. */
  maxLifetime?: number;
}

export interface AccessPointConfig {
  id: string;
  /** The access point's own address, on its subnet. */
  address: string;
  /** The access point's subnet, CIDR (e.g. 10.1.0.0/24): clients outside it are visitors. */
  subnet: string;
  mode?: 'root' | 'repeater';
  ssids: SsidSettings[];
  aaps: string[];
  /** The site exchanges its subnet map with AAPs (then `aaps` needs 1-3 entries). Default true. */
  subnetMapExchange?: boolean;
  /** Local port for registration traffic (0 = any free port). */
  registrationPort?: number;
  /** Local port on which agent advertisements arrive (0 = any free port). */
  advertisementPort?: number;
  /** Port home agents listen on (RFC 5944: 434): one for all, or per home agent address. */
  homeAgentPort?: number | ((homeAgent: string) => number | undefined);
  /** Registration port of foreign agents learnt by discovery (RFC 5944: 434). */
  foreignAgentPort?: number;
  /** A fixed foreign agent instead of agent discovery. */
  foreignAgent?: StaticForeignAgent;
  /**
   * No foreign agent: register straight with the home agent, with the access point's own address
   * as a co-located care-of address and the D flag set (RFC 5944 sections 3.1 and 3.3): the home
   * agent tunnels to the access point, which decapsulates. Default false.
   */
  colocatedCareOfAddress?: boolean;
  /**
   * Proxy-mode authentication (RFC 5563 section 3.1): the per-node SA shared with a home agent,
   * by its address, when that home agent authenticates per node. Requests to it then carry the
   * per-node authentication method extension (47, method FA-HA) and the Foreign-Home
   * authentication extension (34) computed with this SA instead of the client's Mobile-Home
   * extension, and its replies must carry extension 34 with the same SA.
   */
  perNodeSecurityAssociation?: (homeAgent: string) => SecurityAssociation | undefined;
  /**
   * Agent discovery: accept advertisements only from these addresses (besides being on `subnet`),
   * and prefer them in this order when a foreign agent has to be chosen. Default: any address on
   * the subnet (docs/agents.md, "Access point: agent discovery under attack").
   */
  allowedAgents?: string[];
  /** Where solicitations go (loopback has no multicast: the foreign agents' advertisement ports). */
  solicitTo?: Peer[];
  /**
   * How agent discovery travels: `udp` (default; loopback demos and labs: advertisements carried
   * in UDP to `advertisementPort`) or `icmp`, real ICMP router advertisements (type 9 with the
   * mobility agent extension) and solicitations (type 10) on the interface of `address`
   * (RFC 5944 section 2). ICMP needs the raw-socket module and root or CAP_NET_RAW.
   */
  discoveryTransport?: 'udp' | 'icmp';
  /** ICMP discovery: where solicitations go (default 224.0.0.11, all mobility agents, RFC 5944 section 2.2). */
  icmpSolicitTo?: string[];
  /** Requested registration lifetime, seconds. */
  lifetime?: number;
  /** First retransmission after this long (>= 1000 ms), doubling each time. */
  retransmitInitialMs?: number;
  retransmitMaxMs?: number;
  maxRetransmissions?: number;
  /** Re-register when this fraction of the granted lifetime has passed since the request was sent. */
  renewFraction?: number;
  /** After a denial or timeout, try again after this long, doubling up to retryMaxMs. */
  retryAfterFailureMs?: number;
  retryMaxMs?: number;
  /** Request flags for every registration. */
  reverseTunnel?: boolean;
  gre?: boolean;
  /** Whether SAs come from RADIUS (for the operating rules). */
  radius?: boolean;
  localBindings?: number;
}

export interface ClientLocation {
  kind: 'home' | 'foreign';
  careOfAddress?: string;
  accessPoint: string;
}

/** Where each client was last seen, shared by the access points of one site (one process). */
export interface ClientLocations {
  get(mac: string): ClientLocation | undefined;
  set(mac: string, location: ClientLocation): void;
}

export interface AccessPointDeps {
  scheduler: Scheduler;
  random: RandomSource;
  emit: EventSink;
  dataPlane: DataPlane;
  securityAssociations: SecurityAssociationProvider;
  subnetMap: SubnetMapTable;
  locations?: ClientLocations;
}

export interface Association {
  mac: string;
  address: string;
  ssid: string;
  /** NAI to send in the request (extension 131), when the client has one. */
  nai?: string;
}

export interface ClientView {
  mac: string;
  address: string;
  ssid: string;
  state: ClientState;
  nai?: string;
  homeAgent?: string;
  careOfAddress?: string;
  expiresAt?: number;
  lastCode?: number;
  lastOutcome?: ClientOutcome;
  attemptStartedAt?: number;
}

interface Transmission {
  id: bigint;
  sentAt: number;
}

interface PendingRequest {
  kind: RegistrationKind;
  lifetime: number;
  homeAgent: string;
  /** The foreign agent the request goes through (its address); undefined when sent to the home agent. */
  foreignAgent: string | undefined;
  careOfAddress: string;
  destination: Peer;
  startedAt: number;
  /** Replies to this attempt that failed authentication: the last one's claimed code and why. */
  unauthenticated?: { code: number; reason: SecurityViolationReason };
  /** Replies to this attempt that were dropped: the last reason. */
  discarded?: ReplyDiscardReason;
  /** When the last reply matched to this attempt arrived, verified or not (ms). */
  lastReplyAt?: number;
  transmissions: Transmission[];
  bytes: Buffer;
  retransmissions: number;
  /** Requests actually handed to the socket for this attempt. */
  sent: number;
  /** Denial codes already corrected once for this registration (133, 69, 136). */
  corrected: Set<number>;
  /** Proxy mode (RFC 5563): 47 + Foreign-Home (34) with the per-node SA, replies checked with 34. */
  perNode: boolean;
}

interface ClientRecord extends ClientView {
  ref: ClientRef;
  home: boolean;
  sa?: SecurityAssociation;
  /** `sa` is a home agent's per-node SA (proxy mode), not the client's own. */
  perNode?: boolean;
  /** The next SA lookup goes past any cache (an operator's renew with refresh). */
  refreshSecurityAssociation?: boolean;
  /** Nonce mode: the nonce from the home agent's last reply. */
  nonce: number;
  lastAcceptedId: bigint;
  failures: number;
  bound: boolean;
  timer?: TimerHandle;
  pending?: PendingRequest;
  /** Bumped on disassociation so late async work for an old association is dropped. */
  generation: number;
  homeAgentOverride?: string;
  /** Signature of the last client-state event, to emit only changes. */
  published?: string;
  /** Attempts concluded so far (registration-outcome events): an internal error concludes only an open one. */
  concluded: number;
}

const SOLICITATION_MIN_INTERVAL_MS = 1000;
/** RFC 5944 section 2.2: solicitations go to the all mobility agents multicast group. */
const ALL_MOBILITY_AGENTS = '224.0.0.11';
/** A lifetime learnt from a foreign agent's 69 denial is never below this (seconds). */
export const LEARNT_LIFETIME_MIN_SECONDS = 30;
/** A lifetime learnt from a 69 denial is forgotten after this long (ms). */
export const LEARNT_LIFETIME_TTL_MS = 10 * 60_000;

interface LearntLimit {
  seconds: number;
  until: number;
}

interface CurrentForeignAgent {
  /** Identifies the agent: its advertisement endpoint, or 'static'. */
  key: string;
  peer: Peer;
  careOfAddress: string;
  maxLifetime: number;
}

export class AccessPoint {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly byAddress = new Map<string, ClientRecord>();
  /** Time offset per home agent (timestamp mode): the home agent's clock minus ours, seconds. */
  private readonly offsets = new Map<string, number>();
  /**
   * Longest lifetime each foreign agent accepts, learnt from its 69 denials (registration endpoint
   * -> seconds, at least LEARNT_LIFETIME_MIN_SECONDS, forgotten after LEARNT_LIFETIME_TTL_MS).
   */
  private readonly lifetimeLimits = new Map<string, LearntLimit>();
  private readonly discovery: AgentDiscovery;
  /** The foreign agent the visitors were last sent to register through (its key and care-of address). */
  private announced: { key: string; careOfAddress: string } | undefined;
  private internalErrorCount = 0;
  private readonly locations: ClientLocations;
  private readonly network: number;
  private readonly mask: number;
  private lastSolicitation = -Infinity;
  /** ICMP discovery (discoveryTransport 'icmp'): the raw socket. */
  private icmp: IcmpEndpoint | undefined;
  private enabled = true;
  private readonly cfg: Required<
    Pick<
      AccessPointConfig,
      | 'foreignAgentPort'
      | 'lifetime'
      | 'retransmitInitialMs'
      | 'retransmitMaxMs'
      | 'maxRetransmissions'
      | 'renewFraction'
      | 'retryAfterFailureMs'
      | 'retryMaxMs'
    >
  >;

  private constructor(
    readonly config: AccessPointConfig,
    private readonly deps: AccessPointDeps,
    private registrationSocket: UdpEndpoint | undefined,
    private advertisementSocket: UdpEndpoint | undefined,
  ) {
    const [net, len] = config.subnet.split('/');
    const prefix = Number(len);
    this.mask = prefixLengthToMask(prefix);
    this.network = (ipv4ToUint32(net ?? '', 'subnet') & this.mask) >>> 0;
    this.locations = deps.locations ?? new Map<string, ClientLocation>();
    const allowed =
      config.allowedAgents || config.foreignAgent
        ? new Set([
            ...(config.allowedAgents ?? []),
            ...(config.foreignAgent ? [config.foreignAgent.address] : []),
          ])
        : undefined;
    this.discovery = new AgentDiscovery({
      accept: (address) => this.onSubnet(address) && (allowed === undefined || allowed.has(address)),
      preferred: config.allowedAgents ?? [],
    });
    this.cfg = {
      foreignAgentPort: config.foreignAgentPort ?? 434,
      lifetime: config.lifetime ?? 600,
      retransmitInitialMs: Math.max(1000, config.retransmitInitialMs ?? 1000),
      retransmitMaxMs: config.retransmitMaxMs ?? 16_000,
      maxRetransmissions: config.maxRetransmissions ?? 3,
      renewFraction: config.renewFraction ?? 0.8,
      retryAfterFailureMs: config.retryAfterFailureMs ?? 5000,
      retryMaxMs: config.retryMaxMs ?? 60_000,
    };
  }

  /** Checks the operating rules, binds the sockets and starts. Throws PmipRuleError naming every broken rule. */
  static async start(config: AccessPointConfig, deps: AccessPointDeps): Promise<AccessPoint> {
    assertPmipRules(
      {
        mode: config.mode ?? 'root',
        ssids: config.ssids,
        aaps: config.aaps,
        subnetMapExchange: config.subnetMapExchange ?? true,
        localBindings: config.localBindings ?? deps.securityAssociations.describe().length,
        radius: config.radius ?? false,
      },
      `accessPoints[${config.id}].`,
    );
    const subnet = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(config.subnet);
    if (!subnet || Number(subnet[2]) > 32)
      throw new Error(`accessPoints[${config.id}].subnet: "${config.subnet}" must be CIDR a.b.c.d/N`);
    for (const [i, a] of (config.allowedAgents ?? []).entries())
      ipv4ToUint32(a, `accessPoints[${config.id}].allowedAgents[${i}]`);
    const ap = new AccessPoint(config, deps, undefined, undefined);
    ap.registrationSocket = await UdpEndpoint.bind({
      address: config.address,
      port: config.registrationPort ?? 0,
      onDatagram: (payload, from) => ap.onRegistrationDatagram(payload, from),
      onHandlerError: (_e, from) => ap.malformed('registration', 'handler-error', from),
    });
    if (
      !config.foreignAgent &&
      config.colocatedCareOfAddress !== true &&
      config.discoveryTransport === 'icmp'
    ) {
      // Throws IcmpUnavailableError (no root / CAP_NET_RAW, module not built): a clear start-up error.
      try {
        ap.icmp = IcmpEndpoint.open({
          address: config.address,
          onMessage: (icmp, from) => {
            // The raw socket hears every ICMP message: only agent advertisements matter here.
            if (isMobilityAdvertisement(icmp)) ap.onAdvertisementDatagram(icmp, { address: from, port: 0 });
          },
        });
      } catch (error) {
        await ap.registrationSocket.close();
        throw error;
      }
    } else if (!config.foreignAgent) {
      ap.advertisementSocket = await UdpEndpoint.bind({
        address: config.address,
        port: config.advertisementPort ?? 0,
        onDatagram: (payload, from) => ap.onAdvertisementDatagram(payload, from),
        onHandlerError: (_e, from) => ap.malformed('advertisement', 'handler-error', from),
      });
    }
    return ap;
  }

  get id(): string {
    return this.config.id;
  }

  /** The bound registration port and advertisement port (useful when 0 was configured). */
  get ports(): { registration: number; advertisement?: number } {
    const out: { registration: number; advertisement?: number } = {
      registration: this.registrationSocket?.port ?? 0,
    };
    if (this.advertisementSocket) out.advertisement = this.advertisementSocket.port;
    return out;
  }

  isHomeAddress(address: string): boolean {
    return (ipv4ToUint32(address) & this.mask) >>> 0 === this.network;
  }

  /** Whether `address` is on this access point's subnet (false for anything that is not IPv4). */
  private onSubnet(address: string): boolean {
    try {
      return this.isHomeAddress(address);
    } catch {
      return false;
    }
  }

  /** Per-client steps that threw and were ended as discarded / internal-error. */
  get internalErrors(): number {
    return this.internalErrorCount;
  }

  clientViews(): ClientView[] {
    return [...this.clients.values()].map((c) => this.view(c));
  }

  client(mac: string): ClientView | undefined {
    const c = this.clients.get(mac);
    return c && this.view(c);
  }

  knownAgents(): KnownAgent[] {
    return this.discovery.list(this.deps.scheduler.now());
  }

  /** The foreign agent registrations go through now: its registration endpoint and care-of address. */
  foreignAgentInUse(): { address: string; port: number; careOfAddress: string } | undefined {
    const fa = this.currentForeignAgent();
    return fa && { address: fa.peer.address, port: fa.peer.port, careOfAddress: fa.careOfAddress };
  }

  /** Time offset learnt for a home agent (seconds; 0 when none). */
  offsetFor(homeAgent: string): number {
    return this.offsets.get(homeAgent) ?? 0;
  }

  // ---- associations ---------------------------------------------------------------------------

  /** A client associated with this access point. */
  associate(a: Association): void {
    if (!this.enabled) return;
    const ssid = this.config.ssids.find((s) => s.name === a.ssid);
    if (!ssid?.pmip) return; // PMIP is off on this SSID: the client is not ours to proxy
    const existing = this.clients.get(a.mac);
    if (existing) this.disassociate(a.mac);
    const home = this.isHomeAddress(a.address);
    const record: ClientRecord = {
      mac: a.mac,
      address: a.address,
      ssid: a.ssid,
      ref: { mac: a.mac, address: a.address },
      home,
      state: home ? 'home' : 'pending',
      nonce: 0,
      lastAcceptedId: 0n,
      failures: 0,
      bound: false,
      generation: 0,
      concluded: 0,
    };
    if (a.nai !== undefined) record.nai = a.nai;
    this.clients.set(a.mac, record);
    this.byAddress.set(a.address, record);

    const previous = this.locations.get(a.mac);
    if (home) {
      this.publishState(record);
      if (previous?.kind === 'foreign') {
        this.emitMove(record, 'foreign-to-home');
        this.register(record, 'deregistration');
      }
      this.locations.set(a.mac, { kind: 'home', accessPoint: this.id });
      return;
    }
    const fa = this.currentForeignAgent();
    const coa = fa?.careOfAddress;
    if (!previous || previous.kind === 'home') this.emitMove(record, 'home-to-foreign', coa);
    else if (coa !== undefined && previous.careOfAddress !== undefined && previous.careOfAddress !== coa) {
      this.emitMove(record, 'foreign-to-foreign', coa);
    }
    const location: ClientLocation = { kind: 'foreign', accessPoint: this.id };
    if (coa !== undefined) location.careOfAddress = coa;
    this.locations.set(a.mac, location);
    this.publishState(record);
    this.register(record, 'initial');
  }

  /** The client left this access point. Its binding is left to expire (it may be roaming on). */
  disassociate(mac: string): void {
    const c = this.clients.get(mac);
    if (!c) return;
    c.timer?.cancel();
    c.generation++;
    this.clients.delete(mac);
    if (this.byAddress.get(c.address) === c) this.byAddress.delete(c.address);
    this.emit({ type: 'client-removed', client: c.ref });
  }

  /**
   * Re-registers a visiting client now (an operator's "renew", and the registration benchmark).
   * With `refreshSecurityAssociation` the SA is looked up again, past the RADIUS cache.
   */
  renew(mac: string, options: { refreshSecurityAssociation?: boolean } = {}): boolean {
    const c = this.clients.get(mac);
    if (!c || c.home || !this.enabled) return false;
    if (options.refreshSecurityAssociation) {
      delete c.sa;
      c.refreshSecurityAssociation = true;
    }
    this.register(c, c.bound ? 'renewal' : 'initial');
    return true;
  }

  // ---- registration -----------------------------------------------------------------------------

  private homeAgentPort(homeAgent: string): number {
    const p = this.config.homeAgentPort;
    if (typeof p === 'function') return p(homeAgent) ?? 434;
    return p ?? 434;
  }

  private currentForeignAgent(): CurrentForeignAgent | undefined {
    const s = this.config.foreignAgent;
    if (s)
      return {
        key: 'static',
        peer: { address: s.address, port: s.port },
        careOfAddress: s.careOfAddress ?? s.address,
        maxLifetime: s.maxLifetime ?? 0xffff,
      };
    const a = this.discovery.foreignAgent(this.deps.scheduler.now());
    if (!a) return undefined;
    return {
      key: endpointKey(a),
      peer: { address: a.address, port: this.cfg.foreignAgentPort },
      careOfAddress: a.careOfAddresses[0]!,
      maxLifetime: a.registrationLifetime,
    };
  }

  /** The lifetime limit learnt from `fa`'s 69 denials, while it lasts. */
  private learntLimit(fa: Peer, now: number): number | undefined {
    const key = endpointKey(fa);
    const limit = this.lifetimeLimits.get(key);
    if (!limit) return undefined;
    if (now >= limit.until) {
      this.lifetimeLimits.delete(key);
      return undefined;
    }
    return limit.seconds;
  }

  /** The lifetime limit learnt for a foreign agent (seconds), if one is in force: for tests and views. */
  learntLifetimeLimit(fa: Peer): number | undefined {
    return this.learntLimit(fa, this.deps.scheduler.now());
  }

  // ---- containment: one client's failure stays with that client ----------------------------------

  /** Starts (or restarts) a registration for `c`, contained by `guarded`. */
  private register(c: ClientRecord, kind: RegistrationKind): void {
    this.guarded(c, kind, () => this.startRegistration(c, kind));
  }

  /** A timer for one client whose callback is contained by `guarded`. */
  private clientTimer(c: ClientRecord, kind: RegistrationKind, ms: number, step: () => void): TimerHandle {
    return this.deps.scheduler.after(ms, () => this.guarded(c, kind, step));
  }

  /**
   * Runs one per-client step (a registration start, a timer, a reply). An exception, thrown or
   * rejected, ends the client's open attempt with outcome discarded / internal-error and backs off;
   * it never reaches the timer or socket that ran the step, and other clients are not affected.
   */
  private guarded(c: ClientRecord, kind: RegistrationKind, step: () => void | Promise<void>): void {
    const concluded = c.concluded;
    const generation = c.generation;
    const onError = (error: unknown): void => this.internalError(c, kind, concluded, generation, error);
    try {
      const result = step();
      if (result instanceof Promise) result.catch(onError);
    } catch (error) {
      onError(error);
    }
  }

  private internalError(
    c: ClientRecord,
    kind: RegistrationKind,
    concludedBefore: number,
    generation: number,
    _error: unknown,
  ): void {
    this.internalErrorCount++;
    try {
      if (this.clients.get(c.mac) !== c || c.generation !== generation || !this.enabled) return;
      const p = c.pending;
      const attemptKind = p?.kind ?? kind;
      if (c.concluded === concludedBefore) {
        this.conclude(c, attemptKind, {
          outcome: 'discarded',
          reason: 'internal-error',
          homeAgent: p?.homeAgent,
          foreignAgent: p?.foreignAgent,
          transmissions: p?.sent ?? 0,
        });
      }
      this.fail(c, attemptKind, undefined);
    } catch {
      // Reporting failed too (a throwing event sink): the error is counted, the client waits.
    }
  }

  private async startRegistration(c: ClientRecord, kind: RegistrationKind): Promise<void> {
    const generation = c.generation;
    c.timer?.cancel();
    c.timer = undefined;
    const row = this.deps.subnetMap.match(c.address);
    const homeAgent = c.homeAgentOverride ?? row?.homeAgent;
    if (!homeAgent) {
      // No subnet map row for the client: it cannot be registered until the table has one.
      this.conclude(c, kind, { outcome: 'discarded', reason: 'no-home-agent', transmissions: 0 });
      this.fail(c, kind, undefined);
      return;
    }
    // Proxy mode: the home agent's per-node SA stands in for the client's (RFC 5563 section 3.1).
    const perNodeSa = this.config.perNodeSecurityAssociation?.(homeAgent);
    if (perNodeSa) {
      if (!c.perNode || c.sa !== perNodeSa) c.lastAcceptedId = 0n;
      c.sa = perNodeSa;
      c.perNode = true;
    } else if (c.perNode) {
      delete c.sa;
      c.perNode = false;
    }
    if (!c.sa) {
      let found;
      let shortfall: SecurityAssociationShortfall | undefined;
      const bypassCache = c.refreshSecurityAssociation === true;
      c.refreshSecurityAssociation = false;
      try {
        found = await this.deps.securityAssociations.lookup(c.address, {
          ...(c.nai !== undefined ? { nai: c.nai } : {}),
          bypassCache,
          requester: this.id,
        });
      } catch (e) {
        found = undefined;
        // A RADIUS server was asked and gave none: the outcome says why (docs/events.md).
        if (e instanceof SecurityAssociationUnavailable) shortfall = { cause: e.reason, server: e.server };
      }
      if (generation !== c.generation || !this.enabled) return;
      if (!found) {
        this.violation('no-mobility-security-association', homeAgent, c.ref);
        this.conclude(c, kind, {
          outcome: 'discarded',
          reason: 'no-security-association',
          homeAgent,
          transmissions: 0,
          ...(shortfall ? { securityAssociation: shortfall } : {}),
        });
        this.fail(c, kind, undefined);
        return;
      }
      c.sa = found.sa;
    }
    let destination: Peer;
    let careOfAddress: string;
    let lifetime: number;
    let foreignAgent: string | undefined;
    if (kind === 'deregistration') {
      destination = { address: homeAgent, port: this.homeAgentPort(homeAgent) };
      careOfAddress = c.address;
      lifetime = 0;
    } else if (this.config.colocatedCareOfAddress === true) {
      // RFC 5944 section 3.1: with a co-located care-of address the node registers directly
      // with its home agent; section 3.3: D set, the node (here the access point) decapsulates.
      destination = { address: homeAgent, port: this.homeAgentPort(homeAgent) };
      careOfAddress = this.config.address;
      lifetime = this.cfg.lifetime;
      c.careOfAddress = careOfAddress;
    } else {
      const fa = this.currentForeignAgent();
      if (!fa) {
        this.solicit();
        c.state = 'pending';
        this.publishState(c);
        c.timer = this.deps.scheduler.after(this.cfg.retransmitInitialMs, () => this.register(c, kind));
        return;
      }
      destination = fa.peer;
      foreignAgent = fa.peer.address;
      careOfAddress = fa.careOfAddress;
      lifetime = Math.min(
        this.cfg.lifetime,
        fa.maxLifetime,
        this.learntLimit(fa.peer, this.deps.scheduler.now()) ?? 0xffff,
      );
      c.careOfAddress = careOfAddress;
    }
    c.pending = {
      kind,
      lifetime,
      homeAgent,
      foreignAgent,
      careOfAddress,
      destination,
      startedAt: this.deps.scheduler.now(),
      transmissions: [],
      bytes: Buffer.alloc(0),
      retransmissions: 0,
      sent: 0,
      corrected: c.pending?.kind === kind ? c.pending.corrected : new Set(),
      perNode: c.perNode === true,
    };
    c.homeAgent = homeAgent;
    c.attemptStartedAt = c.pending.startedAt;
    if (kind !== 'deregistration' && !c.bound) c.state = 'pending';
    this.publishState(c);
    this.transmit(c, false);
  }

  private nextIdentification(c: ClientRecord, homeAgent: string): bigint {
    const sa = c.sa!;
    if (sa.replay === 'nonce') return makeIdentification(c.nonce, this.deps.random.uint32());
    let id = ntpTimestamp(this.deps.scheduler.now(), this.deps.random, this.offsets.get(homeAgent) ?? 0);
    // Greater than every identification the home agent accepted from this client.
    if (id <= c.lastAcceptedId) id = c.lastAcceptedId + 1n;
    return id;
  }

  private transmit(c: ClientRecord, retransmission: boolean): void {
    const p = c.pending!;
    const sa = c.sa!;
    const now = this.deps.scheduler.now();
    let id: bigint;
    if (retransmission && sa.replay === 'nonce') {
      id = p.transmissions[p.transmissions.length - 1]!.id; // nonce mode: retransmit unchanged
    } else {
      id = this.nextIdentification(c, p.homeAgent);
      const extensions: Extension[] = [];
      if (c.nai !== undefined) extensions.push({ kind: 'nai', type: 131, nai: c.nai });
      if (p.perNode) extensions.push(perNodeAuthenticationMethod(PerNodeAuthenticationMethod.faHa));
      const request: RegistrationRequest = {
        type: 'registration-request',
        flags: requestFlags({
          T: this.config.reverseTunnel === true,
          G: this.config.gre === true,
          // Decapsulation by the (proxy) mobile node: its own care-of address (RFC 5944 section 3.3).
          D: this.config.colocatedCareOfAddress === true && p.kind !== 'deregistration',
        }),
        lifetime: p.lifetime,
        homeAddress: c.address,
        homeAgent: p.homeAgent,
        careOfAddress: p.careOfAddress,
        identification: id,
        extensions,
      };
      p.bytes = encodeRegistration(request, {
        type: p.perNode ? 34 : 32,
        spi: sa.spi,
        key: sa.key,
        algorithm: sa.algorithm,
      });
    }
    p.transmissions.push({ id, sentAt: now });
    if (p.transmissions.length > 8) p.transmissions.shift();
    this.registrationSocket?.send(p.bytes, p.destination);
    p.sent++;
    this.emit({
      type: 'registration-sent',
      client: c.ref,
      kind: p.kind,
      retransmission,
      homeAgent: p.homeAgent,
      ...(p.foreignAgent !== undefined ? { foreignAgent: p.foreignAgent } : {}),
      careOfAddress: p.careOfAddress,
      lifetime: p.lifetime,
      toBroadcast: false,
    });
    // First retry after >= 1 s, doubling, capped, and never beyond the requested lifetime.
    let wait = Math.min(this.cfg.retransmitInitialMs * 2 ** p.retransmissions, this.cfg.retransmitMaxMs);
    if (p.lifetime > 0) wait = Math.min(wait, p.lifetime * 1000);
    c.timer?.cancel();
    c.timer = this.clientTimer(c, p.kind, wait, () => this.onRetransmitTimer(c));
  }

  private onRetransmitTimer(c: ClientRecord): void {
    const p = c.pending;
    if (!p || !this.clients.has(c.mac)) return;
    if (p.retransmissions < this.cfg.maxRetransmissions) {
      p.retransmissions++;
      this.transmit(c, true);
      return;
    }
    // No usable reply: replies that failed authentication or were dropped say more than "timeout".
    const transmissions = p.retransmissions + 1;
    const where = {
      homeAgent: p.homeAgent,
      foreignAgent: p.foreignAgent,
      transmissions,
      lastReplyAt: p.lastReplyAt,
    };
    if (p.unauthenticated) {
      this.conclude(c, p.kind, {
        outcome: 'unauthenticated',
        code: p.unauthenticated.code,
        reason: p.unauthenticated.reason,
        ...where,
      });
    } else if (p.discarded) {
      this.conclude(c, p.kind, { outcome: 'discarded', reason: p.discarded, ...where });
    } else {
      this.conclude(c, p.kind, { outcome: 'timeout', ...where });
    }
    this.fail(c, p.kind, undefined);
  }

  /** A registration did not succeed: back off and try again, doubling up to the maximum. */
  private fail(c: ClientRecord, kind: RegistrationKind, code: number | undefined): void {
    c.pending = undefined;
    if (code !== undefined) c.lastCode = code;
    const now = this.deps.scheduler.now();
    if (c.bound && c.expiresAt !== undefined && now >= c.expiresAt) c.bound = false;
    if (kind === 'deregistration') {
      c.state = 'home';
    } else if (!c.bound) {
      c.state = 'isolated';
    }
    this.publishState(c);
    const wait = Math.min(this.cfg.retryAfterFailureMs * 2 ** c.failures, this.cfg.retryMaxMs);
    c.failures++;
    c.timer?.cancel();
    const next = (): RegistrationKind =>
      kind === 'deregistration' ? 'deregistration' : c.bound ? 'renewal' : 'initial';
    c.timer = this.deps.scheduler.after(wait, () => {
      if (this.clients.get(c.mac) === c) this.register(c, next());
    });
  }

  private onRegistrationDatagram(payload: Buffer, from: Peer): void {
    let decoded: DecodedRegistration;
    try {
      decoded = decodeRegistrationLayout(payload);
    } catch (e) {
      if (isWireError(e)) {
        this.malformed('registration', e.kind, from);
        if (e.kind === 'unknown-extension') this.discard('invalid-extension', from);
        return;
      }
      throw e;
    }
    if (decoded.message.type !== 'registration-reply') {
      this.malformed('registration', 'unexpected-request', from);
      return;
    }
    for (let i = lenientDecodes(decoded.message.extensions); i > 0; i--)
      this.emit({
        type: 'lenient-decode',
        socket: 'registration',
        what: 'ext47-short-form',
        peer: from.address,
      });
    this.onReply(decoded as DecodedRegistration<RegistrationReply>, from);
  }

  private onReply(decoded: DecodedRegistration<RegistrationReply>, from: Peer): void {
    const reply = decoded.message;
    const c = this.byAddress.get(reply.homeAddress);
    if (!c) {
      this.discard('invalid-home-address', from);
      return;
    }
    const p = c.pending;
    if (!p) {
      this.discard('no-pending-request', from);
      return;
    }
    const info = replyCode(reply.code);
    if (info.issuer === 'foreign-agent' && !this.fromForeignAgentOf(p, from)) {
      // A foreign agent's denial carries no authenticator (RFC 5944 section 3.7.2): only the
      // endpoint the request went to may send one. Anything else is a forgery, dropped and counted.
      this.malformed('registration', 'refused-source', from);
      return;
    }
    this.guarded(c, p.kind, () => this.onReplyFor(c, p, decoded, info, from));
  }

  /** A foreign agent's reply must come from the foreign agent the request was sent to (address and port). */
  private fromForeignAgentOf(p: PendingRequest, from: Peer): boolean {
    return (
      p.foreignAgent !== undefined &&
      from.address === p.destination.address &&
      from.port === p.destination.port
    );
  }

  private onReplyFor(
    c: ClientRecord,
    p: PendingRequest,
    decoded: DecodedRegistration<RegistrationReply>,
    info: ReturnType<typeof replyCode>,
    from: Peer,
  ): void {
    const reply = decoded.message;
    // Which transmission does this answer? The low 32 bits are ours in every mode.
    const low = identificationLow(reply.identification);
    const tx = p.transmissions.find((t) => identificationLow(t.id) === low);
    if (!tx) {
      this.discard('invalid-identification', from);
      p.discarded = 'invalid-identification';
      p.lastReplyAt = this.deps.scheduler.now();
      return;
    }
    const sa = c.sa!;
    if (info.issuer !== 'foreign-agent') {
      // Everything but a foreign agent's denial must carry a valid Mobile-Home authenticator, or
      // in proxy mode a Foreign-Home one with the per-node SA (RFC 5563: such home agents send 34 only).
      const check = verifyAuthentication(decoded, {
        type: p.perNode ? 34 : 32,
        spi: sa.spi,
        key: sa.key,
        algorithm: sa.algorithm,
      });
      if (check !== 'ok') {
        const reason: SecurityViolationReason =
          check === 'missing'
            ? 'missing-security-extension'
            : check === 'spi-mismatch'
              ? 'bad-spi'
              : 'bad-authenticator';
        this.violation(reason, from.address, c.ref);
        // Kept, not acted on: a forged reply must not end the attempt; the timeout says what was seen.
        p.unauthenticated = { code: reply.code, reason };
        p.lastReplyAt = this.deps.scheduler.now();
        return;
      }
    }
    if (info.accepted && tx.id !== reply.identification && sa.replay === 'timestamp') {
      this.discard('invalid-identification', from);
      p.discarded = 'invalid-identification';
      p.lastReplyAt = this.deps.scheduler.now();
      return;
    }
    if (reply.homeAgent !== p.homeAgent && reply.code !== ReplyCode.haUnknownHomeAgentAddress) {
      this.discard('unknown-home-agent', from);
      p.discarded = 'unknown-home-agent';
      p.lastReplyAt = this.deps.scheduler.now();
      return;
    }
    const now = this.deps.scheduler.now();
    const roundTripSeconds = (now - tx.sentAt) / 1000;
    const fa = p.foreignAgent !== undefined ? { foreignAgent: p.foreignAgent } : {};
    this.emit({
      type: 'reply-received',
      client: c.ref,
      kind: p.kind,
      homeAgent: p.homeAgent,
      ...fa,
      code: reply.code,
      reason: info.reason,
      accepted: info.accepted,
      issuer: info.issuer,
      lifetime: reply.lifetime,
      roundTripSeconds,
    });
    this.conclude(c, p.kind, {
      outcome: info.accepted ? 'accepted' : 'denied',
      code: reply.code,
      reason: info.reason,
      issuer: info.issuer,
      homeAgent: p.homeAgent,
      foreignAgent: p.foreignAgent,
      transmissions: p.retransmissions + 1,
      roundTripSeconds,
    });
    c.timer?.cancel();
    c.timer = undefined;
    c.lastCode = reply.code;
    if (sa.replay === 'nonce') c.nonce = identificationHigh(reply.identification);

    if (info.accepted) {
      this.onAccepted(c, p, reply, tx);
      return;
    }
    const code = reply.code;
    if (!p.corrected.has(code)) {
      if (code === ReplyCode.haIdentificationMismatch) {
        p.corrected.add(code);
        this.resynchronise(c, p, reply, tx, now);
        this.retry(c, p);
        return;
      }
      if (code === ReplyCode.faLifetimeTooLong && p.kind !== 'deregistration') {
        p.corrected.add(code);
        // Every later request through this foreign agent asks for no more (one 69, not one per
        // client), for a while, and never for less than the minimum: an unauthenticated 69 must
        // not be able to drive the access point into a registration per second.
        this.lifetimeLimits.set(endpointKey(p.destination), {
          seconds: Math.max(LEARNT_LIFETIME_MIN_SECONDS, reply.lifetime),
          until: now + LEARNT_LIFETIME_TTL_MS,
        });
        this.retry(c, p);
        return;
      }
      if (code === ReplyCode.haUnknownHomeAgentAddress && reply.homeAgent !== p.homeAgent) {
        p.corrected.add(code);
        c.homeAgentOverride = reply.homeAgent;
        this.retry(c, p);
        return;
      }
    }
    this.fail(c, p.kind, code);
  }

  /** The end of one attempt: one registration-outcome event, and the client's last outcome. */
  private conclude(
    c: ClientRecord,
    kind: RegistrationKind,
    o: {
      outcome: RegistrationOutcomeKind;
      code?: number;
      reason?: SecurityViolationReason | AttemptDiscardReason | string;
      issuer?: ReplyIssuerKind;
      homeAgent?: string | undefined;
      foreignAgent?: string | undefined;
      transmissions: number;
      roundTripSeconds?: number;
      lastReplyAt?: number | undefined;
      securityAssociation?: SecurityAssociationShortfall;
    },
  ): void {
    const at = this.deps.scheduler.now();
    const last: ClientOutcome = { kind: o.outcome, transmissions: o.transmissions, at };
    if (o.securityAssociation !== undefined) last.securityAssociation = { ...o.securityAssociation };
    if (o.code !== undefined) last.code = o.code;
    if (o.reason !== undefined) last.reason = o.reason;
    if (o.homeAgent !== undefined) last.homeAgent = o.homeAgent;
    if (o.foreignAgent !== undefined) last.foreignAgent = o.foreignAgent;
    c.lastOutcome = last;
    c.concluded++;
    delete c.attemptStartedAt;
    this.emit({
      type: 'registration-outcome',
      client: c.ref,
      kind,
      outcome: o.outcome,
      ...(o.homeAgent !== undefined ? { homeAgent: o.homeAgent } : {}),
      ...(o.foreignAgent !== undefined ? { foreignAgent: o.foreignAgent } : {}),
      ...(o.code !== undefined ? { code: o.code } : {}),
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
      transmissions: o.transmissions,
      ...(o.roundTripSeconds !== undefined ? { roundTripSeconds: o.roundTripSeconds } : {}),
      ...(o.lastReplyAt !== undefined ? { lastReplyAt: o.lastReplyAt } : {}),
      ...(o.securityAssociation !== undefined ? { securityAssociation: { ...o.securityAssociation } } : {}),
    });
  }

  private retry(c: ClientRecord, p: PendingRequest): void {
    const corrected = p.corrected;
    c.pending = { ...p, corrected };
    this.register(c, p.kind);
  }

  /** Code 133: learn the home agent's clock (timestamp mode) or its nonce (nonce mode). */
  private resynchronise(
    c: ClientRecord,
    p: PendingRequest,
    reply: RegistrationReply,
    tx: Transmission,
    now: number,
  ): void {
    const sa = c.sa!;
    if (sa.replay === 'nonce') {
      this.emit({ type: 'time-sync', homeAgent: p.homeAgent, mode: 'nonce', offsetSeconds: 0 });
      return;
    }
    // The home agent put its own time (whole seconds) in the high 32 bits: take the middle of
    // its second, and our time as the middle of the round trip.
    const haSeconds = identificationHigh(reply.identification) - NTP_UNIX_OFFSET_SECONDS + 0.5;
    const ourSeconds = (tx.sentAt + now) / 2000;
    const offset = haSeconds - ourSeconds;
    this.offsets.set(p.homeAgent, offset);
    this.emit({ type: 'time-sync', homeAgent: p.homeAgent, mode: 'timestamp', offsetSeconds: offset });
  }

  private onAccepted(c: ClientRecord, p: PendingRequest, reply: RegistrationReply, tx: Transmission): void {
    c.pending = undefined;
    c.failures = 0;
    if (c.sa?.replay === 'timestamp')
      c.lastAcceptedId = reply.identification > c.lastAcceptedId ? reply.identification : c.lastAcceptedId;
    if (p.kind === 'deregistration') {
      c.bound = false;
      c.state = 'home';
      delete c.expiresAt;
      delete c.careOfAddress;
      this.deps.dataPlane.apply({ action: 'gratuitous-arp', address: c.address, mac: c.mac });
      this.deps.dataPlane.apply({ action: 'forward-locally', clientMac: c.mac });
      this.emit({ type: 'arp-sent', kind: 'gratuitous', address: c.address });
      this.publishState(c);
      return;
    }
    const granted = reply.lifetime;
    c.bound = granted > 0;
    c.state = 'registered';
    c.careOfAddress = p.careOfAddress;
    // Lifetime counts from when the request was sent, not from when the reply came.
    c.expiresAt = tx.sentAt + granted * 1000;
    this.deps.dataPlane.apply({
      action: 'forward-to-foreign-agent',
      clientMac: c.mac,
      careOfAddress: p.careOfAddress,
    });
    this.publishState(c);
    if (granted > 0 && granted !== 0xffff) {
      const renewAt = tx.sentAt + granted * 1000 * this.cfg.renewFraction;
      c.timer = this.deps.scheduler.after(renewAt - this.deps.scheduler.now(), () => {
        if (this.clients.get(c.mac) === c) this.register(c, 'renewal');
      });
    }
  }

  // ---- agent discovery ----------------------------------------------------------------------------

  private onAdvertisementDatagram(payload: Buffer, from: Peer): void {
    const outcome = this.discovery.receive(payload, from, this.deps.scheduler.now());
    if (outcome.kind === 'malformed' || outcome.kind === 'refused') {
      // refused-source (off the subnet, or not on the allow-list) and agent-table-full are counted
      // with the decoding errors: the datagram had no effect.
      this.malformed('advertisement', outcome.errorKind, from);
      return;
    }
    if (outcome.kind === 'ignored') return;
    const { agent } = outcome;
    this.emit({
      type: 'advertisement-received',
      agent: agent.address,
      sequence: agent.sequence,
      registrationLifetime: agent.registrationLifetime,
      homeAgent: agent.homeAgent,
      foreignAgent: agent.foreignAgent,
      careOfAddresses: agent.careOfAddresses,
    });
    // Another foreign agent while the current one is alive: recorded, not adopted, counted.
    if (outcome.switchRefused) this.malformed('advertisement', 'agent-switch-refused', from);
    // The current foreign agent may also have changed without this advertisement (expiry noticed
    // when a registration started): compare with the one the visitors were last moved to.
    const after = this.currentForeignAgent();
    const before = this.announced;
    const changed =
      after !== undefined &&
      (!before || before.key !== after.key || before.careOfAddress !== after.careOfAddress);
    this.announced = after && { key: after.key, careOfAddress: after.careOfAddress };
    if (outcome.reboot) {
      if (!outcome.reboot.act) {
        this.malformed('advertisement', 'reboot-rate-limited', from);
      } else {
        this.emit({
          type: 'agent-reboot-detected',
          agent: agent.address,
          previousSequence: outcome.reboot.previousSequence,
          sequence: agent.sequence,
        });
        // A rebooted foreign agent lost its visitor list: register our visitors again now (at most
        // one round per agent per REBOOT_ROUND_MIN_INTERVAL_MS, and only for the current agent).
        if (outcome.current && !changed) this.reregisterVisitors('renewal');
      }
    }
    if (changed) {
      // A (new) foreign agent: waiting clients register now; registered ones move to the new care-of address.
      for (const c of this.clients.values()) {
        if (c.home) continue;
        if (c.pending?.kind === 'initial' || c.state === 'pending' || c.bound) {
          this.register(c, c.bound ? 'renewal' : 'initial');
        }
      }
    }
  }

  private reregisterVisitors(kind: RegistrationKind): void {
    for (const c of this.clients.values()) if (!c.home && c.bound) this.register(c, kind);
  }

  private solicit(): void {
    const now = this.deps.scheduler.now();
    if (this.icmp) {
      if (now - this.lastSolicitation < SOLICITATION_MIN_INTERVAL_MS) return;
      this.lastSolicitation = now;
      const bytes = AgentDiscovery.solicitation();
      for (const to of this.config.icmpSolicitTo ?? [ALL_MOBILITY_AGENTS]) this.icmp.send(bytes, to);
      this.emit({ type: 'solicitation-sent' });
      return;
    }
    const targets = this.config.solicitTo ?? [];
    if (
      now - this.lastSolicitation < SOLICITATION_MIN_INTERVAL_MS ||
      !this.advertisementSocket ||
      targets.length === 0
    )
      return;
    this.lastSolicitation = now;
    const bytes = AgentDiscovery.solicitation();
    for (const t of targets) this.advertisementSocket.send(bytes, t);
    this.emit({ type: 'solicitation-sent' });
  }

  // ---- life cycle ---------------------------------------------------------------------------------

  /** Stops timers and closes the sockets; clients are forgotten. */
  async stop(): Promise<void> {
    this.enabled = false;
    for (const c of this.clients.values()) {
      c.timer?.cancel();
      c.generation++;
    }
    this.icmp?.close();
    this.icmp = undefined;
    await Promise.all([this.registrationSocket?.close(), this.advertisementSocket?.close()]);
    this.registrationSocket = undefined;
    this.advertisementSocket = undefined;
  }

  /**
   * Disabling PMIP clears the whole PMIP configuration: clients, learnt offsets, the subnet map
   * and every local SA binding, keys included.
   */
  async disable(): Promise<void> {
    await this.stop();
    for (const c of this.clients.values()) this.emit({ type: 'client-removed', client: c.ref });
    this.clients.clear();
    this.byAddress.clear();
    this.offsets.clear();
    this.deps.subnetMap.clear();
    const store = this.deps.securityAssociations as { clear?: () => void };
    store.clear?.();
    this.config.ssids = this.config.ssids.map((s) => ({ ...s, pmip: false }));
    this.config.aaps = [];
  }

  // ---- events -------------------------------------------------------------------------------------

  private emit(e: DistributiveOmit<PmipEvent, 'time' | 'node' | 'nodeKind'>): void {
    this.deps.emit({
      ...e,
      time: this.deps.scheduler.now(),
      node: this.id,
      nodeKind: 'access-point',
    } as PmipEvent);
  }

  private emitMove(c: ClientRecord, movement: Movement, careOfAddress?: string): void {
    if (careOfAddress === undefined) this.emit({ type: 'client-moved', client: c.ref, movement });
    else this.emit({ type: 'client-moved', client: c.ref, movement, careOfAddress });
  }

  /** Emits the client's live row, when it differs from the last one emitted. */
  private publishState(c: ClientRecord): void {
    const v = this.view(c);
    const signature = `${v.state}|${v.nai}|${v.homeAgent}|${v.careOfAddress}|${v.expiresAt}|${v.lastCode}|${v.lastOutcome?.at}|${v.lastOutcome?.kind}|${v.attemptStartedAt}`;
    if (signature === c.published) return;
    c.published = signature;
    const { mac: _mac, address: _address, ...row } = v;
    this.emit({ type: 'client-state', client: c.ref, ...row });
  }

  private violation(reason: SecurityViolationReason, peer: string, client?: ClientRef): void {
    if (client) this.emit({ type: 'security-violation', reason, peer, client });
    else this.emit({ type: 'security-violation', reason, peer });
  }

  private discard(
    reason:
      | 'invalid-home-address'
      | 'unknown-home-agent'
      | 'invalid-identification'
      | 'invalid-extension'
      | 'no-pending-request',
    from: Peer,
  ): void {
    this.emit({ type: 'reply-discarded', reason, peer: from.address });
  }

  private malformed(socket: 'registration' | 'advertisement', errorKind: string, from: Peer): void {
    this.emit({ type: 'malformed-datagram', socket, errorKind, peer: from.address });
  }

  private view(c: ClientRecord): ClientView {
    const v: ClientView = { mac: c.mac, address: c.address, ssid: c.ssid, state: c.state };
    if (c.nai !== undefined) v.nai = c.nai;
    if (c.homeAgent !== undefined) v.homeAgent = c.homeAgent;
    if (c.careOfAddress !== undefined && !c.home) v.careOfAddress = c.careOfAddress;
    if (c.expiresAt !== undefined && c.bound) v.expiresAt = c.expiresAt;
    if (c.lastCode !== undefined) v.lastCode = c.lastCode;
    if (c.lastOutcome !== undefined) v.lastOutcome = c.lastOutcome;
    if (c.attemptStartedAt !== undefined) v.attemptStartedAt = c.attemptStartedAt;
    return v;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
