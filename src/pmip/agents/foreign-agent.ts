import { ADVERTISEMENT_DEFAULTS } from '../../config/defaults.ts';
import type { ForeignAgentDenialCause } from '../events.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import type { Peer } from '../runtime/udp.ts';
import { identificationToHex } from '../wire/identification.ts';
import { ipv4ToUint32 } from '../wire/ipv4.ts';
import {
  MESSAGE_TYPE_REPLY,
  encodeRegistration,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
} from '../wire/registration.ts';
import { ReplyCode, replyCode } from '../reply-codes.ts';
import { Agent, advertiserSettings } from './agent-lifecycle.ts';
import { isDeregistration, lifetimeMs, requestKind, type AgentDeps } from './common.ts';
import { homeAgentRefusal, isLoopback } from './fa-hardening.ts';
import {
  foreignAgentSettings,
  homeAgentPeer,
  type ForeignAgentConfig,
  type ForeignAgentSettings,
} from './foreign-agent-config.ts';
import { PendingList, pendingKey, type PendingRecord, type PendingView } from './pending-list.ts';

export type {
  ForeignAgentAdvertisementConfig,
  ForeignAgentConfig,
  HomeAgentPorts,
} from './foreign-agent-config.ts';
export type { PendingView } from './pending-list.ts';

/**
 * A foreign agent after RFC 5944 section 3.7: checks Registration Requests against what it
 * offers (lifetime, encapsulation, reverse tunnel), relays them unchanged to the home agent,
 * keeps the pending list, relays the home agent's replies unchanged back to the requester and
 * keeps the visitor list with expiry. Requests and replies share one UDP socket (real unless a
 * `bind` is injected). Configuration and its checks: `foreign-agent-config.ts`; the pending list
 * and its pools: `PendingList`; start, sockets and stop: `AgentLifecycle`.
 */
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

/** A visitor as kept: the view's fields, the identification as a number, and the expiry timer. */
interface VisitorRecord extends Omit<VisitorView, 'identification' | 'remainingSeconds'> {
  identification: bigint;
  timer?: TimerHandle;
}

const ZERO_ADDRESS = '0.0.0.0';

/** A denial decided by the checks: the code, and which defence when the code has several. */
interface Denial {
  code: number;
  cause?: ForeignAgentDenialCause;
}

export class ForeignAgent extends Agent<ForeignAgentConfig> {
  private readonly settings: ForeignAgentSettings;
  private readonly pendingList: PendingList;
  private readonly visitorList = new Map<string, VisitorRecord>();
  readonly careOfAddress: string;

  private constructor(config: ForeignAgentConfig, deps: AgentDeps) {
    super(config, deps, 'foreign-agent');
    this.settings = foreignAgentSettings(config);
    this.careOfAddress = this.settings.careOfAddress;
    this.pendingList = new PendingList(this.settings);
  }

  /** Validates the configuration, binds the registration socket (and the advertiser) and starts. */
  static async start(config: ForeignAgentConfig, deps: AgentDeps): Promise<ForeignAgent> {
    const fa = new ForeignAgent(config, deps);
    const s = fa.settings;
    await fa.life.start(
      async () => {
        // Home agents may be reached at a subnet-directed broadcast address.
        await fa.life.bind(config.address, config.port, true);
        const adv = config.advertisements;
        if (adv)
          await fa.life.advertise(
            advertiserSettings(config.address, adv, {
              flags: {
                ...adv.flags,
                F: true,
                R: adv.registrationRequired ?? ADVERTISEMENT_DEFAULTS.registrationRequired,
                B: adv.busy ?? ADVERTISEMENT_DEFAULTS.busy,
                M: s.minimal,
                G: s.gre,
                T: s.reverseTunnel,
              },
              careOfAddresses: [s.careOfAddress],
              registrationLifetime: config.maxLifetime,
              ...(adv.transport ? { transport: adv.transport } : {}),
              ...(adv.icmpTo ? { icmpTo: adv.icmpTo } : {}),
            }),
          );
      },
      () => fa.stop(),
    );
    return fa;
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
    return this.pendingList.views();
  }

  /** Stops the timers and closes the sockets. */
  async stop(): Promise<void> {
    this.pendingList.stop();
    for (const v of this.visitorList.values()) {
      v.timer?.cancel();
      delete v.timer;
    }
    await this.life.stop();
  }

  protected override onUndecodable(payload: Buffer): void {
    // Section 3.7.3: a reply that does not parse is dropped (and counted as poorly formed).
    if (payload[0] === MESSAGE_TYPE_REPLY) this.life.emit({ type: 'reply-dropped', reason: 'poorly-formed' });
  }

  protected onMessage(decoded: DecodedRegistration, from: Peer): void {
    this.life.lenient(decoded, from);
    if (decoded.message.type === 'registration-request')
      this.onRequest(decoded as DecodedRegistration<RegistrationRequest>, from);
    else this.onReply(decoded as DecodedRegistration<RegistrationReply>, from);
  }

