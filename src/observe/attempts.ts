/**
 * Registration attempts as the wire shows them (docs/observe.md): requests open and retransmit
 * attempts per (sender, home address), replies match by home address and the identification's low
 * half, and each attempt ends accepted, denied, unauthenticated or as a timeout. Works on the
 * numbers `readRegistration` reads; strings only for what the events carry.
 */
import type { RegistrationKind, RegistrationOutcomeKind } from '../pmip/events.ts';
import { NTP_UNIX_OFFSET_SECONDS, replyCode, type DecodedRegistration } from '../pmip/wire/index.ts';
import { AuthenticatorCheck } from './authentication.ts';
import {
  NO_ADDRESS,
  SenderHabits,
  addRetransmission,
  hasIdentification,
  lastGap,
  lastHigh,
  newClient,
  recordOutcome,
  sentAtOf,
  type Answer,
  type Attempt,
  type ClientWire,
} from './attempt-types.ts';
import type { ObserverCounters } from './counters.ts';
import { DeadlineQueue } from './deadlines.ts';
import { isGroupNumber, type AddressBook, type RegistrationFields } from './datagram.ts';
import { HomeAgentProbes } from './probes.ts';
import { RowPublisher } from './row-publisher.ts';
import type { ObserverSecurityAssociations } from './observer.ts';
import {
  movedEvent,
  outcomeEvent,
  replyReceivedEvent,
  sentEvent,
  type Conclusion,
  type Emit,
} from './wire-events.ts';

/** RFC 5944 section 3.6.3: a retransmission waits at least a second (a little clock jitter allowed). */
const MIN_RETRANSMISSION_GAP_MS = 900;

type DiscardReason =
  'invalid-home-address' | 'no-pending-request' | 'invalid-identification' | 'unknown-home-agent';

export interface AttemptTrackerOptions {
  emit: Emit;
  timeoutMs: number;
  sas: ObserverSecurityAssociations | undefined;
  maxClients: number;
  names: AddressBook;
  counters: ObserverCounters;
}

/** A reply between the agents (home agent to foreign agent), not the copy for the sender. */
function isReplyRelayLeg(a: Attempt, src: number, dst: number): boolean {
  return dst !== a.senderN && (dst === a.foreignAgentN || src === a.homeAgentN);
}

/** An answer with every field set (one shape for all answers), filled by `reply`. */
function emptyAnswer(): Answer {
  return { code: 0, lifetime: 0, at: 0, roundTripSeconds: 0, sentAt: 0, idHigh: 0 };
}

export class AttemptTracker {
  /**
   * Client rows by home address as the datagram's signed 32-bit integer (offset 4 in requests
   * and replies alike): a small-integer key, no string to hash per packet.
   */
  private readonly clients = new Map<number, ClientWire>();
  /** The row `client` found last (rows are never removed). */
  private lastKey = 0;
  private lastClient: ClientWire | undefined = undefined;
  /** Deadlines in the order they were set (deadlines.ts): the client and the attempt's number. */
  private readonly deadlines = new DeadlineQueue<ClientWire>();
  private attemptSeq = 0;
  private readonly habits = new SenderHabits();
  private readonly probes: HomeAgentProbes;
  private readonly emit: Emit;
  private readonly names: AddressBook;
  private readonly n: ObserverCounters;
  private readonly auth: AuthenticatorCheck;
  private clock = 0;
  private readonly rows: RowPublisher;
  /** Filled by `concludeAnswer` for each answered attempt (never kept: see there). */
  private readonly answered: Conclusion = { code: 0, reason: '', issuer: 'home-agent', roundTripSeconds: 0 };
  /** An acceptance's answer, filled by `reply` and concluded at once (never kept: see there). */
  private readonly acceptance: Answer = emptyAnswer();

  constructor(private readonly o: AttemptTrackerOptions) {
    this.emit = o.emit;
    this.names = o.names;
    this.n = o.counters;
    this.auth = new AuthenticatorCheck(o.sas, o.counters, o.emit);
    this.probes = new HomeAgentProbes(o.names, o.counters, o.emit);
    this.rows = new RowPublisher(o.emit);
  }

