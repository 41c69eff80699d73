import { HOME_AGENT_DEFAULTS } from '../../config/defaults.ts';
import type { SecurityAssociation, SecurityAssociationProvider } from '../security/store.ts';
import { SimulatedDataPlane, type DataPlane } from '../runtime/data-plane.ts';
import type { Peer } from '../runtime/udp.ts';
import { checkPort } from '../wire/checks.ts';
import { ipv4ToUint32 } from '../wire/ipv4.ts';
import {
  encodeRegistration,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
} from '../wire/registration.ts';
import { replyCode } from '../reply-codes.ts';
import { Agent, advertiserSettings, type AgentAdvertisementConfig } from './agent-lifecycle.ts';
import { BindingTable, type BindingView } from './binding-table.ts';
import {
  checkLifetime,
  resolveSubnet,
  requestKind,
  type AgentDeps,
  type ResolvedSubnet,
  type SubnetSpec,
} from './common.ts';
import {
  decideRequest,
  needsMobileHomeSa,
  type HomeAgentPolicy,
  type RequestDecision,
  type SaLookup,
} from './decide-request.ts';
import { ReplayProtection } from './replay-protection.ts';

export type { BindingView, Encapsulation } from './binding-table.ts';

/**
 * A home agent after RFC 5944 section 3.8: authenticates Registration Requests with the mobile
 * node's security association, enforces replay protection (timestamps or nonces, section 5.7),
 * keeps the mobility binding table with expiry, and drives the data plane (proxy and gratuitous
 * ARP, section 4.6; the tunnel to the care-of address, sections 4.1-4.2). Real UDP unless a
 * `bind` is injected; injected time. The decision on a request is `decideRequest`; the table is
 * `BindingTable`, the replay state `ReplayProtection`; this class carries decisions out.
 */
export interface HomeAgentAdvertisementConfig extends AgentAdvertisementConfig {
  /** With F among `flags` (this node is also a foreign agent): the care-of addresses offered. */
  careOfAddresses?: string[];
}

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

/** The policy the decision reads, from the configuration with its defaults; errors name the field. */
function homeAgentPolicy(config: HomeAgentConfig, field: string): HomeAgentPolicy {
  const defaults = HOME_AGENT_DEFAULTS;
  const maxSimultaneous = config.maxSimultaneousBindings ?? defaults.maxSimultaneousBindings;
  if (!Number.isInteger(maxSimultaneous) || maxSimultaneous < 1)
    throw new Error(`${field}.maxSimultaneousBindings: must be an integer >= 1`);
  return {
    address: config.address,
    maxLifetime: config.maxLifetime,
    gre: config.encapsulations?.gre ?? defaults.encapsulations.gre,
    minimal: config.encapsulations?.minimal ?? defaults.encapsulations.minimal,
    reverseTunnel: config.reverseTunnel ?? defaults.reverseTunnel,
    simultaneousBindings: config.simultaneousBindings ?? defaults.simultaneousBindings,
    maxSimultaneousBindings: maxSimultaneous,
    perNodeSecurityAssociations: config.perNodeSecurityAssociations ?? [],
  };
}

export class HomeAgent extends Agent<HomeAgentConfig> {
  private readonly table: BindingTable;
  private readonly replay: ReplayProtection;
  private readonly policy: HomeAgentPolicy;
  /** The data plane the agent drives (a SimulatedDataPlane unless one was injected). */
  readonly dataPlane: DataPlane;
  readonly subnet: ResolvedSubnet;
  readonly broadcastAddress: string;

  private constructor(config: HomeAgentConfig, deps: AgentDeps) {
    super(config, deps, 'home-agent');
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
    this.policy = homeAgentPolicy(config, field);
    this.dataPlane = deps.dataPlane ?? new SimulatedDataPlane();
    this.table = new BindingTable({
      scheduler: deps.scheduler,
      emit: this.life.emit,
      dataPlane: this.dataPlane,
    });
    this.replay = new ReplayProtection(deps.random);
  }

  /** Validates the configuration, binds the sockets (and the advertiser) and starts serving. */
  static async start(config: HomeAgentConfig, deps: AgentDeps): Promise<HomeAgent> {
    const ha = new HomeAgent(config, deps);
    await ha.life.start(
      async () => {
        const main = await ha.life.bind(config.address, config.port);
        for (const extra of config.extraListen ?? []) {
          if (extra === config.address) continue;
          await ha.life.bind(extra, main.port);
        }
        const adv = config.advertisements;
        if (adv)
          await ha.life.advertise(
            advertiserSettings(config.address, adv, {
              flags: { ...adv.flags, H: true },
              careOfAddresses: adv.careOfAddresses ?? [],
              registrationLifetime: config.maxLifetime,
              prefixLength: ha.subnet.prefixLength,
            }),
          );
      },
      () => ha.stop(),
    );
    return ha;
  }

