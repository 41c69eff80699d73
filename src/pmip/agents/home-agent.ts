import {
  NTP_UNIX_OFFSET_SECONDS,
  decodeRegistrationLayout,
  encodeRegistration,
  findAuthExtension,
  identificationHigh,
  identificationLow,
  identificationToHex,
  identificationToUnixSeconds,
  ipv4ToUint32,
  makeIdentification,
  PerNodeAuthenticationMethod,
  PmipNonSkippableSubtype,
  replyCode,
  verifyAuthentication,
  type AdvertisementFlags,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
} from '../wire/index.ts';
import { ReplyCode } from '../wire/reply-codes.ts';
import type { RegistrationKind, SecurityViolationReason } from '../events.ts';
import type { SecurityAssociation, SecurityAssociationProvider } from '../security/store.ts';
import { SimulatedDataPlane, type DataPlane } from '../runtime/data-plane.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import { UdpEndpoint, type Peer } from '../runtime/udp.ts';
import { AgentAdvertiser } from './advertiser.ts';
import {
  agentEmitter,
  checkLifetime,
  checkPort,
  lifetimeMs,
  reportLenient,
  reportMalformed,
  resolveSubnet,
  type AgentDeps,
  type AgentEmitter,
  type ResolvedSubnet,
  type SubnetSpec,
} from './common.ts';

/**
 * A home agent after RFC 5944 section 3.8: authenticates Registration Requests with the mobile
 * node's security association, enforces replay protection (timestamps or nonces, section 5.7),
 * keeps the mobility binding table with expiry, and drives the data plane (proxy and gratuitous
 * ARP, section 4.6; the tunnel to the care-of address, sections 4.1-4.2). Real UDP, injected time.
 */
export interface HomeAgentAdvertisementConfig {
  /** Period of unsolicited advertisements; 0 or absent: answer solicitations only. */
  intervalMs?: number;
  /** Where advertisements go (the access points' advertisement sockets). */
  peers?: Peer[];
  /** Advertisement port to bind (0 = any free port; default 0). */
  port?: number;
  /** First sequence number (default 0). */
  initialSequence?: number;
  /** Flags added to H (e.g. F with careOfAddresses when this node is also a foreign agent). */
  flags?: Partial<AdvertisementFlags>;
  careOfAddresses?: string[];
}

export type Encapsulation = 'ip-in-ip' | 'gre' | 'minimal';

export interface HomeAgentConfig {
  id: string;
  /** The home agent's unicast address (bound, and put in every reply's Home Agent field). */
  address: string;
  /** Registration port (RFC 5944: 434; 0 = any free port, see `port` once started). */
  port: number;
  /** The home network: CIDR text, {network, mask}, or a prefix length applied to `address`. */
  subnet?: string | SubnetSpec;
  prefixLength?: number;
  /**
   * The subnet-directed broadcast address (default: computed from the subnet). A request whose
   * Home Agent field is this address is answered with 136 and the unicast address.
   */
  broadcastAddress?: string;
  /**
   * More local addresses to receive requests on, on the same port (loopback has no broadcast:
   * bind the broadcast address here so that a request sent to it arrives).
   */
  extraListen?: string[];
  /** Longest lifetime granted, seconds (65535 = infinite allowed). */
  maxLifetime: number;
  /** Whether the S flag is honoured (default false: S is answered with code 1, one binding). */
  simultaneousBindings?: boolean;
  /** With simultaneous bindings: how many care-of addresses per home address (default 5; more: 135). */
  maxSimultaneousBindings?: number;
  /** Encapsulations the home agent can tunnel with besides IP-in-IP (default: both). */
  encapsulations?: { gre?: boolean; minimal?: boolean };
  /** Whether reverse tunnelling (T flag) is offered (default true). */
  reverseTunnel?: boolean;
  /** The mobility security associations, looked up by home address. */
  securityAssociations: SecurityAssociationProvider;
  /**
   * Proxy mode (RFC 5563 section 3.1): per-node SAs, found by the SPI of the Foreign-Home
   * extension (34) of a request that carries the per-node authentication method extension (47,
   * method FA-HA). Such requests are authenticated with 34 alone and answered with 34 alone.
   */
  perNodeSecurityAssociations?: SecurityAssociation[];
  /** Periodic agent advertisements with the H flag. */
  advertisements?: HomeAgentAdvertisementConfig;
}

