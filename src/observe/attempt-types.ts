/**
 * The observer's state of one client and its registration attempt. Addresses are held twice: as
 * unsigned 32-bit numbers (compared per packet) and as the address book's strings (what events
 * carry). Every field is set from the start and never deleted: objects keep one shape.
 */
import type { RegistrationKind, RegistrationOutcomeKind, SecurityViolationReason } from '../pmip/events.ts';
import { countIn } from './counters.ts';

/** No address (the numeric fields' "undefined"). */
export const NO_ADDRESS = -1;

export interface Transmission {
  /** The identification's halves, read from the datagram (no bigint per packet). */
  high: number;
  low: number;
  at: number;
}

export interface Answer {
  code: number;
  lifetime: number;
  at: number;
  roundTripSeconds: number;
  /** When the answered transmission was sent. */
  sentAt: number;
  /** The reply's identification, high half (a 133 carries the home agent's clock there). */
  idHigh: number;
}

export interface Attempt {
  /** Numbers attempts, so the deadline queue can name one without holding it. */
  seq: number;
  client: ClientWire;
  sender: string;
  senderN: number;
  homeAgent: string;
  homeAgentN: number;
  careOfN: number;
  foreignAgent: string | undefined;
  foreignAgentN: number;
  lifetime: number;
  kind: RegistrationKind;
  /** When the first transmission was sent. */
  startedAt: number;
  /**
   * The first transmission's identification, in the attempt's own fields (most attempts have no
   * other: a list and an object per attempt for it were a tenth of the observer's allocation).
   */
  firstHigh: number;
  firstLow: number;
  /** The retransmissions, the last `MAX_LATER_TRANSMISSIONS` of them; undefined until one. */
  later: Transmission[] | undefined;
  count: number;
  lastTxAt: number;
  deadline: number;
  /** A denial not yet known to be used or ignored by the sender. */
  answer: Answer | undefined;
  /** The sender ignored a denial with this code (or a reply failed our check): unauthenticated. */
  unusable: { code: number; reason: SecurityViolationReason } | undefined;
  lastReplyAt: number | undefined;
  open: boolean;
}

export interface ClientWire {
  homeAddress: string;
  /** The `client` of this row's events: one object per row (the home address never changes). */
  ref: { mac: string; address: string };
  sender: string;
  senderN: number;
  location: 'home' | 'foreign' | undefined;
  careOfAddress: string | undefined;
  careOfN: number;
  homeAgent: string | undefined;
  homeAgentN: number;
  /** The foreign agent of the last attempt. */
  foreignAgent: string | undefined;
  foreignAgentN: number;
  /**
   * Until when the last acceptance binds (ms; Infinity: 0xffff), NaN when not bound: a number field
   * always, so each new value is written into the row's own double (`undefined` in between would
   * make it a fresh heap number per acceptance, kept until the next one).
   */
  boundUntil: number;
  lastCode: number | undefined;
  /**
   * The last concluded attempt, as fields: the client-state event builds its `lastOutcome` from
   * them. (An object per attempt held here until the next one outlives the young generation:
   * copied by every scavenge and promoted, the costliest allocation in profiles.)
   */
  outcomeKind: RegistrationOutcomeKind | undefined;
  outcomeTransmissions: number;
  outcomeAt: number;
  outcomeHomeAgent: string | undefined;
  /** -1: none. */
  outcomeCode: number;
  outcomeReason: string | undefined;
  outcomeForeignAgent: string | undefined;
  nai: string | undefined;
  attempt: Attempt | undefined;
  /**
   * The attempt the current one replaced (until another starts): the foreign agent's relay of its
   * last retransmission, and the replies to it, can arrive after the replacement (the client
   * moved on meanwhile) and are its legs, not the current attempt's.
   */
  replaced: Attempt | undefined;
  /** A usable 133 ended the last attempt: an acceptance next is a resync. */
  resync: { homeAgent: string; offsetSeconds: number; mode: 'timestamp' | 'nonce' } | undefined;
  /** Changed since its row was last published (see `AttemptTracker.publish`). */
  dirty: boolean;
}