  /** Every address:port requests are received on. */
  get listening(): Peer[] {
    return this.life.listening;
  }

  /** The mobility binding table (haMobilityBindingTable), one row per home address and care-of address. */
  bindings(): BindingView[] {
    return this.table.views(this.deps.scheduler.now());
  }

  /** Stops the timers and closes the sockets. Bindings stay visible but no longer expire. */
  async stop(): Promise<void> {
    this.table.stop();
    await this.life.stop();
  }

  protected onMessage(decoded: DecodedRegistration, from: Peer): void {
    if (decoded.message.type !== 'registration-request') {
      // A home agent receives requests only; a reply here is noise.
      this.life.emit({
        type: 'malformed-datagram',
        socket: 'registration',
        errorKind: 'unexpected-reply',
        peer: from.address,
      });
      return;
    }
    this.life.lenient(decoded, from);
    this.onRequest(decoded as DecodedRegistration<RegistrationRequest>, from).catch((error: unknown) =>
      this.life.malformed(error, from),
    );
  }

  private async onRequest(decoded: DecodedRegistration<RegistrationRequest>, from: Peer): Promise<void> {
    const req = decoded.message;
    this.life.emit({
      type: 'request-received',
      kind: requestKind(req, this.table.has(req.homeAddress)),
      homeAddress: req.homeAddress,
      careOfAddress: req.careOfAddress,
    });
    let mobileHomeSa: SaLookup | undefined;
    if (needsMobileHomeSa(req)) {
      try {
        const found = (await this.config.securityAssociations.lookup(req.homeAddress))?.sa;
        mobileHomeSa = found ? { state: 'found', sa: found } : { state: 'none' };
      } catch {
        mobileHomeSa = { state: 'failed' };
      }
      if (this.life.stopped) return;
    }
    const decision = decideRequest(
      {
        decoded,
        ...(mobileHomeSa ? { mobileHomeSa } : {}),
        replay: this.replay.state(req.homeAddress),
        bound: this.table.careOfAddresses(req.homeAddress),
        now: this.deps.scheduler.now(),
      },
      this.policy,
    );
    this.carryOut(decision, req, from);
  }

  /** Reports, changes the tables and replies as decided. */
  private carryOut(d: RequestDecision, req: RegistrationRequest, from: Peer): void {
    if (d.violation) this.life.emit({ type: 'security-violation', reason: d.violation, peer: from.address });
    if (!d.accepted)
      this.life.emit({
        type: 'request-denied',
        code: d.code,
        reason: replyCode(d.code).reason,
        homeAddress: req.homeAddress,
      });
    if (d.rememberIdentification) this.replay.accepted(req.homeAddress, req.identification);
    const change = d.change;
    if (change?.action === 'bind')
      this.table.bind({
        homeAddress: req.homeAddress,
        careOfAddress: req.careOfAddress,
        lifetime: change.lifetime,
        encapsulation: change.encapsulation,
        reverseTunnel: change.reverseTunnel,
        identification: req.identification,
        source: from,
        multiple: change.multiple,
      });
    else if (change?.action === 'remove')
      this.table.remove(req.homeAddress, change.careOfAddress, 'binding-removed');
    else if (change?.action === 'remove-all') this.table.removeAll(req.homeAddress, 'binding-removed');
    this.reply(d, req, from);
  }

  /**
   * Sends a Registration Reply to the request's source address and port, from the unicast socket,
   * with the home agent's unicast address in the Home Agent field and, when an SA is known, the
   * decided authentication extension computed with it (section 3.8.3).
   */
  private reply(d: RequestDecision, req: RegistrationRequest, to: Peer): void {
    if (this.life.stopped) return;
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code: d.code,
      lifetime: d.lifetime,
      homeAddress: req.homeAddress,
      homeAgent: this.config.address,
      identification: this.replay.resolve(req.homeAddress, req.identification, d.identification),
      extensions: [],
    };
    const sa = d.sa;
    const auth = sa ? { type: d.authType, spi: sa.spi, key: sa.key, algorithm: sa.algorithm } : undefined;
    if (!this.life.send(encodeRegistration(reply, auth), to)) return;
    this.life.emit({
      type: 'reply-sent',
      code: d.code,
      reason: replyCode(d.code).reason,
      homeAddress: req.homeAddress,
      relayed: false,
    });
  }
}
