/**
 * The wire observer: Mobile IP traffic seen on a mirror port (a capture) in, PmipEvents out, into
 * the same collector the engine feeds. It never sends anything. The vantage is the wire: the
 * "access point" of every event is the sender of the registration (the proxy or mobile node
 * source address), the home and foreign agents are the addresses the messages name.
 *
 * Time is capture time: every decision (round trips, timeouts, lifetimes, history) is taken on the
 * timestamps of the packets, never on the wall clock, so a replay gives the same figures at any
 * speed. `advance(ms)` moves the clock without a packet (live captures with quiet spells).
 *
 * How an attempt is judged from the wire (docs/observe.md):
 * - A request opens an attempt for (sender, home address). A further request with the same home
 *   agent, care-of address and lifetime, or the same identification, is a retransmission (RFC 5944
 *   section 3.6.3: retransmissions wait at least a second and back off; in timestamp mode each
 *   carries a fresh identification, in nonce mode the same one).
 * - The same request forwarded by the foreign agent (same identification, another source) is the
 *   relay leg, not a new request; so is the home agent's reply to the foreign agent.
 * - A reply matches by home address and the low 32 bits of the identification: a 133 carries the
 *   home agent's time in the high half (RFC 5944 section 5.7).
 * - An acceptance ends the attempt at once. A denial ends it when the sender shows it used it: a
 *   corrected request (other parameters, or within half a second, or with its identification moved
 *   to the home agent's clock after a 133), or nothing until the timeout. A sender that retransmits
 *   unchanged after a denial could not use it (it failed the sender's authentication): the attempt
 *   goes on and ends `unauthenticated`, claiming the code, like the access point's own outcome.
 * - No usable reply `timeoutSeconds` after the last transmission: `timeout`.
 * - Agent advertisements: a sequence number that falls back below 256 is a reboot (RFC 5944
 *   section 2.1.1: after 0xffff the sequence continues at 256, so 0-255 only follow a restart).
 */
import type {
  ClientOutcome,
  ClientStateEvent,
  PmipEvent,
  RegistrationOutcomeEvent,
  RegistrationSentEvent,
  ReplyReceivedEvent,
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplyIssuerKind,
  SecurityViolationReason,
} from '../pmip/events.ts';
import type { SecurityAssociationLookup } from '../pmip/security/store.ts';
import {
  ICMP_ROUTER_ADVERTISEMENT,
  ICMP_ROUTER_SOLICITATION,
  NTP_UNIX_OFFSET_SECONDS,
  decodeIcmpMobility,
  decodeRegistrationLayout,
  indicatesAgentReboot,
  isWireError,
  replyCode,
  verifyAuthentication,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
} from '../pmip/wire/index.ts';
import { IP_PROTOCOL_UDP, ipv4Offset, packetFromFrame, type CapturePacket } from '../capture/packets.ts';
import type { CaptureFrame } from '../capture/pcap.ts';

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_MIP_PORT = 434;
/** The `node` of advertisements sent to a broadcast or multicast address: received by the link. */
export const LINK_NODE = 'link';
/** RFC 5944 section 3.6.3: a retransmission waits at least a second (a little clock jitter allowed). */
const MIN_RETRANSMISSION_GAP_MS = 900;
const REBOOT_REPORT_INTERVAL_MS = 10_000;
const LINK_TYPES = new Set([0, 1, 12, 14, 101, 108, 113, 228, 276]);

/** The SA lookup the observer uses to check authenticators: local bindings, synchronous. */
export interface ObserverSecurityAssociations {
  lookup(address: string): SecurityAssociationLookup | undefined;
}

export interface ObserverOptions {
  emit: (event: PmipEvent) => void;
  /** UDP port of registration messages (default 434); either end of a datagram may hold it. */
  port?: number;
  /** No usable reply this long after the last transmission ends an attempt as a timeout. */
  timeoutSeconds?: number;
  /** With SAs, replies and requests are verified; without, authenticators are reported not checked. */
  securityAssociations?: ObserverSecurityAssociations;
  /** Hard cap on tracked home addresses; beyond it requests are counted but not followed. */
  maxClients?: number;
  /** The label value of a sender address (a configured access point's name); default the address. */
  senderName?: (address: string) => string | undefined;
  /** Called once per new kind of skipped input (the log line), with a count so far of that kind. */
  onSkip?: (kind: SkipKind, detail: string) => void;
}

export type SkipKind =
  'unsupported-link-type' | 'not-ipv4' | 'ip-fragment' | 'truncated' | 'malformed' | 'capture-error';

interface Transmission {
  id: bigint;
  /** The identification's halves, read from the datagram (no bigint arithmetic per packet). */
  high: number;
  low: number;
  at: number;
}

interface Answer {
  code: number;
  lifetime: number;
  at: number;
  roundTripSeconds: number;
  /** When the answered transmission was sent. */
  sentAt: number;
  idHigh: number;
  replyHomeAgent: string;
}