  // ---- requests from access points (section 3.7.2) ------------------------------------------------

  private onRequest(decoded: DecodedRegistration<RegistrationRequest>, from: Peer): void {
    const req = decoded.message;
    const deregistration = isDeregistration(req);
    this.life.emit({
      type: 'request-received',
      kind: requestKind(req, this.visitorList.has(req.homeAddress)),
      homeAddress: req.homeAddress,
      careOfAddress: req.careOfAddress,
    });

    if (this.isOwnEndpoint(from)) {
      // Section 3.7: a foreign agent transmits a Registration Request only when relaying one from
      // a mobile node to its home agent, and a Reply only to such a node. What comes from our
      // own registration endpoint is neither: relaying it (or answering it) is a loop.
      this.deny({ code: ReplyCode.faAdministrativelyProhibited, cause: 'own-endpoint' }, req, undefined);
      return;
    }
    const denial = this.check(req, deregistration, from.address);
    if (denial !== undefined) {
      this.deny(denial, req, from);
      return;
    }
    if (this.life.stopped) return;

    const key = pendingKey(req.homeAddress, req.identification);
    // A repeated request with the same key supersedes the pending one (its room is reused).
    const previous = this.pendingList.get(key);
    if (previous) this.pendingList.remove(previous);
    const room = this.pendingList.makeRoom(from.address, req.homeAgent);
    if (room === 'full') {
      this.deny({ code: ReplyCode.faInsufficientResources, cause: 'pending-limit' }, req, from);
      return;
    }
    const homeAgent = homeAgentPeer(this.config.homeAgentPort, req.homeAgent, this.port);
    // Relayed unchanged: the Mobile-Home authenticator covers every byte before it.
    if (!this.life.send(decoded.bytes, homeAgent)) return;
    const now = this.deps.scheduler.now();
    this.settings.relayPerSource?.take(from.address, now);
    this.settings.relayOverall?.take('', now);
    if (room !== undefined) {
      // The table (or this home agent's share) is full: the biggest holder pays, with a 66.
      this.pendingList.remove(room);
      this.deny(
        { code: ReplyCode.faInsufficientResources, cause: 'pending-evicted' },
        room.request,
        room.requester,
      );
    }
    const timeout = this.settings.pendingTimeoutMs;
    const record: PendingRecord = {
      key,
      request: req,
      deregistration,
      requester: { ...from },
      homeAgent,
      receivedAt: now,
      expiresAt: now + timeout,
      timer: this.deps.scheduler.after(timeout, () => this.pendingTimedOut(record)),
    };
    this.pendingList.add(record);
    this.life.emit({ type: 'request-relayed', homeAddress: req.homeAddress, homeAgent: req.homeAgent });
  }

  /** The denial for a request this agent cannot serve, or undefined to relay it. */
  private check(req: RegistrationRequest, deregistration: boolean, source: string): Denial | undefined {
    const s = this.settings;
    if (req.homeAddress === ZERO_ADDRESS || req.homeAgent === ZERO_ADDRESS)
      return { code: ReplyCode.faPoorlyFormedRequest };
    // Section 3.7 allows a Registration Request to be transmitted only towards the mobile node's
    // home agent. Its own addresses, broadcast, multicast and reserved addresses, loopback (from
    // an agent not on loopback) and home agents outside `servedHomeAgents` cannot be that, and
    // relaying there loops or reflects: refused as a matter of policy with 65, "administratively
    // prohibited" (section 3.4). Not 80 (home network unreachable): that one reports an ICMP error.
    if (homeAgentRefusal(req.homeAgent, s.homeAgentPolicy) !== undefined)
      return { code: ReplyCode.faAdministrativelyProhibited, cause: 'home-agent-refused' };
    if (req.lifetime > this.config.maxLifetime) return { code: ReplyCode.faLifetimeTooLong };
    const { G, M, T } = req.flags;
    if ((G || M) && !((G && s.gre) || (M && s.minimal)))
      return { code: ReplyCode.faEncapsulationUnavailable };
    if (T && !s.reverseTunnel) return { code: ReplyCode.faReverseTunnelUnavailable };
    if (!deregistration && req.careOfAddress !== s.careOfAddress)
      return { code: ReplyCode.faInvalidCareOfAddress };
    if (!deregistration && this.visitorTableFull(req.homeAddress))
      return { code: ReplyCode.faInsufficientResources, cause: 'visitor-table-full' };
    const now = this.deps.scheduler.now();
    if (
      (s.relayPerSource && !s.relayPerSource.has(source, now)) ||
      (s.relayOverall && !s.relayOverall.has('', now))
    )
      return { code: ReplyCode.faInsufficientResources, cause: 'rate-limited' };
    return undefined;
  }

  /** True when a new visitor (not `homeAddress` already) would not fit. */
  private visitorTableFull(homeAddress: string): boolean {
    return !this.visitorList.has(homeAddress) && this.visitorList.size >= this.settings.maxVisitors;
  }

