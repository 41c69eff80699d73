import {
  decodeRegistrationLayout,
  isWireError,
  lenientDecodes,
  type DecodedRegistration,
  type RegistrationReply,
} from '../wire/index.ts';
import type { EventSink, Movement, RegistrationKind, ReplyDiscardReason } from '../events.ts';
import { stampEvent, type EventBody } from '../event-bus.ts';
import { bindUdp, type BindDatagramSocket, type DatagramSocket, type Peer } from '../runtime/udp.ts';
import { IcmpEndpoint, isMobilityAdvertisement } from '../runtime/icmp.ts';
import { AgentDiscovery, endpointKey, type KnownAgent } from './discovery.ts';
import { ACCESS_POINT_DEFAULTS } from '../../config/defaults.ts';
import {
  allowedAgentSet,
  checkAccessPointConfig,
  onSubnet,
  registrationTiming,
  type AccessPointConfig,
  type RegistrationTiming,
  type Subnet,
} from './config.ts';
import { newClientRecord, stateSignature, viewOf, type ClientRecord, type ClientView } from './attempt.ts';
import { ClockOffsets } from './clock-offsets.ts';
import { LearntLifetimes } from './lifetime-limits.ts';
import {
  Registrations,
  type CurrentForeignAgent,
  type RegistrationDeps,
  type RegistrationHost,
} from './registration.ts';

export type { AccessPointConfig, StaticForeignAgent } from './config.ts';
export type { ClientView } from './attempt.ts';
export { LEARNT_LIFETIME_MIN_SECONDS, LEARNT_LIFETIME_TTL_MS } from './lifetime-limits.ts';

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

export interface AccessPointDeps extends RegistrationDeps {
  emit: EventSink;
  locations?: ClientLocations;
  /** How to bind the registration and advertisement sockets (default: real UDP endpoints). */
  bind?: BindDatagramSocket;
}

export interface Association {
  mac: string;
  address: string;
  ssid: string;
  /** NAI to send in the request (extension 131), when the client has one. */
  nai?: string;
}

const SOLICITATION_MIN_INTERVAL_MS = 1000;
/** RFC 5944 section 2.2: solicitations go to the all mobility agents multicast group. */
const ALL_MOBILITY_AGENTS = '224.0.0.11';

/**
 * The proxy access point: registers visiting wireless clients with their home agents through the
 * local foreign agent, on their behalf (RFC 5944; docs/agents.md, docs/events.md). This class owns
 * the sockets, the client table and agent discovery; the registrations themselves are in
 * `registration.ts`, the decision on a reply in `judge-reply.ts`.
 */
export class AccessPoint implements RegistrationHost {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly byAddress = new Map<string, ClientRecord>();
  /** Time offset per home agent (timestamp mode): the home agent's clock minus ours, seconds. */
  readonly offsets = new ClockOffsets();
  /** Longest lifetime each foreign agent accepts, learnt from its 69 denials. */
  readonly lifetimes = new LearntLifetimes();
  readonly timing: RegistrationTiming;
  private readonly registrations: Registrations;
  private readonly discovery: AgentDiscovery;
  /** The foreign agent the visitors were last sent to register through (its key and care-of address). */
  private announced: { key: string; careOfAddress: string } | undefined;
  private readonly locations: ClientLocations;
  private lastSolicitation = -Infinity;
  private registrationSocket: DatagramSocket | undefined;
  private advertisementSocket: DatagramSocket | undefined;
  /** ICMP discovery (discoveryTransport 'icmp'): the raw socket. */
  private icmp: IcmpEndpoint | undefined;
  private enabled = true;

  private constructor(
    readonly config: AccessPointConfig,
    readonly deps: AccessPointDeps,
    private readonly subnet: Subnet,
  ) {
    this.locations = deps.locations ?? new Map<string, ClientLocation>();
    const allowed = allowedAgentSet(config);
    this.discovery = new AgentDiscovery({
      accept: (address) => this.onSubnet(address) && (allowed === undefined || allowed.has(address)),
      preferred: config.allowedAgents ?? [],
    });
    this.timing = registrationTiming(config);
    this.registrations = new Registrations(this);
  }