interface Attempt {
  /** Numbers attempts, so the deadline queue can name one without holding it. */
  seq: number;
  client: ClientWire;
  sender: string;
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  foreignAgent?: string;
  lifetime: number;
  kind: RegistrationKind;
  startedAt: number;
  transmissions: Transmission[];
  count: number;
  lastTxAt: number;
  deadline: number;
  /** A denial not yet known to be used or ignored by the sender. */
  answer?: Answer;
  /** The sender ignored a denial with this code (or a reply failed our check): unauthenticated. */
  unusable?: { code: number; reason: SecurityViolationReason };
  lastReplyAt?: number;
  open: boolean;
}

interface ClientWire {
  homeAddress: string;
  /** The `client` of this row's events: one object per row (the home address never changes). */
  ref: { mac: string; address: string };
  sender: string;
  location?: 'home' | 'foreign';
  careOfAddress?: string;
  homeAgent?: string;
  /** The foreign agent of the last attempt: its string is reused while equal (hashed once). */
  foreignAgent?: string;
  boundUntil?: number;
  lastCode?: number;
  lastOutcome?: ClientOutcome;
  nai?: string;
  attempt?: Attempt;
  /** A usable 133 ended the last attempt: an acceptance next is a resync. */
  resync?: { homeAgent: string; offsetSeconds: number; mode: 'timestamp' | 'nonce' };
}

/** What the observer saw of the capture itself; part of the statistics document (`observation`). */
export interface ObservationStatistics {
  timeoutSeconds: number;
  port: number;
  capture: {
    frames: number;
    bytes: number;
    firstPacketAt: string | null;
    lastPacketAt: string | null;
  };
  messages: {
    requests: number;
    replies: number;
    relayedRequests: number;
    relayedReplies: number;
    /** Requests with a reserved SPI (0-255): home agent probes, not registrations. */
    probes: number;
    probesAnswered: number;
    advertisements: number;
    solicitations: number;
  };
  /** Requested (requests, relay legs excluded) and granted (replies) lifetimes: seconds -> messages. */
  lifetimes: { requested: Record<string, number>; granted: Record<string, number> };
  authentication: { verified: number; failed: number; notChecked: number };
  attempts: {
    inProgress: number;
    /** Attempts a new one from the same sender replaced before they ended (not outcomes). */
    replaced: number;
    /** Attempts whose sender stopped retransmitting early, without a reply (not outcomes). */
    abandoned: number;
    firstSightMoves: number;
    untracked: number;
  };
  agentSequenceRestarts: number;
  skipped: Record<SkipKind, number>;
}

export class WireObserver {
  private readonly emit: (event: PmipEvent) => void;
  readonly port: number;
  readonly timeoutMs: number;
  private readonly sas: ObserverSecurityAssociations | undefined;
  private readonly maxClients: number;
  private readonly onSkip: ObserverOptions['onSkip'];
  /**
   * Client rows by home address as the datagram's signed 32-bit integer (offset 4 in requests
   * and replies alike): a small-integer key, no string to hash per packet.
   */
  private readonly clients = new Map<number, ClientWire>();
  /** Attempts by deadline, in the order they were set (capture time mostly increases). */
  /**
   * Deadlines in the order they were set (capture time mostly increases), as parallel arrays (no
   * object per entry). Entries name the client and the attempt's number, not the attempt: a
   * concluded attempt is garbage at once (young), instead of living on until its deadline.
   */
  private deadlineTimes: number[] = [];
  private deadlineClients: ClientWire[] = [];
  private deadlineSeqs: number[] = [];
  private attemptSeq = 0;
  private deadlineHead = 0;
  private readonly agents = new Map<string, { sequence: number; lastReboot: number }>();
  /** Per sender: how many unanswered attempts ended after how many transmissions (its usual limit). */
  private readonly senderTransmissions = new Map<string, Map<number, number>>();
  /** Home agent probes in flight: home address and identification low half -> home agent. */
  private readonly probes = new Map<string, { homeAgent: string; at: number }>();
  private clock = 0;
  private firstAt = 0;
  private readonly stats = {
    frames: 0,
    bytes: 0,
    requests: 0,
    replies: 0,
    relayedRequests: 0,
    relayedReplies: 0,
    probes: 0,
    probesAnswered: 0,
    advertisements: 0,
    solicitations: 0,
    verified: 0,
    failed: 0,
    notChecked: 0,
    replaced: 0,
    abandoned: 0,
    firstSightMoves: 0,
    untracked: 0,
    restarts: 0,
  };
  private readonly requested = new Map<number, number>();
  private readonly granted = new Map<number, number>();
  private readonly skipped: Record<SkipKind, number> = {
    'unsupported-link-type': 0,
    'not-ipv4': 0,
    'ip-fragment': 0,
    truncated: 0,
    malformed: 0,
    'capture-error': 0,
  };

  constructor(o: ObserverOptions) {
    const name = o.senderName;
    this.emit = name
      ? (e) => {
          const n = name(e.node);
          o.emit(n === undefined || n === e.node ? e : { ...e, node: n });
        }
      : o.emit;
    this.port = o.port ?? DEFAULT_MIP_PORT;
    const timeout = o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (!(timeout > 0)) throw new RangeError('timeoutSeconds: must be a positive number of seconds');
    this.timeoutMs = timeout * 1000;
    this.sas = o.securityAssociations;
    this.maxClients = o.maxClients ?? 200_000;
    this.onSkip = o.onSkip;
  }

