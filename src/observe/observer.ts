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
import type { PmipEvent } from '../pmip/events.ts';
import type { SecurityAssociationLookup } from '../pmip/security/store.ts';
import {
  ICMP_ROUTER_ADVERTISEMENT,
  ICMP_ROUTER_SOLICITATION,
  decodeRegistrationLayout,
  isWireError,
  type DecodedRegistration,
} from '../pmip/wire/index.ts';
import { IP_PROTOCOL_UDP, ipv4Offset, packetFromFrame, type CapturePacket } from '../capture/packets.ts';
import type { CaptureFrame } from '../capture/pcap.ts';
import { AdvertisementWatch } from './advertisements.ts';
import { AttemptTracker } from './attempts.ts';
import { ObserverCounters, type ObservationStatistics, type SkipKind } from './counters.ts';
import {
  AddressBook,
  emptyFields,
  readRegistration,
  udpInFrame,
  type RegistrationFields,
  type UdpSpan,
} from './datagram.ts';

export { LINK_NODE } from './advertisements.ts';
export type { ObservationStatistics, SkipKind } from './counters.ts';

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_MIP_PORT = 434;
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

export class WireObserver {
  private readonly emit: (event: PmipEvent) => void;
  readonly port: number;
  readonly timeoutMs: number;
  private readonly sas: ObserverSecurityAssociations | undefined;
  private readonly onSkip: ObserverOptions['onSkip'];
  private readonly n = new ObserverCounters();
  private readonly names = new AddressBook();
  private readonly attempts: AttemptTracker;
  private readonly advertisements: AdvertisementWatch;
  /** Scratch records of the fast path, reused for every packet (nothing allocated per packet). */
  private readonly span: UdpSpan = { src: 0, dst: 0, srcPort: 0, dstPort: 0, start: 0, end: 0 };
  private readonly fields: RegistrationFields = emptyFields();
  private clock = 0;
  private firstAt = 0;

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
    this.onSkip = o.onSkip;
    this.attempts = new AttemptTracker({
      emit: this.emit,
      timeoutMs: this.timeoutMs,
      sas: this.sas,
      maxClients: o.maxClients ?? 200_000,
      names: this.names,
      counters: this.n,
    });
    this.advertisements = new AdvertisementWatch(
      this.emit,
      this.n,
      (kind, detail) => this.skip(kind, detail),
      (errorKind, peer) => this.malformed('advertisement', errorKind, peer),
    );
  }

  /** Capture time (ms since the epoch) of the latest packet or advance; 0 before any. */
  now(): number {
    return this.clock;
  }

  /** One captured frame: link layer to IPv4, then `packet`. Anything else is counted and skipped. */
  frame(f: CaptureFrame): void {
    const data = f.data;
    this.n.frames++;
    this.n.bytes += data.length;
    // The fast path: an untruncated registration message without SAs to check, read in place.
    const span = this.span;
    if (
      this.sas === undefined &&
      udpInFrame(f.linkType, data, span) &&
      (span.srcPort === this.port || span.dstPort === this.port) &&
      readRegistration(data, span.start, span.end, this.fields)
    ) {
      const at = f.timestampMs;
      this.advance(at);
      if (this.fields.request) this.attempts.request(this.fields, span.src, span.dst, at);
      else this.attempts.reply(this.fields, span.src, span.dst, at);
      return;
    }
    const packet = packetFromFrame(f);
    if (packet) {
      this.packet(packet);
      return;
    }
    this.advance(f.timestampMs);
    if (!LINK_TYPES.has(f.linkType)) {
      this.skip('unsupported-link-type', `link type ${f.linkType} (frame ${f.frame})`);
      return;
    }
    const ip = ipv4Offset(f.linkType, data);
    if (ip !== undefined && data.length >= ip + 20 && (data.readUInt16BE(ip + 6) & 0x1fff) !== 0) {
      // A later fragment of a datagram: only the first carries the UDP header. The datagram
      // was already counted truncated from its first fragment, if that was a registration.
      if (data[ip + 9] === IP_PROTOCOL_UDP) this.skip('ip-fragment', `frame ${f.frame}`);
      return;
    }
    this.n.skipped['not-ipv4']++; // IPv6, ARP, ...: normal on a mirror port, not worth a log line
  }

  /** One IPv4 packet (from `frame`, or decoded elsewhere): the general path, through the codec. */
  packet(p: CapturePacket): void {
    const at = p.timestampMs;
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
      const f = fieldsOf(decoded, this.fields);
      const src = ipv4Number(p.src);
      const dst = ipv4Number(p.dst);
      if (f.request) this.attempts.request(f, src, dst, at, decoded);
      else this.attempts.reply(f, src, dst, at, decoded);
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
      this.advertisements.icmp(p.icmp, p.src, p.dst, at);
    }
  }

  /** Moves capture time on: attempts whose wait ran out end as timeouts (or their denials stand). */
  advance(at: number): void {
    if (!(at > this.clock)) return;
    if (this.firstAt === 0) this.firstAt = at;
    this.clock = at;
    this.attempts.advance(at);
  }

  /** Publishes the client rows changed since the last second of capture time (end of input). */
  flush(): void {
    this.attempts.flushRows();
  }

  /** A capture problem that ends or cuts the input: counted and reported, never fatal. */
  captureProblem(kind: 'truncated' | 'capture-error', detail: string): void {
    this.skip(kind, detail);
  }

  statistics(): ObservationStatistics {
    return this.n.document({
      timeoutSeconds: this.timeoutMs / 1000,
      port: this.port,
      firstAt: this.firstAt,
      lastAt: this.clock,
      inProgress: this.attempts.inProgress(),
    });
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
    if (this.n.skipped[kind]++ === 0) this.onSkip?.(kind, detail);
  }
}

/** The codec's message as the fast path's numbers (the SPI of the first type-32, the first NAI). */
function fieldsOf(d: DecodedRegistration, out: RegistrationFields): RegistrationFields {
  const b = d.bytes;
  const m = d.message;
  out.request = m.type === 'registration-request';
  out.code = m.type === 'registration-reply' ? m.code : 0;
  out.lifetime = m.lifetime;
  out.homeAddress = b.readUInt32BE(4);
  out.homeAgent = b.readUInt32BE(8);
  out.careOfAddress = out.request ? b.readUInt32BE(12) : 0;
  out.idHigh = b.readUInt32BE(out.request ? 16 : 12);
  out.idLow = b.readUInt32BE(out.request ? 20 : 16);
  out.spi = -1;
  out.nai = undefined;
  let naiSeen = false;
  // Loops, not find() with a closure: this runs for every request of the general path.
  for (const e of m.extensions) {
    if (out.spi < 0 && e.kind === 'auth' && e.type === 32) out.spi = e.spi;
    else if (!naiSeen && e.kind === 'nai') {
      naiSeen = true;
      out.nai = e.nai;
    }
  }
  return out;
}

function ipv4Number(address: string): number {
  const p = address.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}