  /**
   * Checks the operating rules, binds the sockets and starts. Throws PmipRuleError naming every
   * broken rule; a socket that cannot be bound closes the ones already bound before the error.
   */
  static async start(config: AccessPointConfig, deps: AccessPointDeps): Promise<AccessPoint> {
    const subnet = checkAccessPointConfig(config, () => deps.securityAssociations.describe().length);
    const ap = new AccessPoint(config, deps, subnet);
    const bind = deps.bind ?? bindUdp;
    try {
      ap.registrationSocket = await bind({
        address: config.address,
        port: config.registrationPort ?? ACCESS_POINT_DEFAULTS.registrationPort,
        onDatagram: (payload, from) => ap.onRegistrationDatagram(payload, from),
        onHandlerError: (_e, from) => ap.malformed('registration', 'handler-error', from),
      });
      if (
        !config.foreignAgent &&
        config.colocatedCareOfAddress !== true &&
        config.discoveryTransport === 'icmp'
      ) {
        // Throws IcmpUnavailableError (no root / CAP_NET_RAW, module not built): a clear start-up error.
        ap.icmp = IcmpEndpoint.open({
          address: config.address,
          onMessage: (icmp, from) => {
            // The raw socket hears every ICMP message: only agent advertisements matter here.
            if (isMobilityAdvertisement(icmp)) ap.onAdvertisementDatagram(icmp, { address: from, port: 0 });
          },
        });
      } else if (!config.foreignAgent) {
        ap.advertisementSocket = await bind({
          address: config.address,
          port: config.advertisementPort ?? ACCESS_POINT_DEFAULTS.advertisementPort,
          onDatagram: (payload, from) => ap.onAdvertisementDatagram(payload, from),
          onHandlerError: (_e, from) => ap.malformed('advertisement', 'handler-error', from),
        });
      }
    } catch (error) {
      await ap.stop();
      throw error;
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
    return onSubnet(this.subnet, address);
  }

  /** Whether `address` is on this access point's subnet (false for anything that is not IPv4). */
  private onSubnet(address: string): boolean {
    try {
      return this.isHomeAddress(address);
    } catch {
      return false;
    }
  }

  clientViews(): ClientView[] {
    return [...this.clients.values()].map(viewOf);
  }

  client(mac: string): ClientView | undefined {
    const c = this.clients.get(mac);
    return c && viewOf(c);
  }

  knownAgents(): KnownAgent[] {
    return this.discovery.list(this.deps.scheduler.now());
  }

  /** The foreign agent registrations go through now: its registration endpoint and care-of address. */
  foreignAgentInUse(): { address: string; port: number; careOfAddress: string } | undefined {
    const fa = this.foreignAgent();
    return fa && { address: fa.peer.address, port: fa.peer.port, careOfAddress: fa.careOfAddress };
  }

  /** Time offset learnt for a home agent (seconds; 0 when none). */
  offsetFor(homeAgent: string): number {
    return this.offsets.of(homeAgent);
  }

  /** The lifetime limit learnt for a foreign agent (seconds), if one is in force: for tests and views. */
  learntLifetimeLimit(fa: Peer): number | undefined {
    return this.lifetimes.limit(fa, this.deps.scheduler.now());
  }

  // ---- associations ---------------------------------------------------------------------------

  /** A client associated with this access point. */
  associate(a: Association): void {
    if (!this.enabled) return;
    const ssid = this.config.ssids.find((s) => s.name === a.ssid);
    if (!ssid?.pmip) return; // PMIP is off on this SSID: the client is not ours to proxy
    if (this.clients.has(a.mac)) this.disassociate(a.mac);
    const home = this.isHomeAddress(a.address);
    const record = newClientRecord(a, home);
    this.clients.set(a.mac, record);
    this.byAddress.set(a.address, record);

    const previous = this.locations.get(a.mac);
    if (home) {
      this.publishState(record);
      if (previous?.kind === 'foreign') {
        this.emitMove(record, 'foreign-to-home');
        this.registrations.register(record, 'deregistration');
      }
      this.locations.set(a.mac, { kind: 'home', accessPoint: this.id });
      return;
    }
    const coa = this.foreignAgent()?.careOfAddress;
    if (!previous || previous.kind === 'home') this.emitMove(record, 'home-to-foreign', coa);
    else if (coa !== undefined && previous.careOfAddress !== undefined && previous.careOfAddress !== coa) {
      this.emitMove(record, 'foreign-to-foreign', coa);
    }
    const location: ClientLocation = { kind: 'foreign', accessPoint: this.id };
    if (coa !== undefined) location.careOfAddress = coa;
    this.locations.set(a.mac, location);
    this.publishState(record);
    this.registrations.register(record, 'initial');
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
    this.registrations.register(c, c.bound ? 'renewal' : 'initial');
    return true;
  }

  // ---- what registrations need (RegistrationHost) ---------------------------------------------

  owns(c: ClientRecord): boolean {
    return this.clients.get(c.mac) === c;
  }

  running(): boolean {
    return this.enabled;
  }

  send(bytes: Buffer, to: Peer): void {
    this.registrationSocket?.send(bytes, to);
  }

  foreignAgent(): CurrentForeignAgent | undefined {
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
      peer: {
        address: a.address,
        port: this.config.foreignAgentPort ?? ACCESS_POINT_DEFAULTS.foreignAgentPort,
      },
      careOfAddress: a.careOfAddresses[0]!,
      maxLifetime: a.registrationLifetime,
    };
  }

