import {
  verifyAuthentication,
  type DecodedRegistration,
  type RandomSource,
  type RegistrationReply,
} from '../wire/index.ts';
import type { RegistrationKind } from '../events.ts';
import type { EventBody } from '../event-bus.ts';
import type { SecurityAssociationProvider } from '../security/store.ts';
import type { SubnetMapTable } from '../subnet-map/table.ts';
import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import type { DataPlane } from '../runtime/data-plane.ts';
import {
  REMEMBERED_TRANSMISSIONS,
  encodeAttempt,
  nextIdentification,
  renewAtMs,
  retransmitWaitMs,
  retryWaitMs,
  choosePerNodeSa,
  concludeAttempt,
  applyAcceptance,
  lookUpSa,
  type ClientRecord,
  type Conclusion,
  type PendingRequest,
} from './attempt.ts';
import { homeAgentPortOf, type AccessPointConfig, type RegistrationTiming } from './config.ts';
import type { ClockOffsets } from './clock-offsets.ts';
import type { LearntLifetimes } from './lifetime-limits.ts';
import { judgeReply, type AnsweredJudgement } from './judge-reply.ts';

/**
 * The access point's registrations, per client (RFC 5944 section 3.6, the mobile node's part,
 * done by proxy): an attempt is started, transmitted and retransmitted, answered (judged by
 * `judgeReply`), corrected once where a denial allows, and concluded with exactly one
 * registration-outcome event; then the binding is renewed, or the client backs off and tries
 * again. Every step for one client is contained: an exception ends that client's open attempt as
 * discarded / internal-error and never reaches the socket or timer that ran it.
 */

/** What registrations need from the outside: time, randomness, the data plane, SAs, the subnet map. */
export interface RegistrationDeps {
  scheduler: Scheduler;
  random: RandomSource;
  dataPlane: DataPlane;
  securityAssociations: SecurityAssociationProvider;
  subnetMap: SubnetMapTable;
}

/** The foreign agent registrations go through now. */
export interface CurrentForeignAgent {
  /** Identifies the agent: its advertisement endpoint, or 'static'. */
  key: string;
  peer: Peer;
  careOfAddress: string;
  maxLifetime: number;
}

/** What the access point provides to its registrations. */
export interface RegistrationHost {
  readonly id: string;
  readonly config: AccessPointConfig;
  readonly timing: RegistrationTiming;
  readonly deps: RegistrationDeps;
  readonly offsets: ClockOffsets;
  readonly lifetimes: LearntLifetimes;
  emit(e: EventBody): void;
  /** Emits the client's live row when it changed. */
  publishState(c: ClientRecord): void;
  /** `c` is still the record of an associated client, and the access point runs. */
  owns(c: ClientRecord): boolean;
  running(): boolean;
  foreignAgent(): CurrentForeignAgent | undefined;
  solicit(): void;
  send(bytes: Buffer, to: Peer): void;
}

export class Registrations {
  constructor(private readonly host: RegistrationHost) {}

  private now(): number {
    return this.host.deps.scheduler.now();
  }

  /** Starts (or restarts) a registration for `c`, contained by `guarded`. */
  register(c: ClientRecord, kind: RegistrationKind): void {
    this.guarded(c, kind, () => this.start(c, kind));
  }

  /**
   * Runs one per-client step (a registration start, a timer, a reply). An exception, thrown or
   * rejected, ends the client's open attempt with outcome discarded / internal-error and backs off;
   * it never reaches the timer or socket that ran the step, and other clients are not affected.
   */
  guarded(c: ClientRecord, kind: RegistrationKind, step: () => void | Promise<void>): void {
    const concluded = c.concluded;
    const generation = c.generation;
    const onError = (): void => this.internalError(c, kind, concluded, generation);
    try {
      const result = step();
      if (result instanceof Promise) result.catch(onError);
    } catch {
      onError();
    }
  }