export interface BindingView {
  homeAddress: string;
  careOfAddress: string;
  /** Granted lifetime, seconds (65535 = infinite). */
  lifetime: number;
  registeredAt: number;
  /** When the binding expires (ms since epoch); absent for the infinite lifetime. */
  expiresAt?: number;
  /** Seconds left; absent for the infinite lifetime. */
  remainingSeconds?: number;
  encapsulation: Encapsulation;
  reverseTunnel: boolean;
  /** Identification of the request that created or last renewed the binding, 16 hex digits. */
  identification: string;
  /** Where that request came from (the foreign agent, or the access point directly). */
  source: Peer;
}

export interface HomeAgentStats {
  /** Requests received, deregistrations included (haRegistrationRequestsReceived). */
  requestsReceived: number;
  deregistrationsReceived: number;
  repliesSent: number;
  /** Replies with code 0 or 1. */
  accepted: number;
  /** Replies with a denial code. */
  denied: number;
  /** Replies per code (accepted and denied). */
  repliesByCode: Record<number, number>;
  bindingsCreated: number;
  bindingsRenewed: number;
  bindingsRemoved: number;
  bindingsExpired: number;
  securityViolations: number;
  malformedDatagrams: number;
  gratuitousArps: number;
  proxyArps: number;
  advertisementsSent: number;
}

interface BindingRecord {
  homeAddress: string;
  careOfAddress: string;
  lifetime: number;
  registeredAt: number;
  expiresAt?: number;
  encapsulation: Encapsulation;
  reverseTunnel: boolean;
  identification: bigint;
  source: Peer;
  timer?: TimerHandle;
}

/** The per-node authentication method of a request's extension 47 (sub-type 1), if it has one. */
function perNodeMethod(req: RegistrationRequest): number | undefined {
  for (const e of req.extensions)
    if (
      e.kind === 'long' &&
      e.type === 47 &&
      e.subtype === PmipNonSkippableSubtype.perNodeAuthenticationMethod
    )
      return e.data[0] ?? 0;
  return undefined;
}

const DEFAULT_MAX_SIMULTANEOUS_BINDINGS = 5;
const ZERO_ADDRESS = '0.0.0.0';
const HA_ADMINISTRATIVELY_PROHIBITED = 129;
const HA_TOO_MANY_BINDINGS = 135;
const HA_REVERSE_TUNNEL_UNAVAILABLE = 137;
const HA_ENCAPSULATION_UNAVAILABLE = 139;

type IdentificationCheck = { ok: true } | { ok: false; reply: bigint; violation: boolean };

export class HomeAgent {
  /** home address -> care-of address -> binding */
  private readonly table = new Map<string, Map<string, BindingRecord>>();
  /** Timestamp mode: the highest identification accepted per home address. */
  private readonly lastAccepted = new Map<string, bigint>();
  /** Nonce mode: the nonce each home address must use next. */
  private readonly nonces = new Map<string, number>();
  private readonly counters: Omit<HomeAgentStats, 'repliesByCode' | 'advertisementsSent'> = {
    requestsReceived: 0,
    deregistrationsReceived: 0,
    repliesSent: 0,
    accepted: 0,
    denied: 0,
    bindingsCreated: 0,
    bindingsRenewed: 0,
    bindingsRemoved: 0,
    bindingsExpired: 0,
    securityViolations: 0,
    malformedDatagrams: 0,
    gratuitousArps: 0,
    proxyArps: 0,
  };
  private readonly byCode = new Map<number, number>();
  private readonly emit: AgentEmitter;
  private readonly sockets: UdpEndpoint[] = [];
  private advertiserInstance: AgentAdvertiser | undefined;
  private stopped = false;
  /** The data plane the agent drives (a SimulatedDataPlane unless one was injected). */
  readonly dataPlane: DataPlane;
  readonly subnet: ResolvedSubnet;
  readonly broadcastAddress: string;
  private readonly gre: boolean;
  private readonly minimal: boolean;
  private readonly reverse: boolean;
  private readonly maxSimultaneous: number;

