import { ADVERTISEMENT_DEFAULTS } from '../../config/defaults.ts';
import type { NodeKind } from '../events.ts';
import { bindUdp, type DatagramSocket, type Peer } from '../runtime/udp.ts';
import type { AdvertisementFlags } from '../wire/advertisement.ts';
import { decodeRegistrationLayout, type DecodedRegistration } from '../wire/registration.ts';
import { AgentAdvertiser, type AdvertiserConfig } from './advertiser.ts';
import { agentEmitter, reportLenient, reportMalformed, type AgentDeps, type AgentEmitter } from './common.ts';

/**
 * What the home agent and the foreign agent share from start to stop: the event emitter stamped
 * with the agent's identity, the registration sockets (bound through the injected `bind`, a real
 * UDP endpoint unless a test passes another), the optional advertiser, the decode step with its
 * malformed-datagram and lenient-decode reports, and a stop that closes everything once. The
 * agent keeps the decisions; this keeps the plumbing.
 */

/** The advertisement options both agents take (each adds its own flags). */
export interface AgentAdvertisementConfig {
  /** Period of unsolicited advertisements; 0 or absent: answer solicitations only. */
  intervalMs?: number;
  /** Where advertisements go (the access points' advertisement sockets). */
  peers?: Peer[];
  /** Advertisement port to bind (0 = any free port; default 0). */
  port?: number;
  /** First sequence number (default 0). */
  initialSequence?: number;
  /** Flags added to the ones the agent sets itself. */
  flags?: Partial<AdvertisementFlags>;
}

/** The advertiser's settings from an agent's advertisement options and what the agent adds. */
export function advertiserSettings(
  address: string,
  adv: AgentAdvertisementConfig,
  own: Pick<AdvertiserConfig, 'flags' | 'careOfAddresses' | 'registrationLifetime'> &
    Partial<AdvertiserConfig>,
): AdvertiserConfig {
  return {
    address,
    port: adv.port ?? ADVERTISEMENT_DEFAULTS.port,
    intervalMs: adv.intervalMs ?? ADVERTISEMENT_DEFAULTS.intervalMs,
    peers: adv.peers ?? [],
    initialSequence: adv.initialSequence ?? ADVERTISEMENT_DEFAULTS.initialSequence,
    ...own,
  };
}

export interface LifecycleHooks {
  /** A decoded registration message (request or reply) from `from`; see `lenient`. */
  onMessage(decoded: DecodedRegistration, from: Peer): void;
  /** Before the malformed-datagram report of a datagram that did not decode (the FA's reply drop). */
  onUndecodable?(payload: Buffer, error: unknown, from: Peer): void;
}

export class AgentLifecycle {
  readonly emit: AgentEmitter;
  private readonly sockets: DatagramSocket[] = [];
  private advertiserInstance: AgentAdvertiser | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly deps: AgentDeps,
    id: string,
    nodeKind: NodeKind,
    private readonly hooks: LifecycleHooks,
  ) {
    this.emit = agentEmitter(deps.emit, deps.scheduler, id, nodeKind);
  }

  /** Runs `setup` (binds, advertiser); when it fails, everything bound so far is closed again. */
  async start(setup: () => Promise<void>, stop: () => Promise<void>): Promise<void> {
    try {
      await setup();
    } catch (error) {
      await stop();
      throw error;
    }
  }

  /** Binds one registration socket; the first one bound is the one replies leave from. */
  async bind(address: string, port: number, broadcast = false): Promise<DatagramSocket> {
    const socket = await (this.deps.bind ?? bindUdp)({
      address,
      port,
      ...(broadcast ? { broadcast: true } : {}),
      onDatagram: (payload, from) => this.receive(payload, from),
      onHandlerError: (error, from) => this.malformed(error, from),
    });
    this.sockets.push(socket);
    return socket;
  }

  /** Starts the advertiser (RFC 5944 section 2) with this agent's stamped emitter. */
  async advertise(config: AdvertiserConfig): Promise<void> {
    this.advertiserInstance = await AgentAdvertiser.start(config, {
      scheduler: this.deps.scheduler,
      emit: this.emit,
      ...(this.deps.bind ? { bind: this.deps.bind } : {}),
    });
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** The bound registration port of the first socket (0 before it is bound). */
  get port(): number {
    return this.sockets[0]?.port ?? 0;
  }

  /** Every address:port requests are received on. */
  get listening(): Peer[] {
    return this.sockets.map((s) => ({ address: s.address, port: s.port }));
  }

  get advertiser(): AgentAdvertiser | undefined {
    return this.advertiserInstance;
  }

  /**
   * Sends from the first registration socket; false when stopped, not bound, or the send threw.
   * A datagram the kernel drops later is lost as on the wire: that still counts as sent.
   */
  send(bytes: Uint8Array, to: Peer): boolean {
    const socket = this.sockets[0];
    if (this.stoppedFlag || !socket) return false;
    try {
      socket.send(bytes, to);
      return true;
    } catch {
      return false;
    }
  }

  /** Emits `lenient-decode` for each extension of `decoded` read in a lenient form. */
  lenient(decoded: DecodedRegistration, from: Peer): void {
    reportLenient(this.emit, 'registration', decoded.message.extensions, from);
  }

  /** Reports one bad datagram (or a handler failure) as `malformed-datagram`. */
  malformed(error: unknown, from: Peer): void {
    reportMalformed(this.emit, 'registration', error, from);
  }

  /** Marks the agent stopped and closes the sockets and the advertiser. */
  async stop(): Promise<void> {
    this.stoppedFlag = true;
    const sockets = this.sockets.splice(0);
    const adv = this.advertiserInstance;
    await Promise.all([...sockets.map((s) => s.close()), adv?.stop()]);
  }

  private receive(payload: Buffer, from: Peer): void {
    if (this.stoppedFlag) return;
    let decoded: DecodedRegistration;
    try {
      decoded = decodeRegistrationLayout(payload);
    } catch (error) {
      this.hooks.onUndecodable?.(payload, error, from);
      this.malformed(error, from);
      return;
    }
    this.hooks.onMessage(decoded, from);
  }
}

/**
 * The base of the home and the foreign agent: the configuration, the injected dependencies and
 * the lifecycle, with the views both give (id, address, port, advertiser). A subclass decides
 * what a decoded message means (`onMessage`) and starts with `life.start`.
 */
export abstract class Agent<C extends { id: string; address: string }> {
  protected readonly life: AgentLifecycle;

  protected constructor(
    readonly config: C,
    protected readonly deps: AgentDeps,
    nodeKind: NodeKind,
  ) {
    this.life = new AgentLifecycle(deps, config.id, nodeKind, {
      onMessage: (decoded, from) => this.onMessage(decoded, from),
      onUndecodable: (payload, error, from) => this.onUndecodable(payload, error, from),
    });
  }

  get id(): string {
    return this.config.id;
  }

  get address(): string {
    return this.config.address;
  }

  /** The bound registration port (useful when 0 was configured). */
  get port(): number {
    return this.life.port;
  }

  /** The advertiser, when advertisements are configured (its port, peers, sequence). */
  get advertiser(): AgentAdvertiser | undefined {
    return this.life.advertiser;
  }

  /** A decoded registration message from `from`. */
  protected abstract onMessage(decoded: DecodedRegistration, from: Peer): void;

  /** Before the malformed-datagram report of a datagram that did not decode; nothing by default. */
  protected onUndecodable(_payload: Buffer, _error: unknown, _from: Peer): void {}
}