  /** Capture time (ms since the epoch) of the latest packet or advance; 0 before any. */
  now(): number {
    return this.clock;
  }

  /** One captured frame: link layer to IPv4, then `packet`. Anything else is counted and skipped. */
  frame(f: CaptureFrame): void {
    this.stats.frames++;
    this.stats.bytes += f.data.length;
    const packet = packetFromFrame(f);
    if (packet) {
      this.packet(packet);
      return;
    }
    this.advance(msOf(f.timestampNs));
    if (!LINK_TYPES.has(f.linkType)) {
      this.skip('unsupported-link-type', `link type ${f.linkType} (frame ${f.frame})`);
      return;
    }
    const ip = ipv4Offset(f.linkType, f.data);
    if (ip !== undefined && f.data.length >= ip + 20 && (f.data.readUInt16BE(ip + 6) & 0x1fff) !== 0) {
      // A later fragment of a datagram: only the first carries the UDP header. The datagram
      // was already counted truncated from its first fragment, if that was a registration.
      if (f.data[ip + 9] === IP_PROTOCOL_UDP) this.skip('ip-fragment', `frame ${f.frame}`);
      return;
    }
    this.skipped['not-ipv4']++; // IPv6, ARP, ...: normal on a mirror port, not worth a log line
  }

  /** One IPv4 packet (from `frame`, or decoded elsewhere). */
  packet(p: CapturePacket): void {
    const at = msOf(p.timestampNs);
    this.advance(at);
    if (p.kind === 'udp') {
      if (p.srcPort !== this.port && p.dstPort !== this.port) return;
      if (p.truncated) {
        this.skip('truncated', `frame ${p.frame}: ${p.payload.length} of ${p.declaredLength} bytes`);
        this.malformed('registration', 'truncated', p.src);
        return;
      }
      let decoded: DecodedRegistration;
      try {
        decoded = decodeRegistrationLayout(p.payload);
      } catch (e) {
        if (!isWireError(e)) throw e;
        this.skip('malformed', `frame ${p.frame}: ${e.message}`);
        this.malformed('registration', e.kind, p.src);
        return;
      }
      if (decoded.message.type === 'registration-request')
        this.request(decoded as DecodedRegistration<RegistrationRequest>, p.src, p.dst, at);
      else this.reply(decoded as DecodedRegistration<RegistrationReply>, p.src, p.dst, at);
      return;
    }
    if (p.kind === 'icmp') {
      const type = p.icmp[0];
      if (type !== ICMP_ROUTER_ADVERTISEMENT && type !== ICMP_ROUTER_SOLICITATION) return;
      if (p.truncated) {
        this.skip('truncated', `frame ${p.frame}: ICMP message cut by the capture`);
        this.malformed('advertisement', 'truncated', p.src);
        return;
      }
      this.icmp(p.icmp, p.src, p.dst, at);
    }
  }

  /** Moves capture time on: attempts whose wait ran out end as timeouts (or their denials stand). */
  advance(at: number): void {
    if (!(at > this.clock)) return;
    if (this.firstAt === 0) this.firstAt = at;
    this.clock = at;
    const times = this.deadlineTimes;
    while (this.deadlineHead < times.length && times[this.deadlineHead]! <= at) {
      const i = this.deadlineHead++;
      const attempt = this.deadlineClients[i]!.attempt;
      if (attempt?.open && attempt.seq === this.deadlineSeqs[i] && attempt.deadline === times[i])
        this.expire(attempt);
    }
    if (this.deadlineHead > 4096 && this.deadlineHead * 2 > times.length) {
      const h = this.deadlineHead;
      this.deadlineTimes = times.slice(h);
      this.deadlineClients = this.deadlineClients.slice(h);
      this.deadlineSeqs = this.deadlineSeqs.slice(h);
      this.deadlineHead = 0;
    }
  }

  /** A capture problem that ends or cuts the input: counted and reported, never fatal. */
  captureProblem(kind: 'truncated' | 'capture-error', detail: string): void {
    this.skip(kind, detail);
  }

  statistics(): ObservationStatistics {
    const s = this.stats;
    let inProgress = 0;
    for (const c of this.clients.values()) if (c.attempt?.open) inProgress++;
    const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
    const byValue = (m: Map<number, number>) =>
      Object.fromEntries([...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));
    return {
      timeoutSeconds: this.timeoutMs / 1000,
      port: this.port,
      capture: {
        frames: s.frames,
        bytes: s.bytes,
        firstPacketAt: iso(this.firstAt),
        lastPacketAt: iso(this.clock),
      },
      messages: {
        requests: s.requests,
        replies: s.replies,
        relayedRequests: s.relayedRequests,
        relayedReplies: s.relayedReplies,
        probes: s.probes,
        probesAnswered: s.probesAnswered,
        advertisements: s.advertisements,
        solicitations: s.solicitations,
      },
      lifetimes: { requested: byValue(this.requested), granted: byValue(this.granted) },
      authentication: { verified: s.verified, failed: s.failed, notChecked: s.notChecked },
      attempts: {
        inProgress,
        replaced: s.replaced,
        abandoned: s.abandoned,
        firstSightMoves: s.firstSightMoves,
        untracked: s.untracked,
      },
      agentSequenceRestarts: s.restarts,
      skipped: { ...this.skipped },
    };
  }