  solicit(): void {
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

  // ---- replies --------------------------------------------------------------------------------

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
    const reply = decoded as DecodedRegistration<RegistrationReply>;
    const c = this.byAddress.get(reply.message.homeAddress);
    if (!c) return this.discard('invalid-home-address', from);
    const p = c.pending;
    if (!p) return this.discard('no-pending-request', from);
    this.registrations.guarded(c, p.kind, () => this.registrations.onReply(c, p, reply, from));
  }

  // ---- agent discovery ------------------------------------------------------------------------

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
    const after = this.foreignAgent();
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
          this.registrations.register(c, c.bound ? 'renewal' : 'initial');
        }
      }
    }
  }

  private reregisterVisitors(kind: RegistrationKind): void {
    for (const c of this.clients.values()) if (!c.home && c.bound) this.registrations.register(c, kind);
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

  emit(e: EventBody): void {
    // Not swallowed here: a throwing sink inside a client's step ends that step (contained there).
    this.deps.emit(stampEvent(e, this.deps.scheduler.now(), this.id, 'access-point'));
  }

  private emitMove(c: ClientRecord, movement: Movement, careOfAddress?: string): void {
    if (careOfAddress === undefined) this.emit({ type: 'client-moved', client: c.ref, movement });
    else this.emit({ type: 'client-moved', client: c.ref, movement, careOfAddress });
  }

  /** Emits the client's live row, when it differs from the last one emitted. */
  publishState(c: ClientRecord): void {
    const v = viewOf(c);
    const signature = stateSignature(v);
    if (signature === c.published) return;
    c.published = signature;
    const { mac: _mac, address: _address, ...row } = v;
    this.emit({ type: 'client-state', client: c.ref, ...row });
  }

  private discard(reason: ReplyDiscardReason, from: Peer): void {
    this.emit({ type: 'reply-discarded', reason, peer: from.address });
  }

  private malformed(socket: 'registration' | 'advertisement', errorKind: string, from: Peer): void {
    this.emit({ type: 'malformed-datagram', socket, errorKind, peer: from.address });
  }
}