  /** The row of a home address; the last one found first (a reply follows its request). */
  private client(key: number): ClientWire | undefined {
    const last = this.lastClient;
    if (last !== undefined && key === this.lastKey) return last;
    const c = this.clients.get(key);
    if (c !== undefined) {
      this.lastKey = key;
      this.lastClient = c;
    }
    return c;
  }

  inProgress(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.attempt?.open) n++;
    return n;
  }

  /** Moves capture time on: attempts whose wait ran out end as timeouts (or their denials stand). */
  advance(at: number): void {
    this.clock = at;
    const q = this.deadlines;
    while (q.due(at)) {
      const attempt = q.firstItem().attempt;
      const seq = q.firstSeq();
      const time = q.firstTime();
      q.shift();
      if (attempt?.open && attempt.seq === seq && attempt.deadline === time) this.expire(attempt);
    }
    this.rows.tick(at);
  }

  // ---- requests ---------------------------------------------------------------------------------

  /** A request; `decoded` is the codec's view, present when authenticators are to be checked. */
  request(f: RegistrationFields, src: number, dst: number, at: number, decoded?: DecodedRegistration): void {
    const key = f.homeAddress | 0;
    let c = this.client(key);
    const open = c?.attempt?.open ? c.attempt : undefined;
    // The foreign agent forwarding a request it received: same identification, another source.
    if (open && open.senderN !== src && hasIdentification(open, f.idHigh, f.idLow)) {
      this.n.relayedRequests++;
      if (open.foreignAgentN === NO_ADDRESS) {
        open.foreignAgentN = src;
        open.foreignAgent = this.names.name(src);
      }
      return;
    }
    // The same for the attempt this one replaced: its sender retransmitted just before the client
    // moved on, and the foreign agent's relay of it comes after the new attempt's first request.
    const old = c?.replaced;
    if (old && old.senderN !== src && hasIdentification(old, f.idHigh, f.idLow)) {
      this.n.relayedRequests++;
      return;
    }
    // A reserved SPI (0-255, RFC 5944 section 3.5) is no registration: an AAP's home agent probe
    // (docs/aap-protocol.md) or a scan. Counted apart, so it never becomes a client or an attempt.
    if (f.spi >= 0 && f.spi < 256) {
      this.probes.sent(f, at);
      return;
    }
    this.n.requests++;
    this.n.requested[f.lifetime]!++;
    const names = this.names;
    if (!c) {
      if (this.clients.size >= this.o.maxClients) {
        this.n.untracked++;
        const home = names.name(f.homeAddress);
        this.emit(
          sentEvent(
            this.clock,
            names.name(src),
            { mac: home, address: home },
            'initial',
            false,
            names.name(f.homeAgent),
            names.name(f.careOfAddress),
            f.lifetime,
            toBroadcast(dst),
            undefined,
          ),
        );
        return;
      }
      const home = names.name(f.homeAddress);
      c = newClient(home, src, names.name(src));
      this.clients.set(key, c);
    }
    if (f.nai !== undefined) c.nai = f.nai;
    if (decoded) this.auth.request(decoded, names.name(src), c.homeAddress, this.clock);
    else this.n.notChecked++;

    let replaced: Attempt | undefined;
    if (open) {
      if (open.senderN === src && this.isRetransmission(open, f, at)) {
        addRetransmission(open, f.idHigh, f.idLow, at);
        open.count++;
        open.lastTxAt = at;
        this.setDeadline(open);
        this.emitSent(c, open, open.kind, true, f, dst);
        return;
      }
      // A new attempt: the old one's denial stands, or it was replaced (not counted: docs/events.md).
      if (open.answer) this.concludeAnswer(c, open);
      else {
        open.open = false;
        this.n.replaced++;
        replaced = open;
      }
    }
    c.replaced = replaced;
    this.startAttempt(c, f, src, dst, at);
  }

  /** Same attempt? Same identification, or the same parameters (and any denial was ignored). */
  private isRetransmission(a: Attempt, f: RegistrationFields, at: number): boolean {
    if (hasIdentification(a, f.idHigh, f.idLow)) return true;
    if (a.homeAgentN !== f.homeAgent || a.careOfN !== f.careOfAddress || a.lifetime !== f.lifetime)
      return false;
    // Retransmissions wait at least a second and never less than the time before (RFC 5944
    // section 3.6.3: the wait backs off). An earlier request is a new attempt of the sender's:
    // the client associated again, or the sender started over.
    const gap = at - a.lastTxAt;
    const previousGap = lastGap(a);
    if (gap < MIN_RETRANSMISSION_GAP_MS || gap < previousGap * 0.9) return false;
    const ans = a.answer;
    if (!ans) return true;
    // After a denial: an unchanged request on the sender's retransmission schedule (checked
    // above: a prompt retry is a new attempt) means it could not use the denial; after a 133, a
    // request whose identification moved to the home agent's clock is the sender's correction.
    // (Not "soon after the reply": a slow reply can come just before the next retransmission.)
    if (ans.code === 133) {
      const newHigh = f.idHigh;
      const ownClock = lastHigh(a) + (at - a.lastTxAt) / 1000;
      if (Math.abs(newHigh - ans.idHigh) < Math.abs(newHigh - ownClock)) return false;
    }
    a.unusable = { code: ans.code, reason: this.o.sas ? 'bad-authenticator' : 'other' };
    a.lastReplyAt = ans.at;
    a.answer = undefined;
    return true;
  }

  private startAttempt(c: ClientWire, f: RegistrationFields, src: number, dst: number, at: number): void {
    let kind: RegistrationKind;
    if (f.lifetime === 0) kind = 'deregistration';
    else if (
      c.boundUntil > at &&
      c.careOfN === f.careOfAddress &&
      c.homeAgentN === f.homeAgent &&
      c.senderN === src
    )
      kind = 'renewal';
    else kind = 'initial';
    const names = this.names;
    // Moves, on the first transmission of an attempt (docs/observe.md).
    if (kind === 'deregistration') {
      if (c.location === 'foreign') this.emitMove(names.name(src), c, 'foreign-to-home', undefined);
      c.location = 'home';
    } else {
      if (c.location === undefined || c.location === 'home') {
        if (c.location === undefined) this.n.firstSightMoves++;
        this.emitMove(names.name(src), c, 'home-to-foreign', names.name(f.careOfAddress));
      } else if (c.careOfN !== NO_ADDRESS && c.careOfN !== f.careOfAddress) {
        this.emitMove(names.name(src), c, 'foreign-to-foreign', names.name(f.careOfAddress));
      }
      c.location = 'foreign';
      if (c.careOfN !== f.careOfAddress) {
        c.careOfN = f.careOfAddress;
        c.careOfAddress = names.name(f.careOfAddress);
      }
    }
    if (c.senderN !== src) {
      c.boundUntil = NaN;
      c.senderN = src;
      c.sender = names.name(src);
    }
    if (c.homeAgentN !== f.homeAgent || c.homeAgent === undefined) {
      c.homeAgentN = f.homeAgent;
      c.homeAgent = names.name(f.homeAgent);
    }
    const viaAgent = dst !== f.homeAgent;
    if (viaAgent && c.foreignAgentN !== dst) {
      c.foreignAgentN = dst;
      c.foreignAgent = names.name(dst);
    }
    const attempt: Attempt = {
      seq: ++this.attemptSeq,
      client: c,
      sender: c.sender,
      senderN: src,
      homeAgent: c.homeAgent,
      homeAgentN: f.homeAgent,
      careOfN: f.careOfAddress,
      foreignAgent: viaAgent ? c.foreignAgent : undefined,
      foreignAgentN: viaAgent ? dst : NO_ADDRESS,
      lifetime: f.lifetime,
      kind,
      startedAt: at,
      firstHigh: f.idHigh,
      firstLow: f.idLow,
      later: undefined,
      count: 1,
      lastTxAt: at,
      deadline: 0,
      answer: undefined,
      unusable: undefined,
      lastReplyAt: undefined,
      open: true,
    };
    c.attempt = attempt;
    this.setDeadline(attempt);
    this.emitSent(c, attempt, kind, false, f, dst);
    this.publish(c);
  }

  private setDeadline(a: Attempt): void {
    a.deadline = a.lastTxAt + this.o.timeoutMs;
    this.deadlines.push(a.deadline, a.client, a.seq);
  }

  // ---- replies ----------------------------------------------------------------------------------

  reply(f: RegistrationFields, src: number, dst: number, at: number, decoded?: DecodedRegistration): void {
    if (this.probes.answered(f, src, at)) return;
    this.n.replies++;
    const c = this.client(f.homeAddress | 0);
    const a = c?.attempt;
    // When the answered transmission was sent (NaN: none of the attempt's has this identification).
    const sentAt = a?.open ? sentAtOf(a, f.idLow) : NaN;
    const matched = !Number.isNaN(sentAt);
    // The home agent's reply to the foreign agent: the relay leg of the reply the sender gets.
    if (a?.open && matched && isReplyRelayLeg(a, src, dst)) {
      this.n.relayedReplies++;
      this.n.replies--;
      return;
    }
    // A reply to the attempt the current one replaced: its relay leg, or the copy for its sender,
    // which has no attempt waiting any more (the current attempt's state is not touched).
    const old = matched ? undefined : c?.replaced;
    if (old && !Number.isNaN(sentAtOf(old, f.idLow))) {
      if (isReplyRelayLeg(old, src, dst)) {
        this.n.relayedReplies++;
        this.n.replies--;
        return;
      }
      this.n.granted[f.lifetime]!++;
      return this.discard(dst, 'no-pending-request', src);
    }
    this.n.granted[f.lifetime]!++;
    if (!c) return this.discard(dst, 'invalid-home-address', src);
    if (!a?.open) return this.discard(dst, 'no-pending-request', src);
    if (!matched) {
      a.lastReplyAt = at;
      return this.discard(dst, 'invalid-identification', src);
    }
    const info = replyCode(f.code);
    // A foreign agent's denial carries no Mobile-Home authenticator (RFC 5944 section 3.7.2).
    if (info.issuer !== 'foreign-agent') {
      const check = decoded
        ? this.auth.reply(decoded, this.names.name(src), c.sender, c.homeAddress, this.clock)
        : (this.n.notChecked++, undefined);
      if (check !== undefined) {
        a.unusable = { code: f.code, reason: check };
        a.lastReplyAt = at;
        return;
      }
    }
    if (info.accepted && f.homeAgent !== a.homeAgentN) {
      a.lastReplyAt = at;
      return this.discard(dst, 'unknown-home-agent', src);
    }
    // An acceptance is concluded at once: its answer goes in the tracker's own object, which the
    // conclusion reads and copies into its events, and which the closed attempt lets go of after.
    // A denial waits (below), so it has an object of its own.
    const ans = info.accepted ? this.acceptance : emptyAnswer();
    ans.code = f.code;
    ans.lifetime = f.lifetime;
    ans.at = at;
    ans.roundTripSeconds = (at - sentAt) / 1000;
    ans.sentAt = sentAt;
    ans.idHigh = f.idHigh;
    a.answer = ans;
    if (info.accepted) {
      this.concludeAnswer(c, a);
      a.answer = undefined;
      return;
    }
    // A denial: it stands once the sender shows it used it (or does nothing until the timeout).
    if (a.unusable?.code === f.code) {
      // The sender already ignored this code once in this attempt: it will again.
      a.lastReplyAt = at;
      a.answer = undefined;
    }
  }

  // ---- conclusions ------------------------------------------------------------------------------

  private expire(a: Attempt): void {
    const c = a.client;
    if (a.answer) return this.concludeAnswer(c, a);
    // The sender stopped retransmitting before its usual number of transmissions: it gave the
    // attempt up (the client left, another attempt replaced it out of sight). Not an outcome,
    // like an access point's attempt that never concludes (docs/events.md).
    const usual = this.habits.usualTransmissions(a.senderN, a.count);
    if (usual !== undefined && a.count < usual) {
      a.open = false;
      c.attempt = undefined;
      this.n.abandoned++;
      this.publish(c);
      return;
    }
    if (a.unusable) {
      const o: Conclusion = { code: a.unusable.code, reason: a.unusable.reason };
      if (a.lastReplyAt !== undefined) o.lastReplyAt = a.lastReplyAt;
      this.conclude(c, a, 'unauthenticated', o);
    } else this.conclude(c, a, 'timeout', {});
    if (a.kind !== 'deregistration' && c.boundUntil <= this.clock) c.boundUntil = NaN;
    this.publish(c);
  }

  private concludeAnswer(c: ClientWire, a: Attempt): void {
    const ans = a.answer!;
    const info = replyCode(ans.code);
    this.emit(replyReceivedEvent(c, a, ans, info));
    // The answered conclusion in the tracker's own object: read at once by `conclude` (the
    // event copies it), so no object per attempt (an answered attempt is the common case).
    const o = this.answered;
    o.code = ans.code;
    o.reason = info.reason;
    o.issuer = info.issuer;
    o.roundTripSeconds = ans.roundTripSeconds;
    this.conclude(c, a, info.accepted ? 'accepted' : 'denied', o);
    c.lastCode = ans.code;
    if (info.accepted) {
      if (a.kind === 'deregistration') {
        c.boundUntil = NaN;
        c.careOfAddress = undefined;
        c.careOfN = NO_ADDRESS;
      } else {
        // The lifetime runs from when the request was sent (RFC 5944 section 3.6.1.3).
        c.boundUntil = ans.lifetime === 0xffff ? Infinity : ans.sentAt + ans.lifetime * 1000;
      }
      if (c.resync && c.resync.homeAgent === a.homeAgent) {
        this.emit({
          type: 'time-sync',
          time: ans.at,
          node: a.sender,
          nodeKind: 'access-point',
          homeAgent: a.homeAgent,
          mode: c.resync.mode,
          offsetSeconds: c.resync.offsetSeconds,
        });
      }
      c.resync = undefined;
    } else if (ans.code === 133) {
      // The home agent's clock (high half of the 133's identification) against the sender's.
      const sentHigh = lastHigh(a);
      const captureNtp = Math.floor(ans.at / 1000) + NTP_UNIX_OFFSET_SECONDS;
      const timestamp = Math.abs(sentHigh - captureNtp) < 30 * 86_400;
      c.resync = {
        homeAgent: a.homeAgent,
        mode: timestamp ? 'timestamp' : 'nonce',
        offsetSeconds: timestamp ? ans.idHigh - sentHigh : 0,
      };
    }
    this.publish(c);
  }

  private conclude(c: ClientWire, a: Attempt, outcome: RegistrationOutcomeKind, o: Conclusion): void {
    a.open = false;
    if (c.attempt === a) c.attempt = undefined; // concluded: garbage while still young
    const at = outcome === 'accepted' || outcome === 'denied' ? a.answer!.at : this.clock;
    recordOutcome(c, a, outcome, at, o.code, o.reason);
    this.emit(outcomeEvent(c, a, outcome, at, o));
  }

  // ---- events -----------------------------------------------------------------------------------

  private emitSent(
    c: ClientWire,
    a: Attempt,
    kind: RegistrationKind,
    retransmission: boolean,
    f: RegistrationFields,
    dst: number,
  ): void {
    this.emit(
      sentEvent(
        this.clock,
        a.sender,
        c.ref,
        kind,
        retransmission,
        c.homeAgent ?? a.homeAgent,
        c.careOfN === f.careOfAddress && c.careOfAddress !== undefined
          ? c.careOfAddress
          : this.names.name(f.careOfAddress),
        f.lifetime,
        toBroadcast(dst),
        a.foreignAgent,
      ),
    );
  }

  private emitMove(
    node: string,
    c: ClientWire,
    movement: 'home-to-foreign' | 'foreign-to-foreign' | 'foreign-to-home',
    careOfAddress: string | undefined,
  ): void {
    this.emit(movedEvent(this.clock, node, c.ref, movement, careOfAddress));
  }

  private publish(c: ClientWire): void {
    this.rows.mark(c);
  }

  /** Publishes every changed client row now (end of input; `advance` does it once a second). */
  flushRows(): void {
    this.rows.flush(this.clock);
  }

  private discard(node: number, reason: DiscardReason, peer: number): void {
    this.emit({
      type: 'reply-discarded',
      time: this.clock,
      node: this.names.name(node),
      nodeKind: 'access-point',
      reason,
      peer: this.names.name(peer),
    });
  }
}

/** Sent to a group address or a subnet broadcast (x.x.x.255). */
function toBroadcast(dst: number): boolean {
  return isGroupNumber(dst) || (dst & 0xff) === 255;
}