  private constructor(
    readonly config: HomeAgentConfig,
    private readonly deps: AgentDeps,
  ) {
    const field = `homeAgents[${config.id}]`;
    ipv4ToUint32(config.address, `${field}.address`);
    checkPort(config.port, `${field}.port`);
    checkLifetime(config.maxLifetime, `${field}.maxLifetime`);
    if (config.subnet === undefined && config.prefixLength === undefined)
      throw new Error(`${field}.subnet: a home agent needs its home network (subnet or prefixLength)`);
    this.subnet = resolveSubnet(
      config.subnet ?? config.prefixLength ?? 32,
      config.address,
      config.subnet !== undefined ? `${field}.subnet` : `${field}.prefixLength`,
    );
    if (config.broadcastAddress !== undefined)
      ipv4ToUint32(config.broadcastAddress, `${field}.broadcastAddress`);
    this.broadcastAddress = config.broadcastAddress ?? this.subnet.broadcast;
    this.gre = config.encapsulations?.gre ?? true;
    this.minimal = config.encapsulations?.minimal ?? true;
    this.reverse = config.reverseTunnel ?? true;
    this.maxSimultaneous = config.maxSimultaneousBindings ?? DEFAULT_MAX_SIMULTANEOUS_BINDINGS;
    if (!Number.isInteger(this.maxSimultaneous) || this.maxSimultaneous < 1)
      throw new Error(`${field}.maxSimultaneousBindings: must be an integer >= 1`);
    this.dataPlane = deps.dataPlane ?? new SimulatedDataPlane();
    this.emit = agentEmitter(deps.emit, deps.scheduler, config.id, 'home-agent');
  }

  /** Validates the configuration, binds the sockets (and the advertiser) and starts serving. */
  static async start(config: HomeAgentConfig, deps: AgentDeps): Promise<HomeAgent> {
    const ha = new HomeAgent(config, deps);
    try {
      const main = await ha.bind(config.address, config.port);
      for (const extra of config.extraListen ?? []) {
        if (extra === config.address) continue;
        await ha.bind(extra, main.port);
      }
      const adv = config.advertisements;
      if (adv) {
        ha.advertiserInstance = await AgentAdvertiser.start(
          {
            address: config.address,
            port: adv.port ?? 0,
            intervalMs: adv.intervalMs ?? 0,
            peers: adv.peers ?? [],
            flags: { ...adv.flags, H: true },
            careOfAddresses: adv.careOfAddresses ?? [],
            registrationLifetime: config.maxLifetime,
            initialSequence: adv.initialSequence ?? 0,
            prefixLength: ha.subnet.prefixLength,
          },
          { scheduler: deps.scheduler, emit: ha.emit },
        );
      }
    } catch (error) {
      await ha.stop();
      throw error;
    }
    return ha;
  }

  get id(): string {
    return this.config.id;
  }

  get address(): string {
    return this.config.address;
  }

  /** The bound registration port (useful when 0 was configured). */
  get port(): number {
    return this.sockets[0]?.port ?? 0;
  }

  /** Every address:port requests are received on. */
  get listening(): Peer[] {
    return this.sockets.map((s) => ({ address: s.address, port: s.port }));
  }

  /** The advertiser, when advertisements are configured (its port, peers, sequence). */
  get advertiser(): AgentAdvertiser | undefined {
    return this.advertiserInstance;
  }

