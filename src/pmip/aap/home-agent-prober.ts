import type { AgentEmitter } from '../agents/common.ts';
import type { HomeAgentProbeOutcome } from '../events.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import type { RandomSource } from '../wire/identification.ts';
import { identificationLow, makeIdentification } from '../wire/identification.ts';
import { ipv4ToUint32, prefixMask, uint32ToIpv4 } from '../wire/ipv4.ts';
import { decodeRegistration, encodeRegistration, requestFlags } from '../wire/registration.ts';
import {
  bindUdp,
  checkCount,
  checkDuration,
  type BindDatagramSocket,
  type DatagramSocket,
} from './endpoint.ts';

/**
 * The home agent probe (docs/aap-protocol.md): when no access point is left in a
 * home agent's subnet, the AAP sends a deliberately invalid Registration Request (reserved SPI 1,
 * a random key) to the subnet's directed broadcast address. A home agent that is alive answers,
 * with a denial (131: mobile node failed authentication, typically); any reply proves it alive.
 * Silence through every retry means it is gone. Loopback has no broadcast addresses, so the
 * target is configurable (a lab home agent binds the "broadcast" address as an extra listener).
 */
export const PROBE_SPI = 1; // SPIs 0-255 are reserved: no home agent has an SA with this one
export const DEFAULT_REGISTRATION_PORT = 434;

export interface ProbedRow {
  homeAgent: string;
  mask: string;
  prefixLength: number;
  network: string;
}

export interface HomeAgentProbeConfig {
  /** Home agents' registration port: one for all (default 434) or one per home agent address. */
  port?: number | ((homeAgent: string) => number | undefined);
  /** Where a row's probe goes (default: the subnet's directed broadcast address, network | ~mask). */
  broadcastAddress?: (row: ProbedRow) => string | undefined;
  /** Wait for a reply per attempt (default 1000 ms). */
  timeoutMs?: number;
  /** Attempts after the first (default 2). */
  retries?: number;
}

/** How one probe ended (the ha-probe outcomes but `sent`). */
export type ProbeOutcome = Exclude<HomeAgentProbeOutcome, 'sent'>;

export interface HomeAgentProberDeps {
  scheduler: Scheduler;
  random: RandomSource;
  emit: AgentEmitter;
  bind?: BindDatagramSocket;
}

interface PendingProbe {
  resolve: (outcome: ProbeOutcome) => void;
  timer: TimerHandle | undefined;
  lows: number[];
}

export class HomeAgentProber {
  private socket: DatagramSocket | undefined;
  /** Low 32 bits of an identification in flight -> its probe. */
  private readonly inFlight = new Map<number, PendingProbe>();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private stopped = false;
  sent = 0;
  answered = 0;
  timedOut = 0;

  private constructor(
    private readonly config: HomeAgentProbeConfig,
    private readonly deps: HomeAgentProberDeps,
  ) {
    this.timeoutMs = config.timeoutMs ?? 1000;
    this.retries = config.retries ?? 2;
    checkDuration(this.timeoutMs, 'probe.timeoutMs');
    checkCount(this.retries, 'probe.retries', 0, 20);
  }

  /** Binds the probe socket (any free port, broadcast enabled) on `address`. */
  static async start(
    address: string,
    config: HomeAgentProbeConfig,
    deps: HomeAgentProberDeps,
  ): Promise<HomeAgentProber> {
    const prober = new HomeAgentProber(config, deps);
    prober.socket = await (deps.bind ?? bindUdp)({
      address,
      port: 0,
      broadcast: true,
      onDatagram: (payload) => prober.onReply(payload),
    });
    return prober;
  }

  /** Where the probe for this row goes. */
  target(row: ProbedRow): Peer {
    const fromConfig = this.config.broadcastAddress?.(row);
    const address =
      fromConfig ?? uint32ToIpv4((ipv4ToUint32(row.network) | ~prefixMask(row.prefixLength)) >>> 0);
    const port =
      typeof this.config.port === 'function'
        ? (this.config.port(row.homeAgent) ?? DEFAULT_REGISTRATION_PORT)
        : (this.config.port ?? DEFAULT_REGISTRATION_PORT);
    return { address, port };
  }

  /** Probes one home agent: up to 1 + retries attempts; resolves with what happened. */
  probe(row: ProbedRow): Promise<ProbeOutcome> {
    return new Promise<ProbeOutcome>((resolve) => {
      const pending: PendingProbe = { resolve, timer: undefined, lows: [] };
      let attempt = 0;
      const finish = (outcome: ProbeOutcome): void => {
        pending.timer?.cancel();
        for (const low of pending.lows) this.inFlight.delete(low);
        if (this.stopped) return resolve('timed-out');
        if (outcome === 'answered') this.answered++;
        else this.timedOut++;
        this.deps.emit({ type: 'ha-probe', homeAgent: row.homeAgent, outcome });
        resolve(outcome);
      };
      pending.resolve = finish;
      const send = (): void => {
        if (this.stopped || !this.socket) return finish('timed-out');
        attempt++;
        let low = this.deps.random.uint32() >>> 0;
        while (this.inFlight.has(low)) low = (low + 1) >>> 0;
        pending.lows.push(low);
        this.inFlight.set(low, pending);
        const bytes = encodeRegistration(
          {
            type: 'registration-request',
            flags: requestFlags(),
            lifetime: 1,
            homeAddress: row.homeAgent,
            homeAgent: row.homeAgent,
            careOfAddress: this.socket.address,
            identification: makeIdentification(this.deps.random.uint32(), low),
            extensions: [],
          },
          { type: 32, spi: PROBE_SPI, key: randomKey(this.deps.random), algorithm: 'prefix-suffix' },
        );
        this.socket.send(bytes, this.target(row));
        this.sent++;
        this.deps.emit({ type: 'ha-probe', homeAgent: row.homeAgent, outcome: 'sent' });
        pending.timer = this.deps.scheduler.after(this.timeoutMs, () => {
          if (attempt <= this.retries) send();
          else finish('timed-out');
        });
      };
      send();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const pending = new Set(this.inFlight.values());
    this.inFlight.clear();
    for (const p of pending) {
      p.timer?.cancel();
      p.resolve('timed-out');
    }
    const socket = this.socket;
    this.socket = undefined;
    await socket?.close();
  }

  private onReply(payload: Buffer): void {
    let low: number;
    try {
      const message = decodeRegistration(payload);
      if (message.type !== 'registration-reply') return;
      low = identificationLow(message.identification);
    } catch {
      // Not a registration reply: noise on the probe socket, nothing to do with any probe.
      return;
    }
    const pending = this.inFlight.get(low);
    if (pending) pending.resolve('answered');
  }
}

function randomKey(random: RandomSource): Buffer {
  const key = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i += 4) key.writeUInt32BE(random.uint32() >>> 0, i);
  return key;
}