  private internalError(
    c: ClientRecord,
    kind: RegistrationKind,
    concludedBefore: number,
    generation: number,
  ): void {
    try {
      if (!this.host.owns(c) || c.generation !== generation || !this.host.running()) return;
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
      // Reporting failed too (a throwing event sink): the client waits.
    }
  }

  private async start(c: ClientRecord, kind: RegistrationKind): Promise<void> {
    const { host } = this;
    const generation = c.generation;
    c.timer?.cancel();
    c.timer = undefined;
    const row = host.deps.subnetMap.match(c.address);
    const homeAgent = c.homeAgentOverride ?? row?.homeAgent;
    if (!homeAgent) {
      // No subnet map row for the client: it cannot be registered until the table has one.
      this.conclude(c, kind, { outcome: 'discarded', reason: 'no-home-agent', transmissions: 0 });
      this.fail(c, kind, undefined);
      return;
    }
    choosePerNodeSa(c, host.config.perNodeSecurityAssociation?.(homeAgent));
    if (!c.sa) {
      const { found, shortfall } = await lookUpSa(c, host.deps.securityAssociations, host.id);
      if (generation !== c.generation || !host.running()) return;
      if (!found) {
        host.emit({
          type: 'security-violation',
          reason: 'no-mobility-security-association',
          peer: homeAgent,
          client: c.ref,
        });
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
    const route = this.route(c, kind, homeAgent);
    if (!route) {
      this.host.solicit();
      c.state = 'pending';
      host.publishState(c);
      c.timer = host.deps.scheduler.after(host.timing.retransmitInitialMs, () => this.register(c, kind));
      return;
    }
    c.pending = {
      kind,
      ...route,
      homeAgent,
      startedAt: this.now(),
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
    host.publishState(c);
    this.transmit(c, false);
  }

  /** Where the request goes, with which care-of address and lifetime; undefined: no foreign agent yet. */
  private route(
    c: ClientRecord,
    kind: RegistrationKind,
    homeAgent: string,
  ): Pick<PendingRequest, 'destination' | 'careOfAddress' | 'lifetime' | 'foreignAgent'> | undefined {
    const { config, timing } = this.host;
    const toHomeAgent = { address: homeAgent, port: homeAgentPortOf(config, homeAgent) };
    if (kind === 'deregistration')
      return { destination: toHomeAgent, careOfAddress: c.address, lifetime: 0, foreignAgent: undefined };
    if (config.colocatedCareOfAddress === true) {
      // RFC 5944 section 3.1: with a co-located care-of address the node registers directly
      // with its home agent; section 3.3: D set, the node (here the access point) decapsulates.
      c.careOfAddress = config.address;
      return {
        destination: toHomeAgent,
        careOfAddress: config.address,
        lifetime: timing.lifetime,
        foreignAgent: undefined,
      };
    }
    const fa = this.host.foreignAgent();
    if (!fa) return undefined;
    c.careOfAddress = fa.careOfAddress;
    return {
      destination: fa.peer,
      foreignAgent: fa.peer.address,
      careOfAddress: fa.careOfAddress,
      lifetime: Math.min(
        timing.lifetime,
        fa.maxLifetime,
        this.host.lifetimes.limit(fa.peer, this.now()) ?? 0xffff,
      ),
    };
  }

  private transmit(c: ClientRecord, retransmission: boolean): void {
    const { host } = this;
    const p = c.pending!;
    const sa = c.sa!;
    const now = this.now();
    let id: bigint;
    if (retransmission && sa.replay === 'nonce') {
      id = p.transmissions[p.transmissions.length - 1]!.id; // nonce mode: retransmit unchanged
    } else {
      id = nextIdentification(c, sa.replay, now, host.deps.random, host.offsets.of(p.homeAgent));
      p.bytes = encodeAttempt(c, p, sa, id, {
        reverseTunnel: host.config.reverseTunnel === true,
        gre: host.config.gre === true,
        colocated: host.config.colocatedCareOfAddress === true,
      });
    }
    p.transmissions.push({ id, sentAt: now });
    if (p.transmissions.length > REMEMBERED_TRANSMISSIONS) p.transmissions.shift();
    host.send(p.bytes, p.destination);
    p.sent++;
    host.emit({
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
    const wait = retransmitWaitMs(host.timing, p.retransmissions, p.lifetime);
    c.timer?.cancel();
    c.timer = this.clientTimer(c, p.kind, wait, () => this.onRetransmitTimer(c));
  }

  /** A timer for one client whose callback is contained by `guarded`. */
  private clientTimer(c: ClientRecord, kind: RegistrationKind, ms: number, step: () => void): TimerHandle {
    return this.host.deps.scheduler.after(ms, () => this.guarded(c, kind, step));
  }

  private onRetransmitTimer(c: ClientRecord): void {
    const p = c.pending;
    if (!p || !this.host.owns(c)) return;
    if (p.retransmissions < this.host.timing.maxRetransmissions) {
      p.retransmissions++;
      this.transmit(c, true);
      return;
    }
    // No usable reply: replies that failed authentication or were dropped say more than "timeout".
    const where = {
      homeAgent: p.homeAgent,
      foreignAgent: p.foreignAgent,
      transmissions: p.retransmissions + 1,
      lastReplyAt: p.lastReplyAt,
    };
    if (p.unauthenticated) {
      const { code, reason } = p.unauthenticated;
      this.conclude(c, p.kind, { outcome: 'unauthenticated', code, reason, ...where });
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
    if (c.bound && c.expiresAt !== undefined && this.now() >= c.expiresAt) c.bound = false;
    if (kind === 'deregistration') c.state = 'home';
    else if (!c.bound) c.state = 'isolated';
    this.host.publishState(c);
    const wait = retryWaitMs(this.host.timing, c.failures);
    c.failures++;
    c.timer?.cancel();
    const next = (): RegistrationKind =>
      kind === 'deregistration' ? 'deregistration' : c.bound ? 'renewal' : 'initial';
    c.timer = this.host.deps.scheduler.after(wait, () => {
      if (this.host.owns(c)) this.register(c, next());
    });
  }

  /** A reply for `c`'s attempt `p` (the caller found both): judged, then acted on. Run guarded. */
  onReply(
    c: ClientRecord,
    p: PendingRequest,
    decoded: DecodedRegistration<RegistrationReply>,
    from: Peer,
  ): void {
    const { host } = this;
    const reply = decoded.message;
    const sa = c.sa!;
    const j = judgeReply({
      reply,
      from,
      attempt: p,
      replay: sa.replay,
      authenticate: () =>
        verifyAuthentication(decoded, {
          type: p.perNode ? 34 : 32,
          spi: sa.spi,
          key: sa.key,
          algorithm: sa.algorithm,
        }),
      now: this.now(),
    });
    switch (j.verdict) {
      case 'refused-source':
        // Only the endpoint the request went to may send a foreign agent's code: dropped, counted.
        host.emit({
          type: 'malformed-datagram',
          socket: 'registration',
          errorKind: 'refused-source',
          peer: from.address,
        });
        return;
      case 'discarded':
        host.emit({ type: 'reply-discarded', reason: j.reason, peer: from.address });
        p.discarded = j.reason;
        p.lastReplyAt = this.now();
        return;
      case 'unauthenticated':
        host.emit({ type: 'security-violation', reason: j.reason, peer: from.address, client: c.ref });
        // Kept, not acted on: a forged reply must not end the attempt; the timeout says what was seen.
        p.unauthenticated = { code: j.code, reason: j.reason };
        p.lastReplyAt = this.now();
        return;
      default:
        this.onAnswered(c, p, reply, j);
    }
  }

  private onAnswered(
    c: ClientRecord,
    p: PendingRequest,
    reply: RegistrationReply,
    j: AnsweredJudgement,
  ): void {
    const { host } = this;
    const { info, roundTripSeconds } = j;
    host.emit({
      type: 'reply-received',
      client: c.ref,
      kind: p.kind,
      homeAgent: p.homeAgent,
      ...(p.foreignAgent !== undefined ? { foreignAgent: p.foreignAgent } : {}),
      code: reply.code,
      reason: info.reason,
      accepted: info.accepted,
      issuer: info.issuer,
      lifetime: reply.lifetime,
      roundTripSeconds,
    });
    // The data plane first: when it cannot follow an acceptance, the attempt had no effect here.
    const forwarding = j.verdict !== 'accepted' || this.applyDataPlane(c, p);
    const transmissions = p.retransmissions + 1;
    if (forwarding)
      this.conclude(c, p.kind, {
        outcome: j.verdict,
        code: reply.code,
        reason: info.reason,
        issuer: info.issuer,
        homeAgent: p.homeAgent,
        foreignAgent: p.foreignAgent,
        transmissions,
        roundTripSeconds,
      });
    else
      this.conclude(c, p.kind, {
        outcome: 'discarded',
        reason: 'data-plane-error',
        homeAgent: p.homeAgent,
        foreignAgent: p.foreignAgent,
        transmissions,
        lastReplyAt: this.now(),
      });
    c.timer?.cancel();
    c.timer = undefined;
    c.lastCode = reply.code;
    if (j.nonce !== undefined) c.nonce = j.nonce;
    if (j.verdict === 'accepted' && c.sa?.replay === 'timestamp' && reply.identification > c.lastAcceptedId)
      c.lastAcceptedId = reply.identification;
    if (!forwarding) return this.fail(c, p.kind, undefined);
    if (j.verdict === 'accepted') return this.onAccepted(c, p, reply, j);
    const correction = j.correction;
    if (!correction) return this.fail(c, p.kind, reply.code);
    p.corrected.add(reply.code);
    if (correction.kind === 'time-sync') {
      if (correction.mode === 'timestamp') host.offsets.set(p.homeAgent, correction.offsetSeconds);
      host.emit({
        type: 'time-sync',
        homeAgent: p.homeAgent,
        mode: correction.mode,
        offsetSeconds: correction.offsetSeconds,
      });
    } else if (correction.kind === 'lifetime') {
      // Every later request through this foreign agent asks for no more (one 69, not one per
      // client), for a while, and never for less than the minimum: an unauthenticated 69 must
      // not be able to drive the access point into a registration per second.
      host.lifetimes.learn(p.destination, correction.seconds, this.now());
    } else {
      c.homeAgentOverride = correction.address;
    }
    c.pending = { ...p };
    this.register(c, p.kind);
  }

  /** Hands what an acceptance asks to the data plane; false when the adapter threw. */
  private applyDataPlane(c: ClientRecord, p: PendingRequest): boolean {
    try {
      applyAcceptance(this.host.deps.dataPlane, c, p);
      return true;
    } catch {
      return false;
    }
  }

  private onAccepted(
    c: ClientRecord,
    p: PendingRequest,
    reply: RegistrationReply,
    j: AnsweredJudgement,
  ): void {
    const { host } = this;
    c.pending = undefined;
    c.failures = 0;
    if (p.kind === 'deregistration') {
      c.bound = false;
      c.state = 'home';
      delete c.expiresAt;
      delete c.careOfAddress;
      host.emit({ type: 'arp-sent', kind: 'gratuitous', address: c.address });
      host.publishState(c);
      return;
    }
    const granted = reply.lifetime;
    const sentAt = j.transmission.sentAt;
    c.bound = granted > 0;
    c.state = 'registered';
    c.careOfAddress = p.careOfAddress;
    // Lifetime counts from when the request was sent, not from when the reply came.
    c.expiresAt = sentAt + granted * 1000;
    host.publishState(c);
    const renewAt = renewAtMs(host.timing, sentAt, granted);
    if (renewAt !== undefined) {
      c.timer = host.deps.scheduler.after(renewAt - this.now(), () => {
        if (host.owns(c)) this.register(c, 'renewal');
      });
    }
  }

  /** The end of one attempt: one registration-outcome event, and the client's last outcome. */
  conclude(c: ClientRecord, kind: RegistrationKind, o: Conclusion): void {
    this.host.emit(concludeAttempt(c, kind, o, this.now()));
  }
}