  /** From this agent's own registration endpoint (any local address when bound to 0.0.0.0). */
  private isOwnEndpoint(from: Peer): boolean {
    if (from.port !== this.port) return false;
    const u = ipv4ToUint32(from.address);
    return this.settings.homeAgentPolicy.own.has(u) || (this.settings.wildcard && isLoopback(u));
  }

  private pendingTimedOut(record: PendingRecord): void {
    if (this.life.stopped || !this.pendingList.holds(record)) return;
    // No reply from the home agent: forget the request. The requester retransmits; the foreign
    // agent never answers on the home agent's behalf (section 3.7).
    this.pendingList.remove(record);
  }

  /**
   * Denies a request: the reply goes straight back to the requester with the request's
   * identification, no authentication extension (there is no mobile-foreign SA), and for 69
   * the longest lifetime this agent accepts (section 3.7.2). Without `to` the denial is only
   * reported (`request-denied`, no reply).
   */
  private deny(denial: Denial, req: RegistrationRequest, to: Peer | undefined): void {
    const { code } = denial;
    const info = replyCode(code);
    this.life.emit({
      type: 'request-denied',
      code,
      reason: info.reason,
      homeAddress: req.homeAddress,
      ...(denial.cause ? { cause: denial.cause } : {}),
    });
    if (!to) return;
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code,
      lifetime: code === ReplyCode.faLifetimeTooLong ? this.config.maxLifetime : 0,
      homeAddress: req.homeAddress,
      homeAgent: req.homeAgent,
      identification: req.identification,
      extensions: [],
    };
    if (!this.life.send(encodeRegistration(reply), to)) return;
    this.life.emit({
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
    // The home agent's 133 replaces the high 32 bits: match on the low 32 bits only.
    const pending = this.pendingList.get(pendingKey(reply.homeAddress, reply.identification));
    if (!pending) {
      this.life.emit({ type: 'reply-dropped', reason: 'no-pending-request' });
      return;
    }
    // Section 3.7.3: a reply is matched against the request sent to the replying home agent, and
    // section 3.7 lets the foreign agent relay only replies received from the home agent. Anyone
    // else (another address, or another port of the same host) is dropped; the request stays
    // pending for the real answer.
    if (from.address !== pending.homeAgent.address || from.port !== pending.homeAgent.port) {
      this.life.emit({ type: 'reply-dropped', reason: 'unexpected-source' });
      return;
    }
    this.pendingList.remove(pending);
    const info = replyCode(reply.code);
    const req = pending.request;
    if (info.accepted && !pending.deregistration && reply.lifetime > 0) {
      if (this.visitorTableFull(req.homeAddress)) {
        // The home agent accepted, but there is no room for the visitor: this agent denies the
        // service itself (section 3.7) rather than relay an acceptance it cannot honour.
        this.deny(
          { code: ReplyCode.faInsufficientResources, cause: 'visitor-table-full' },
          req,
          pending.requester,
        );
        return;
      }
      this.addVisitor(req, reply, pending.requester);
    } else this.removeVisitor(reply.homeAddress, info.accepted ? 'deregistered' : 'denied');
    if (!this.life.send(decoded.bytes, pending.requester)) return;
    this.life.emit({
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
    const { gre, minimal } = this.settings;
    const record: VisitorRecord = {
      homeAddress: req.homeAddress,
      homeAgent: reply.homeAgent,
      careOfAddress: req.careOfAddress,
      lifetime,
      registeredAt: now,
      requester: { ...requester },
      identification: reply.identification,
      encapsulation: req.flags.G && gre ? 'gre' : req.flags.M && minimal ? 'minimal' : 'ip-in-ip',
      reverseTunnel: req.flags.T,
    };
    const ms = lifetimeMs(lifetime);
    if (ms !== undefined) {
      record.expiresAt = now + ms;
      record.timer = this.deps.scheduler.after(ms, () => this.expire(record));
    }
    this.visitorList.set(req.homeAddress, record);
    // Also on a refresh: the event carries the new lifetime for the collector's visitor table.
    this.life.emit({
      type: 'visitor-added',
      homeAddress: record.homeAddress,
      homeAgent: record.homeAgent,
      lifetime: record.lifetime,
      ...(lifetime < reply.lifetime ? { grantedLifetime: reply.lifetime } : {}),
    });
  }

  private expire(record: VisitorRecord): void {
    if (this.life.stopped || this.visitorList.get(record.homeAddress) !== record) return;
    delete record.timer;
    this.removeVisitor(record.homeAddress, 'expired');
  }

  private removeVisitor(homeAddress: string, cause: 'deregistered' | 'expired' | 'denied'): void {
    const record = this.visitorList.get(homeAddress);
    if (!record) return;
    record.timer?.cancel();
    this.visitorList.delete(homeAddress);
    this.life.emit({ type: 'visitor-removed', homeAddress, homeAgent: record.homeAgent, lifetime: 0, cause });
  }
}