  // ---- registration requests ---------------------------------------------------------------------

  private request(d: DecodedRegistration<RegistrationRequest>, src: string, dst: string, at: number): void {
    const req = d.message;
    const high = d.bytes.readUInt32BE(16);
    const low = d.bytes.readUInt32BE(20);
    const key = d.bytes.readInt32BE(4);
    let c = this.clients.get(key);
    const open = c?.attempt?.open ? c.attempt : undefined;
    // The foreign agent forwarding a request it received: same identification, another source.
    if (open && open.sender !== src && hasIdentification(open, req.identification)) {
      this.stats.relayedRequests++;
      if (open.foreignAgent === undefined) open.foreignAgent = src;
      return;
    }
    // A reserved SPI (0-255, RFC 5944 section 3.5) is no registration: an AAP's home agent probe
    // (docs/aap-protocol.md) or a scan. Counted apart, so it never becomes a client or an attempt.
    // Loops, not find() with a closure: this runs for every request.
    const exts = req.extensions;
    let spi = -1;
    let naiValue: string | undefined;
    let naiSeen = false;
    for (let i = 0; i < exts.length; i++) {
      const e = exts[i]!;
      if (spi < 0 && e.kind === 'auth' && e.type === 32) spi = e.spi;
      else if (!naiSeen && e.kind === 'nai') {
        naiSeen = true;
        naiValue = e.nai;
      }
    }
    if (spi >= 0 && spi < 256) {
      this.probe(req, at);
      return;
    }
    this.stats.requests++;
    add(this.requested, req.lifetime);
    if (!c) {
      if (this.clients.size >= this.maxClients) {
        this.stats.untracked++;
        this.emitSent(src, dst, req, 'initial', false);
        return;
      }
      // Every field from the start, never deleted: objects keep one shape (fast property access).
      c = {
        homeAddress: req.homeAddress,
        ref: { mac: req.homeAddress, address: req.homeAddress },
        sender: src,
        location: undefined,
        careOfAddress: undefined,
        homeAgent: undefined,
        foreignAgent: undefined,
        boundUntil: undefined,
        lastCode: undefined,
        lastOutcome: undefined,
        nai: undefined,
        attempt: undefined,
        resync: undefined,
      };
      this.clients.set(key, c);
    }
    if (naiSeen) c.nai = naiValue;
    this.checkRequest(d, src);

    if (open) {
      if (open.sender === src && this.isRetransmission(open, req, at)) {
        open.transmissions.push({ id: req.identification, high, low, at });
        if (open.transmissions.length > 8) open.transmissions.shift();
        open.count++;
        open.lastTxAt = at;
        this.setDeadline(open);
        this.emitSent(open.sender, dst, req, open.kind, true, open.foreignAgent, c);
        return;
      }
      // A new attempt: the old one's denial stands, or it was replaced (not counted: docs/events.md).
      if (open.answer) this.concludeAnswer(c, open);
      else {
        open.open = false;
        this.stats.replaced++;
      }
    }
    this.startAttempt(c, req, src, dst, at, high, low);
  }

  /** Same attempt? Same identification, or the same parameters (and any denial was ignored). */
  private isRetransmission(a: Attempt, req: RegistrationRequest, at: number): boolean {
    if (hasIdentification(a, req.identification)) return true;
    if (a.homeAgent !== req.homeAgent || a.careOfAddress !== req.careOfAddress || a.lifetime !== req.lifetime)
      return false;
    // Retransmissions wait at least a second and never less than the time before (RFC 5944
    // section 3.6.3: the wait backs off). An earlier request is a new attempt of the sender's:
    // the client associated again, or the sender started over.
    const gap = at - a.lastTxAt;
    const tx = a.transmissions;
    const previousGap = tx.length >= 2 ? tx[tx.length - 1]!.at - tx[tx.length - 2]!.at : 0;
    if (gap < MIN_RETRANSMISSION_GAP_MS || gap < previousGap * 0.9) return false;
    const ans = a.answer;
    if (!ans) return true;
    // After a denial: an unchanged request on the sender's retransmission schedule (checked
    // above: a prompt retry is a new attempt) means it could not use the denial; after a 133, a
    // request whose identification moved to the home agent's clock is the sender's correction.
    // (Not "soon after the reply": a slow reply can come just before the next retransmission.)
    if (ans.code === 133) {
      const newHigh = Number(req.identification >> 32n);
      const lastHigh = a.transmissions[a.transmissions.length - 1]!.high;
      const ownClock = lastHigh + (at - a.lastTxAt) / 1000;
      if (Math.abs(newHigh - ans.idHigh) < Math.abs(newHigh - ownClock)) return false;
    }
    a.unusable = { code: ans.code, reason: this.sas ? 'bad-authenticator' : 'other' };
    a.lastReplyAt = ans.at;
    a.answer = undefined;
    return true;
  }