/** Retransmissions kept per attempt (with the first: eight identifications a reply may answer). */
export const MAX_LATER_TRANSMISSIONS = 7;

export function hasIdentification(a: Attempt, high: number, low: number): boolean {
  if (a.firstLow === low && a.firstHigh === high) return true;
  const list = a.later;
  if (list)
    for (let i = 0; i < list.length; i++) if (list[i]!.low === low && list[i]!.high === high) return true;
  return false;
}

/**
 * When the transmission a reply answers was sent, found by the identification's low half (a 133
 * carries the home agent's high half: RFC 5944 section 5.7.1); NaN when none has it.
 */
export function sentAtOf(a: Attempt, low: number): number {
  if (a.firstLow === low) return a.startedAt;
  const list = a.later;
  if (list) for (let i = 0; i < list.length; i++) if (list[i]!.low === low) return list[i]!.at;
  return NaN;
}

/** The last transmission's identification, high half. */
export function lastHigh(a: Attempt): number {
  const list = a.later;
  return list && list.length > 0 ? list[list.length - 1]!.high : a.firstHigh;
}

/** The wait before the last transmission (0 when there was only one). */
export function lastGap(a: Attempt): number {
  const list = a.later;
  if (!list || list.length === 0) return 0;
  const n = list.length;
  return list[n - 1]!.at - (n >= 2 ? list[n - 2]!.at : a.startedAt);
}

export function addRetransmission(a: Attempt, high: number, low: number, at: number): void {
  const list = (a.later ??= []);
  list.push({ high, low, at });
  if (list.length > MAX_LATER_TRANSMISSIONS) list.shift();
}

/** A new client row (every field from the start: one shape). */
export function newClient(homeAddress: string, senderN: number, sender: string): ClientWire {
  return {
    homeAddress,
    ref: { mac: homeAddress, address: homeAddress },
    sender,
    senderN,
    location: undefined,
    careOfAddress: undefined,
    careOfN: NO_ADDRESS,
    homeAgent: undefined,
    homeAgentN: NO_ADDRESS,
    foreignAgent: undefined,
    foreignAgentN: NO_ADDRESS,
    boundUntil: NaN,
    lastCode: undefined,
    outcomeKind: undefined,
    outcomeTransmissions: 0,
    outcomeAt: 0,
    outcomeHomeAgent: undefined,
    outcomeCode: -1,
    outcomeReason: undefined,
    outcomeForeignAgent: undefined,
    nai: undefined,
    attempt: undefined,
    replaced: undefined,
    resync: undefined,
    dirty: false,
  };
}

/** The row's last outcome: the attempt that just ended. */
export function recordOutcome(
  c: ClientWire,
  a: Attempt,
  outcome: RegistrationOutcomeKind,
  at: number,
  code: number | undefined,
  reason: string | undefined,
): void {
  c.outcomeKind = outcome;
  c.outcomeTransmissions = a.count;
  c.outcomeAt = at;
  c.outcomeHomeAgent = a.homeAgent;
  c.outcomeCode = code ?? -1;
  c.outcomeReason = reason;
  c.outcomeForeignAgent = a.foreignAgent;
}

/** Per sender: how many unanswered attempts ended after how many transmissions (its usual limit). */
export class SenderHabits {
  private readonly counts = new Map<number, Map<number, number>>();

  /**
   * The sender's usual number of transmissions in an unanswered attempt (the most frequent so
   * far; undefined before the first), then counts this one. The most frequent, not the most: an
   * attempt merged with the next one (a client associating again on the retransmission
   * schedule) has more than the sender's limit and must not make every normal timeout look short.
   */
  usualTransmissions(sender: number, count: number): number | undefined {
    let counts = this.counts.get(sender | 0);
    if (!counts) {
      counts = new Map();
      this.counts.set(sender | 0, counts);
    }
    let usual: number | undefined;
    let best = 0;
    for (const [k, n] of counts)
      if (n > best || (n === best && usual !== undefined && k > usual)) [usual, best] = [k, n];
    countIn(counts, count);
    return usual;
  }
}