  /** The mobility binding table (haMobilityBindingTable), one row per home address and care-of address. */
  bindings(): BindingView[] {
    const now = this.deps.scheduler.now();
    const out: BindingView[] = [];
    for (const perHome of this.table.values()) {
      for (const b of perHome.values()) {
        const v: BindingView = {
          homeAddress: b.homeAddress,
          careOfAddress: b.careOfAddress,
          lifetime: b.lifetime,
          registeredAt: b.registeredAt,
          encapsulation: b.encapsulation,
          reverseTunnel: b.reverseTunnel,
          identification: identificationToHex(b.identification),
          source: { ...b.source },
        };
        if (b.expiresAt !== undefined) {
          v.expiresAt = b.expiresAt;
          v.remainingSeconds = Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
        }
        out.push(v);
      }
    }
    return out;
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<HomeAgentStats> {
    const repliesByCode: Record<number, number> = {};
    for (const [code, n] of this.byCode) repliesByCode[code] = n;
    return Object.freeze({
      ...this.counters,
      repliesByCode,
      advertisementsSent: this.advertiserInstance?.sent ?? 0,
    });
  }

  /** Stops the timers and closes the sockets. Bindings stay visible but no longer expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const perHome of this.table.values())
      for (const b of perHome.values()) {
        b.timer?.cancel();
        delete b.timer;
      }
    const sockets = this.sockets.splice(0);
    const adv = this.advertiserInstance;
    await Promise.all([...sockets.map((s) => s.close()), adv?.stop()]);
  }

  // ---- receiving ----------------------------------------------------------------------------------

  private async bind(address: string, port: number): Promise<UdpEndpoint> {
    const socket = await UdpEndpoint.bind({
      address,
      port,
      onDatagram: (payload, from) => this.onDatagram(payload, from),
      onHandlerError: (error, from) => this.malformed(error, from),
    });
    this.sockets.push(socket);
    return socket;
  }

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
      this.malformed(error, from);
      return;
    }
    if (decoded.message.type !== 'registration-request') {
      // A home agent receives requests only; a reply here is noise.
      this.counters.malformedDatagrams++;
      this.emit({
        type: 'malformed-datagram',
        socket: 'registration',
        errorKind: 'unexpected-reply',
        peer: from.address,
      });
      return;
    }
    reportLenient(this.emit, 'registration', decoded.message.extensions, from);
    this.onRequest(decoded as DecodedRegistration<RegistrationRequest>, from).catch((error: unknown) =>
      this.malformed(error, from),
    );
  }

  private async onRequest(decoded: DecodedRegistration<RegistrationRequest>, from: Peer): Promise<void> {
    const req = decoded.message;
    const deregistration = req.lifetime === 0 || req.careOfAddress === req.homeAddress;
    const kind: RegistrationKind = deregistration
      ? 'deregistration'
      : this.table.has(req.homeAddress)
        ? 'renewal'
        : 'initial';
    this.counters.requestsReceived++;
    if (deregistration) this.counters.deregistrationsReceived++;
    this.emit({
      type: 'request-received',
      kind,
      homeAddress: req.homeAddress,
      careOfAddress: req.careOfAddress,
    });

    // Dynamic home addresses (RFC 2794) are not offered: a zero home address has no SA to use.
    if (req.homeAddress === ZERO_ADDRESS || (!deregistration && req.careOfAddress === ZERO_ADDRESS)) {
      this.deny(ReplyCode.haPoorlyFormedRequest, req, from, undefined, req.identification);
      return;
    }

    // 1'. Proxy mode (RFC 5563 section 3.1): the per-node authentication method extension says
    // the proxy authenticates for the node with the Foreign-Home extension and a per-node SA.
    const method = perNodeMethod(req);
    if (method !== undefined) return this.onProxyRequest(decoded, from, method, deregistration);

    // 1. Authentication (RFC 5944 section 3.8.2): the Mobile-Home extension with the SA.
    const ext = findAuthExtension(decoded, 32);
    let sa: SecurityAssociation | undefined;
    try {
      sa = (await this.config.securityAssociations.lookup(req.homeAddress))?.sa;
    } catch {
      // The SA source failed (e.g. an AAA timeout): not the node's fault, not a violation.
      if (!this.stopped) this.deny(ReplyCode.haUnspecified, req, from, undefined, req.identification);
      return;
    }
    if (this.stopped) return;
    const authFailure = (reason: SecurityViolationReason, replySa: SecurityAssociation | undefined): void => {
      this.violation(reason, from);
      this.deny(ReplyCode.haMnFailedAuthentication, req, from, replySa, req.identification);
    };
    if (!ext) return authFailure('missing-security-extension', sa);
    if (!sa) return authFailure('no-mobility-security-association', undefined);
    if (ext.extension.spi !== sa.spi) return authFailure('bad-spi', sa);
    if (verifyAuthentication(decoded, { spi: sa.spi, key: sa.key, algorithm: sa.algorithm }) !== 'ok')
      return authFailure('bad-authenticator', sa);
    this.accept(req, from, sa, deregistration, 32);
  }

  /** A proxy-mode request: extension 34 with a per-node SA (RFC 5563 section 3.1). */
  private onProxyRequest(
    decoded: DecodedRegistration<RegistrationRequest>,
    from: Peer,
    method: number,
    deregistration: boolean,
  ): void {
    const req = decoded.message;
    const perNode = this.config.perNodeSecurityAssociations ?? [];
    const ext = findAuthExtension(decoded, 34);
    const sa = ext ? perNode.find((x) => x.spi === ext.extension.spi) : undefined;
    const failure = (reason: SecurityViolationReason, replySa: SecurityAssociation | undefined): void => {
      this.violation(reason, from);
      this.deny(ReplyCode.haFaFailedAuthentication, req, from, replySa, req.identification, 34);
    };
    // Only FA-HA authentication is offered here (method 2, IPsec, is not), and only when configured.
    if (method !== PerNodeAuthenticationMethod.faHa || perNode.length === 0) {
      this.deny(HA_ADMINISTRATIVELY_PROHIBITED, req, from, undefined, req.identification);
      return;
    }
    if (!ext) return failure('missing-security-extension', undefined);
    if (!sa) return failure('bad-spi', undefined);
    if (
      verifyAuthentication(decoded, { type: 34, spi: sa.spi, key: sa.key, algorithm: sa.algorithm }) !== 'ok'
    )
      return failure('bad-authenticator', sa);
    this.accept(req, from, sa, deregistration, 34);
  }

  /** After authentication: replay protection, then the checks of the request and the binding. */
  private accept(
    req: RegistrationRequest,
    from: Peer,
    sa: SecurityAssociation,
    deregistration: boolean,
    authType: 32 | 34,
  ): void {
    // 2. Replay protection (section 5.7).
    const idCheck = this.checkIdentification(req, sa);
    if (!idCheck.ok) {
      if (idCheck.violation) this.violation('bad-identifier', from);
      this.deny(ReplyCode.haIdentificationMismatch, req, from, sa, idCheck.reply, authType);
      return;
    }
    // From here on every authenticated reply in nonce mode hands out the next nonce.
    const replyId = (): bigint => this.replyIdentification(req, sa);

    // 3. The request must name this home agent's unicast address (home agent discovery, 136).
    if (req.homeAgent !== this.config.address) {
      this.deny(ReplyCode.haUnknownHomeAgentAddress, req, from, sa, replyId(), authType);
      return;
    }

    // 4. Services asked for.
    const asked = req.flags.G || req.flags.M;
    if (asked && !((req.flags.G && this.gre) || (req.flags.M && this.minimal))) {
      this.deny(HA_ENCAPSULATION_UNAVAILABLE, req, from, sa, replyId(), authType);
      return;
    }
    if (req.flags.T && !this.reverse) {
      this.deny(HA_REVERSE_TUNNEL_UNAVAILABLE, req, from, sa, replyId(), authType);
      return;
    }
    const multiple = req.flags.S && this.config.simultaneousBindings === true;
    const code = req.flags.S && !multiple ? ReplyCode.acceptedNoSimultaneousBindings : ReplyCode.accepted;
    const existing = this.table.get(req.homeAddress);
    if (
      !deregistration &&
      multiple &&
      existing &&
      !existing.has(req.careOfAddress) &&
      existing.size >= this.maxSimultaneous
    ) {
      this.deny(HA_TOO_MANY_BINDINGS, req, from, sa, replyId(), authType);
      return;
    }

    // Accepted.
    if (sa.replay === 'timestamp') this.lastAccepted.set(req.homeAddress, req.identification);
    let granted = 0;
    if (deregistration) {
      if (multiple && req.lifetime === 0 && req.careOfAddress !== req.homeAddress)
        this.removeBinding(req.homeAddress, req.careOfAddress, 'binding-removed');
      else this.removeAll(req.homeAddress, 'binding-removed');
    } else {
      granted = Math.min(req.lifetime, this.config.maxLifetime);
      this.bindOrRenew(req, from, granted, multiple);
    }
    this.reply(code, granted, req, from, sa, replyId(), authType);
  }

  private checkIdentification(req: RegistrationRequest, sa: SecurityAssociation): IdentificationCheck {
    const low = identificationLow(req.identification);
    if (sa.replay === 'nonce') {
      const current = this.nonces.get(req.homeAddress);
      if (current !== undefined && identificationHigh(req.identification) === current) return { ok: true };
      // Section 5.7.2: the low half comes back, the high half is the nonce to use next.
      return {
        ok: false,
        reply: makeIdentification(this.freshNonce(req.homeAddress), low),
        violation: current !== undefined,
      };
    }
    const now = this.deps.scheduler.now();
    const skew = Math.abs(identificationToUnixSeconds(req.identification) - now / 1000);
    const last = this.lastAccepted.get(req.homeAddress);
    if (skew <= sa.replayWindowSeconds && (last === undefined || req.identification > last))
      return { ok: true };
    // Section 5.7.1: keep the node's low 32 bits, put our own time (seconds) in the high 32 bits,
    // so that the sender can resynchronise. Echoing the request's identification would not.
    const haSeconds = Math.floor(now / 1000) + NTP_UNIX_OFFSET_SECONDS;
    return { ok: false, reply: makeIdentification(haSeconds, low), violation: true };
  }

  /** The identification of an authenticated reply after a good identification check. */
  private replyIdentification(req: RegistrationRequest, sa: SecurityAssociation): bigint {
    if (sa.replay === 'timestamp') return req.identification;
    return makeIdentification(this.freshNonce(req.homeAddress), identificationLow(req.identification));
  }

  private freshNonce(homeAddress: string): number {
    const previous = this.nonces.get(homeAddress);
    let nonce = this.deps.random.uint32() >>> 0;
    if (nonce === previous) nonce = (nonce + 1) >>> 0;
    this.nonces.set(homeAddress, nonce);
    return nonce;
  }

  // ---- bindings -----------------------------------------------------------------------------------

  private bindOrRenew(req: RegistrationRequest, from: Peer, granted: number, multiple: boolean): void {
    const home = req.homeAddress;
    const before = this.table.get(home);
    const wasAway = before !== undefined && before.size > 0;
    // Without simultaneous bindings a new care-of address replaces the old ones (section 3.8.2).
    if (before && !multiple) {
      for (const coa of [...before.keys()])
        if (coa !== req.careOfAddress) this.removeBinding(home, coa, 'binding-removed', true);
    }
    let perHome = this.table.get(home);
    if (!perHome) {
      perHome = new Map();
      this.table.set(home, perHome);
    }
    const now = this.deps.scheduler.now();
    const encapsulation: Encapsulation =
      req.flags.G && this.gre ? 'gre' : req.flags.M && this.minimal ? 'minimal' : 'ip-in-ip';
    const existing = perHome.get(req.careOfAddress);
    const record: BindingRecord = existing ?? {
      homeAddress: home,
      careOfAddress: req.careOfAddress,
      lifetime: granted,
      registeredAt: now,
      encapsulation,
      reverseTunnel: req.flags.T,
      identification: req.identification,
      source: { ...from },
    };
    record.timer?.cancel();
    delete record.timer;
    record.lifetime = granted;
    record.registeredAt = now;
    record.reverseTunnel = req.flags.T;
    record.identification = req.identification;
    record.source = { ...from };
    const ms = lifetimeMs(granted);
    if (ms === undefined) delete record.expiresAt;
    else {
      record.expiresAt = now + ms;
      record.timer = this.deps.scheduler.after(ms, () => this.expire(record));
    }
    if (existing) {
      if (existing.encapsulation !== encapsulation) {
        this.apply({ action: 'tunnel-down', homeAddress: home, careOfAddress: req.careOfAddress });
        existing.encapsulation = encapsulation;
        this.apply({
          action: 'tunnel-up',
          homeAddress: home,
          careOfAddress: req.careOfAddress,
          encapsulation,
        });
      }
      this.counters.bindingsRenewed++;
      this.emit({
        type: 'binding-renewed',
        homeAddress: home,
        careOfAddress: req.careOfAddress,
        lifetime: granted,
      });
      return;
    }
    perHome.set(req.careOfAddress, record);
    if (!wasAway) {
      // Section 4.6: intercept the home address on the home link, and tell the link at once.
      this.apply({ action: 'proxy-arp-start', address: home });
      this.counters.proxyArps++;
      this.emit({ type: 'arp-sent', kind: 'proxy', address: home });
      this.apply({ action: 'gratuitous-arp', address: home });
      this.counters.gratuitousArps++;
      this.emit({ type: 'arp-sent', kind: 'gratuitous', address: home });
    }
    this.apply({ action: 'tunnel-up', homeAddress: home, careOfAddress: req.careOfAddress, encapsulation });
    this.counters.bindingsCreated++;
    this.emit({
      type: 'binding-created',
      homeAddress: home,
      careOfAddress: req.careOfAddress,
      lifetime: granted,
    });
  }

  private expire(record: BindingRecord): void {
    if (this.stopped) return;
    const current = this.table.get(record.homeAddress)?.get(record.careOfAddress);
    if (current !== record) return;
    delete record.timer;
    this.removeBinding(record.homeAddress, record.careOfAddress, 'binding-expired');
  }

  private removeAll(home: string, type: 'binding-removed' | 'binding-expired'): void {
    const perHome = this.table.get(home);
    if (!perHome) return;
    for (const coa of [...perHome.keys()]) this.removeBinding(home, coa, type);
  }

  /**
   * Removes one binding. When it was the last one for the home address (and the node is not just
   * moving to another care-of address), proxy ARP stops and a gratuitous ARP restores the node's
   * own mapping on the home link (section 4.6).
   */
  private removeBinding(
    home: string,
    careOfAddress: string,
    type: 'binding-removed' | 'binding-expired',
    moving = false,
  ): void {
    const perHome = this.table.get(home);
    const record = perHome?.get(careOfAddress);
    if (!perHome || !record) return;
    record.timer?.cancel();
    delete record.timer;
    perHome.delete(careOfAddress);
    const last = perHome.size === 0 && !moving;
    if (perHome.size === 0) this.table.delete(home);
    if (last) this.apply({ action: 'proxy-arp-stop', address: home });
    this.apply({ action: 'tunnel-down', homeAddress: home, careOfAddress });
    if (last) {
      this.apply({ action: 'gratuitous-arp', address: home });
      this.counters.gratuitousArps++;
      this.emit({ type: 'arp-sent', kind: 'gratuitous', address: home });
    }
    if (type === 'binding-removed') this.counters.bindingsRemoved++;
    else this.counters.bindingsExpired++;
    this.emit({ type, homeAddress: home, careOfAddress, lifetime: 0 });
  }

  private apply(action: Parameters<DataPlane['apply']>[0]): void {
    try {
      this.dataPlane.apply(action);
    } catch {
      // A failing data-plane adapter must not stop registrations being answered.
    }
  }

  // ---- replying -----------------------------------------------------------------------------------

  private violation(reason: SecurityViolationReason, from: Peer): void {
    this.counters.securityViolations++;
    this.emit({ type: 'security-violation', reason, peer: from.address });
  }

  private deny(
    code: number,
    req: RegistrationRequest,
    from: Peer,
    sa: SecurityAssociation | undefined,
    identification: bigint,
    authType: 32 | 34 = 32,
  ): void {
    const info = replyCode(code);
    this.emit({ type: 'request-denied', code, reason: info.reason, homeAddress: req.homeAddress });
    this.reply(code, 0, req, from, sa, identification, authType);
  }

  /**
   * Sends a Registration Reply to the request's source address and port, from the unicast socket,
   * with the home agent's unicast address in the Home Agent field and, when an SA is known, a
   * Mobile-Home authentication extension computed with it (section 3.8.3).
   */
  private reply(
    code: number,
    lifetime: number,
    req: RegistrationRequest,
    to: Peer,
    sa: SecurityAssociation | undefined,
    identification: bigint,
    authType: 32 | 34 = 32,
  ): void {
    const socket = this.sockets[0];
    if (this.stopped || !socket) return;
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code,
      lifetime,
      homeAddress: req.homeAddress,
      homeAgent: this.config.address,
      identification,
      extensions: [],
    };
    const bytes = encodeRegistration(
      reply,
      sa ? { type: authType, spi: sa.spi, key: sa.key, algorithm: sa.algorithm } : undefined,
    );
    try {
      socket.send(bytes, to);
    } catch {
      return;
    }
    const info = replyCode(code);
    this.counters.repliesSent++;
    if (info.accepted) this.counters.accepted++;
    else this.counters.denied++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    this.emit({
      type: 'reply-sent',
      code,
      reason: info.reason,
      homeAddress: req.homeAddress,
      relayed: false,
    });
  }
}