  private startAttempt(
    c: ClientWire,
    req: RegistrationRequest,
    src: string,
    dst: string,
    at: number,
    high: number,
    low: number,
  ): void {
    let kind: RegistrationKind;
    if (req.lifetime === 0) kind = 'deregistration';
    else if (
      c.boundUntil !== undefined &&
      c.boundUntil > at &&
      c.careOfAddress === req.careOfAddress &&
      c.homeAgent === req.homeAgent &&
      c.sender === src
    )
      kind = 'renewal';
    else kind = 'initial';

    // Moves, on the first transmission of an attempt (docs/observe.md).
    if (kind === 'deregistration') {
      if (c.location === 'foreign') this.emitMove(src, c, 'foreign-to-home');
      c.location = 'home';
    } else {
      if (c.location === undefined || c.location === 'home') {
        if (c.location === undefined) this.stats.firstSightMoves++;
        this.emitMove(src, c, 'home-to-foreign', req.careOfAddress);
      } else if (c.careOfAddress !== undefined && c.careOfAddress !== req.careOfAddress) {
        this.emitMove(src, c, 'foreign-to-foreign', req.careOfAddress);
      }
      c.location = 'foreign';
      if (c.careOfAddress !== req.careOfAddress) c.careOfAddress = req.careOfAddress;
    }
    if (c.sender !== src) c.boundUntil = undefined;
    // Long-lived rows keep the strings they hold when equal: the new copies then die young.
    if (c.sender !== src) c.sender = src;
    if (c.homeAgent !== req.homeAgent) c.homeAgent = req.homeAgent;
    if (dst !== req.homeAgent && c.foreignAgent !== dst) c.foreignAgent = dst;
    const attempt: Attempt = {
      seq: ++this.attemptSeq,
      client: c,
      // The client row's strings, not this packet's copies: V8 keeps a string's hash once
      // computed, so every label lookup downstream (collector slots) skips hashing.
      sender: c.sender,
      homeAddress: c.homeAddress,
      homeAgent: c.homeAgent!,
      careOfAddress: req.careOfAddress,
      lifetime: req.lifetime,
      kind,
      startedAt: at,
      transmissions: [{ id: req.identification, high, low, at }],
      count: 1,
      lastTxAt: at,
      deadline: 0,
      open: true,
      foreignAgent: dst !== req.homeAgent ? c.foreignAgent : undefined,
      answer: undefined,
      unusable: undefined,
      lastReplyAt: undefined,
    };
    c.attempt = attempt;
    this.setDeadline(attempt);
    this.emitSent(c.sender, dst, req, kind, false, attempt.foreignAgent, c);
    this.publish(c);
  }

  private setDeadline(a: Attempt): void {
    a.deadline = a.lastTxAt + this.timeoutMs;
    this.deadlineTimes.push(a.deadline);
    this.deadlineClients.push(a.client);
    this.deadlineSeqs.push(a.seq);
  }

  // ---- registration replies ----------------------------------------------------------------------

  private reply(d: DecodedRegistration<RegistrationReply>, src: string, dst: string, at: number): void {
    const rep = d.message;
    const repHigh = d.bytes.readUInt32BE(12);
    const low = d.bytes.readUInt32BE(16);
    const probe = this.probes.size > 0 ? this.probes.get(`${rep.homeAddress}/${low}`) : undefined;
    if (probe) {
      this.probes.delete(`${rep.homeAddress}/${low}`);
      this.stats.probesAnswered++;
      this.emit({
        type: 'ha-probe',
        time: at,
        node: src,
        nodeKind: 'access-point',
        homeAgent: probe.homeAgent,
        outcome: 'answered',
      });
      return;
    }
    this.stats.replies++;
    const c = this.clients.get(d.bytes.readInt32BE(4));
    const a = c?.attempt;
    let tx: Transmission | undefined;
    if (a?.open) {
      const list = a.transmissions;
      for (let i = 0; i < list.length; i++)
        if (list[i]!.low === low) {
          tx = list[i];
          break;
        }
    }
    // The home agent's reply to the foreign agent: the relay leg of the reply the sender gets.
    if (a?.open && tx && dst !== a.sender && (dst === a.foreignAgent || src === a.homeAgent)) {
      this.stats.relayedReplies++;
      this.stats.replies--;
      return;
    }
    add(this.granted, rep.lifetime);
    if (!c) return this.discard(dst, 'invalid-home-address', src);
    if (!a?.open) return this.discard(dst, 'no-pending-request', src);
    if (!tx) {
      a.lastReplyAt = at;
      return this.discard(dst, 'invalid-identification', src);
    }
    const info = replyCode(rep.code);
    // A foreign agent's denial carries no Mobile-Home authenticator (RFC 5944 section 3.7.2).
    if (info.issuer !== 'foreign-agent') {
      const check = this.checkReply(d, src, c);
      if (check !== undefined) {
        a.unusable = { code: rep.code, reason: check };
        a.lastReplyAt = at;
        return;
      }
    }
    if (info.accepted && rep.homeAgent !== a.homeAgent) {
      a.lastReplyAt = at;
      return this.discard(dst, 'unknown-home-agent', src);
    }
    const answer: Answer = {
      code: rep.code,
      lifetime: rep.lifetime,
      at,
      roundTripSeconds: (at - tx.at) / 1000,
      sentAt: tx.at,
      idHigh: repHigh,
      replyHomeAgent: rep.homeAgent,
    };
    if (info.accepted) {
      a.answer = answer;
      this.concludeAnswer(c, a);
      return;
    }
    // A denial: it stands once the sender shows it used it (or does nothing until the timeout).
    a.answer = answer;
    if (a.unusable?.code === rep.code) {
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
    const usual = this.usualTransmissions(a.sender, a.count);
    if (usual !== undefined && a.count < usual) {
      a.open = false;
      c.attempt = undefined;
      this.stats.abandoned++;
      this.publish(c);
      return;
    }
    if (a.unusable) {
      this.conclude(c, a, 'unauthenticated', {
        code: a.unusable.code,
        reason: a.unusable.reason,
        ...(a.lastReplyAt !== undefined ? { lastReplyAt: a.lastReplyAt } : {}),
      });
    } else this.conclude(c, a, 'timeout', {});
    if (a.kind !== 'deregistration' && c.boundUntil !== undefined && c.boundUntil <= this.clock)
      c.boundUntil = undefined;
    this.publish(c);
  }

  /**
   * The sender's usual number of transmissions in an unanswered attempt (the most frequent so
   * far; undefined before the first), then counts this one. The most frequent, not the most: an
   * attempt merged with the next one (a client associating again on the retransmission
   * schedule) has more than the sender's limit and must not make every normal timeout look short.
   */
  private usualTransmissions(sender: string, count: number): number | undefined {
    let counts = this.senderTransmissions.get(sender);
    if (!counts) {
      counts = new Map();
      this.senderTransmissions.set(sender, counts);
    }
    let usual: number | undefined;
    let best = 0;
    for (const [k, n] of counts)
      if (n > best || (n === best && usual !== undefined && k > usual)) [usual, best] = [k, n];
    counts.set(count, (counts.get(count) ?? 0) + 1);
    return usual;
  }

  private concludeAnswer(c: ClientWire, a: Attempt): void {
    const ans = a.answer!;
    const info = replyCode(ans.code);
    const issuer: ReplyIssuerKind = info.issuer;
    const e: ReplyReceivedEvent = {
      type: 'reply-received',
      time: ans.at,
      node: a.sender,
      nodeKind: 'access-point',
      client: ref(c),
      kind: a.kind,
      homeAgent: a.homeAgent,
      code: ans.code,
      reason: info.reason,
      accepted: info.accepted,
      issuer,
      lifetime: ans.lifetime,
      roundTripSeconds: ans.roundTripSeconds,
    };
    if (a.foreignAgent !== undefined) e.foreignAgent = a.foreignAgent;
    this.emit(e);
    this.conclude(c, a, info.accepted ? 'accepted' : 'denied', {
      code: ans.code,
      reason: info.reason,
      issuer,
      roundTripSeconds: ans.roundTripSeconds,
    });
    c.lastCode = ans.code;
    if (info.accepted) {
      if (a.kind === 'deregistration') {
        c.boundUntil = undefined;
        c.careOfAddress = undefined;
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
      const sentHigh = a.transmissions[a.transmissions.length - 1]!.high;
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

  private conclude(
    c: ClientWire,
    a: Attempt,
    outcome: RegistrationOutcomeKind,
    o: {
      code?: number;
      reason?: string;
      issuer?: ReplyIssuerKind;
      roundTripSeconds?: number;
      lastReplyAt?: number;
    },
  ): void {
    a.open = false;
    if (c.attempt === a) c.attempt = undefined; // concluded: garbage while still young
    const at = outcome === 'accepted' || outcome === 'denied' ? a.answer!.at : this.clock;
    // Whole literals for the usual combinations (same keys in the same order as adding them one by
    // one): the row keeps this object for a long time, and growing it field by field was the
    // costliest line of the observation path in CPU profiles.
    const fa = a.foreignAgent;
    let last: ClientOutcome;
    if (o.code !== undefined && o.reason !== undefined)
      last =
        fa !== undefined
          ? {
              kind: outcome,
              transmissions: a.count,
              at,
              homeAgent: a.homeAgent,
              code: o.code,
              reason: o.reason,
              foreignAgent: fa,
            }
          : {
              kind: outcome,
              transmissions: a.count,
              at,
              homeAgent: a.homeAgent,
              code: o.code,
              reason: o.reason,
            };
    else if (o.code === undefined && o.reason === undefined)
      last =
        fa !== undefined
          ? { kind: outcome, transmissions: a.count, at, homeAgent: a.homeAgent, foreignAgent: fa }
          : { kind: outcome, transmissions: a.count, at, homeAgent: a.homeAgent };
    else {
      last = { kind: outcome, transmissions: a.count, at, homeAgent: a.homeAgent };
      if (o.code !== undefined) last.code = o.code;
      if (o.reason !== undefined) last.reason = o.reason;
      if (fa !== undefined) last.foreignAgent = fa;
    }
    c.lastOutcome = last;
    // An answered attempt (code, reason, issuer and round trip, no late reply) as one literal, keys
    // in the order the general path adds them: no property store grown per event.
    if (
      o.code !== undefined &&
      o.reason !== undefined &&
      o.issuer !== undefined &&
      o.roundTripSeconds !== undefined &&
      o.lastReplyAt === undefined
    ) {
      this.emit(
        fa !== undefined
          ? {
              type: 'registration-outcome',
              time: at,
              node: a.sender,
              nodeKind: 'access-point',
              client: ref(c),
              kind: a.kind,
              outcome,
              homeAgent: a.homeAgent,
              transmissions: a.count,
              foreignAgent: fa,
              code: o.code,
              reason: o.reason,
              issuer: o.issuer,
              roundTripSeconds: o.roundTripSeconds,
            }
          : {
              type: 'registration-outcome',
              time: at,
              node: a.sender,
              nodeKind: 'access-point',
              client: ref(c),
              kind: a.kind,
              outcome,
              homeAgent: a.homeAgent,
              transmissions: a.count,
              code: o.code,
              reason: o.reason,
              issuer: o.issuer,
              roundTripSeconds: o.roundTripSeconds,
            },
      );
      return;
    }
    const e: RegistrationOutcomeEvent = {
      type: 'registration-outcome',
      time: at,
      node: a.sender,
      nodeKind: 'access-point',
      client: ref(c),
      kind: a.kind,
      outcome,
      homeAgent: a.homeAgent,
      transmissions: a.count,
    };
    if (fa !== undefined) e.foreignAgent = fa;
    if (o.code !== undefined) e.code = o.code;
    if (o.reason !== undefined) e.reason = o.reason;
    if (o.issuer !== undefined) e.issuer = o.issuer;
    if (o.roundTripSeconds !== undefined) e.roundTripSeconds = o.roundTripSeconds;
    if (o.lastReplyAt !== undefined) e.lastReplyAt = o.lastReplyAt;
    this.emit(e);
  }

  // ---- authentication (only with SAs) -------------------------------------------------------------

  private checkRequest(d: DecodedRegistration<RegistrationRequest>, src: string): void {
    const sa = this.sas?.lookup(d.message.homeAddress);
    if (!sa) {
      this.stats.notChecked++;
      return;
    }
    const check = verifyAuthentication(d, { spi: sa.sa.spi, key: sa.sa.key, algorithm: sa.sa.algorithm });
    if (check === 'ok') this.stats.verified++;
    else {
      this.stats.failed++;
      this.violation(src, violationReason(check), d.message.homeAddress);
    }
  }

  /** undefined when the reply is usable (verified, or not checkable); else the violation reason. */
  private checkReply(
    d: DecodedRegistration<RegistrationReply>,
    src: string,
    c: ClientWire,
  ): SecurityViolationReason | undefined {
    const sa = this.sas?.lookup(d.message.homeAddress);
    if (!sa) {
      this.stats.notChecked++;
      return undefined;
    }
    const check = verifyAuthentication(d, { spi: sa.sa.spi, key: sa.sa.key, algorithm: sa.sa.algorithm });
    if (check === 'ok') {
      this.stats.verified++;
      return undefined;
    }
    this.stats.failed++;
    const reason = violationReason(check);
    this.violation(c.sender, reason, c.homeAddress, src);
    return reason;
  }

  private violation(node: string, reason: SecurityViolationReason, homeAddress: string, peer = node): void {
    this.emit({
      type: 'security-violation',
      time: this.clock,
      node,
      nodeKind: 'access-point',
      reason,
      peer,
      client: { mac: homeAddress, address: homeAddress },
    });
  }

  private probe(req: RegistrationRequest, at: number): void {
    this.stats.probes++;
    if (this.probes.size >= 4096) this.probes.clear(); // unanswered probes do not pile up
    this.probes.set(`${req.homeAddress}/${Number(req.identification & 0xffffffffn)}`, {
      homeAgent: req.homeAgent,
      at,
    });
    this.emit({
      type: 'ha-probe',
      time: at,
      node: req.homeAgent,
      nodeKind: 'access-point',
      homeAgent: req.homeAgent,
      outcome: 'sent',
    });
  }

  // ---- advertisements and solicitations ------------------------------------------------------------

  private icmp(icmp: Buffer, src: string, dst: string, at: number): void {
    let m;
    try {
      m = decodeIcmpMobility(icmp);
    } catch (e) {
      if (!isWireError(e)) throw e;
      if (e.kind === 'unknown-type' && icmp[0] === ICMP_ROUTER_ADVERTISEMENT) return; // a plain router advertisement
      this.skip('malformed', `ICMP from ${src}: ${e.message}`);
      this.malformed('advertisement', e.kind, src);
      return;
    }
    if (m.type === 'agent-solicitation') {
      this.stats.solicitations++;
      this.emit({ type: 'solicitation-sent', time: at, node: src, nodeKind: 'access-point' });
      return;
    }
    this.stats.advertisements++;
    const node = isGroupAddress(dst) ? LINK_NODE : dst;
    this.emit({
      type: 'advertisement-received',
      time: at,
      node,
      nodeKind: 'access-point',
      agent: src,
      sequence: m.sequence,
      registrationLifetime: m.registrationLifetime,
      homeAgent: m.flags.H,
      foreignAgent: m.flags.F,
      careOfAddresses: m.careOfAddresses,
    });
    const seen = this.agents.get(src);
    if (seen && indicatesAgentReboot(seen.sequence, m.sequence)) {
      this.stats.restarts++;
      if (at - seen.lastReboot >= REBOOT_REPORT_INTERVAL_MS) {
        seen.lastReboot = at;
        this.emit({
          type: 'agent-reboot-detected',
          time: at,
          node,
          nodeKind: 'access-point',
          agent: src,
          previousSequence: seen.sequence,
          sequence: m.sequence,
        });
      }
    }
    if (seen) seen.sequence = m.sequence;
    else this.agents.set(src, { sequence: m.sequence, lastReboot: -Infinity });
  }

  // ---- events -----------------------------------------------------------------------------------

  private emitSent(
    src: string,
    dst: string,
    req: RegistrationRequest,
    kind: RegistrationKind,
    retransmission: boolean,
    foreignAgent?: string,
    c?: ClientWire,
  ): void {
    const e: RegistrationSentEvent = {
      type: 'registration-sent',
      time: this.clock,
      node: src,
      nodeKind: 'access-point',
      client: c ? ref(c) : { mac: req.homeAddress, address: req.homeAddress },
      kind,
      retransmission,
      homeAgent: c?.homeAgent ?? req.homeAgent,
      careOfAddress: req.careOfAddress,
      lifetime: req.lifetime,
      toBroadcast: isGroupAddress(dst) || dst.endsWith('.255'),
    };
    if (foreignAgent !== undefined) e.foreignAgent = foreignAgent;
    this.emit(e);
  }

  private emitMove(
    node: string,
    c: ClientWire,
    movement: 'home-to-foreign' | 'foreign-to-foreign' | 'foreign-to-home',
    careOfAddress?: string,
  ): void {
    this.emit({
      type: 'client-moved',
      time: this.clock,
      node,
      nodeKind: 'access-point',
      client: ref(c),
      movement,
      ...(careOfAddress !== undefined ? { careOfAddress } : {}),
    });
  }

  /** The client's live row (the Mobile Clients page), keyed by home address: the wire has no MAC. */
  private publish(c: ClientWire): void {
    const a = c.attempt;
    const inProgress = a?.open === true;
    const bound = c.boundUntil !== undefined && c.boundUntil > this.clock;
    const state =
      c.location === 'home' && !inProgress
        ? 'home'
        : bound
          ? 'registered'
          : inProgress
            ? 'pending'
            : 'isolated';
    // Optional fields set one by one: conditional spreads allocate an object each, per event.
    const e: ClientStateEvent = {
      type: 'client-state',
      time: this.clock,
      node: c.sender,
      nodeKind: 'access-point',
      client: ref(c),
      ssid: '',
      state,
    };
    if (c.nai !== undefined) e.nai = c.nai;
    if (c.homeAgent !== undefined) e.homeAgent = c.homeAgent;
    if (c.careOfAddress !== undefined) e.careOfAddress = c.careOfAddress;
    if (bound && Number.isFinite(c.boundUntil)) e.expiresAt = c.boundUntil!;
    if (c.lastCode !== undefined) e.lastCode = c.lastCode;
    if (c.lastOutcome !== undefined) e.lastOutcome = c.lastOutcome;
    if (inProgress) e.attemptStartedAt = a.startedAt;
    this.emit(e);
  }

  private discard(
    node: string,
    reason: 'invalid-home-address' | 'no-pending-request' | 'invalid-identification' | 'unknown-home-agent',
    peer: string,
  ): void {
    this.emit({ type: 'reply-discarded', time: this.clock, node, nodeKind: 'access-point', reason, peer });
  }

  private malformed(socket: 'registration' | 'advertisement', errorKind: string, peer: string): void {
    this.emit({
      type: 'malformed-datagram',
      time: this.clock,
      node: peer,
      nodeKind: 'access-point',
      socket,
      errorKind,
      peer,
    });
  }

  private skip(kind: SkipKind, detail: string): void {
    if (this.skipped[kind]++ === 0) this.onSkip?.(kind, detail);
  }
}

/** Shared by the row's events (no consumer changes an event): no allocation per event. */
function ref(c: ClientWire): { mac: string; address: string } {
  return c.ref;
}

function hasIdentification(a: Attempt, id: bigint): boolean {
  const list = a.transmissions;
  for (let i = 0; i < list.length; i++) if (list[i]!.id === id) return true;
  return false;
}

function add(m: Map<number, number>, key: number): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Capture time in ms (fractions kept: loopback round trips are sub-millisecond); no bigint division. */
function msOf(ns: bigint): number {
  return Number(ns) / 1e6;
}

function isGroupAddress(address: string): boolean {
  if (address === '255.255.255.255') return true;
  // The first octet from the character codes (no substring per request); anything but digits
  // before the first dot takes the general path.
  let first = 0;
  let i = 0;
  for (; i < address.length && i < 4; i++) {
    const ch = address.charCodeAt(i);
    if (ch === 46) break;
    if (ch < 48 || ch > 57) {
      first = -1;
      break;
    }
    first = first * 10 + (ch - 48);
  }
  if (first < 0 || i === 0 || i === 4 || i === address.length)
    first = Number(address.slice(0, address.indexOf('.')));
  return first >= 224 && first <= 239;
}

function violationReason(check: 'missing' | 'spi-mismatch' | 'bad-authenticator'): SecurityViolationReason {
  return check === 'missing'
    ? 'missing-security-extension'
    : check === 'spi-mismatch'
      ? 'bad-spi'
      : 'bad-authenticator';
}
