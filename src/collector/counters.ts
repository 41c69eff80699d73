/**
 * Counter layouts: one Float64Array per side (access points, home agents, foreign agents), one row
 * of `width` slots per node, so ingesting an event is an index computation and an add. Names
 * follow the Mobile IP MIB (RFC 2006) and the vendor split of section 7. Column offsets are
 * computed from each layout's column counts (`layout`), never numbered by hand.
 */
import {
  REGISTRATION_KINDS,
  REGISTRATION_OUTCOME_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
} from '../pmip/events.ts';
import type {
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplyDiscardReason,
  SecurityViolationReason,
} from '../pmip/events.ts';
import { ROUND_TRIP_BUCKETS } from './round-trip.ts';

export { REGISTRATION_KINDS, REGISTRATION_OUTCOME_KINDS, REPLY_DISCARD_REASONS, SECURITY_VIOLATION_REASONS };

/** Each value's position in its list: its column within a block of that list's columns. */
function positions<K extends string>(list: readonly K[]): Readonly<Record<K, number>> {
  return Object.fromEntries(list.map((k, i) => [k, i])) as Record<K, number>;
}

const VIOLATION_OFFSET = positions(SECURITY_VIOLATION_REASONS);
const DISCARD_OFFSET = positions(REPLY_DISCARD_REASONS);

/**
 * A value's position in a short list, -1 when absent. Run for every registration event: a few
 * pointer comparisons (an event's values are string literals, one object each) cost less than a
 * keyed lookup in a record with a different key each time.
 */
function indexIn(list: readonly string[], value: string): number {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return i;
  return -1;
}

/** Column offset of an outcome within an `outcomes` block (accepted, denied, timeout, unauthenticated, discarded). */
export function outcomeOffset(kind: RegistrationOutcomeKind): number {
  const o = indexIn(REGISTRATION_OUTCOME_KINDS, kind);
  if (o < 0) throw new Error(`unknown outcome ${String(kind)}`);
  return o;
}
/** Column offset of a registration kind; NaN for another value (an index that writes nothing). */
export function kindOffset(kind: RegistrationKind): number {
  const o = indexIn(REGISTRATION_KINDS, kind);
  return o < 0 ? NaN : o;
}
export function violationOffset(reason: SecurityViolationReason): number {
  return VIOLATION_OFFSET[reason];
}
export function discardOffset(reason: ReplyDiscardReason): number {
  return DISCARD_OFFSET[reason];
}

/** How many columns each name of a layout takes, in order (1 for a single counter). */
export type ColumnSpec = Readonly<Record<string, number>>;

/** Each name's first column, and the row width: offsets are sums of the counts before them. */
export type Layout<S extends ColumnSpec> = { readonly [K in keyof S]: number } & { readonly width: number };

/** Lays the columns of `spec` out one after another, in its key order, none shared. */
export function layout<const S extends ColumnSpec>(spec: S): Layout<S> {
  const out: Record<string, number> = {};
  let next = 0;
  for (const [name, count] of Object.entries(spec)) {
    if (name === 'width' || !Number.isInteger(count) || count < 1)
      throw new Error(`counter layout: ${name}: must be a column count of at least 1`);
    out[name] = next;
    next += count;
  }
  out.width = next;
  return Object.freeze(out) as Layout<S>;
}

const KINDS = REGISTRATION_KINDS.length;
const VIOLATIONS = SECURITY_VIOLATION_REASONS.length;

/** Mobile-node side, per access point (mnRegistrationGroup, mnDiscoveryGroup, mipSecViolationGroup). */
export const MN_COLUMNS = {
  /** + kindOffset: mnRegRequestsSent / mnDeRegRequestsSent, every transmission. */
  requestsSent: KINDS,
  retransmissions: 1,
  requestsToBroadcast: 1,
  repliesReceived: 1,
  accepted: 1,
  deniedByHomeAgent: 1,
  deniedByForeignAgent: 1,
  deniedOther: 1,
  // Timeouts are an outcome (the outcome block), not a counter column, since EVENTS_VERSION 2.
  /** + discardOffset: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, ... */
  discarded: REPLY_DISCARD_REASONS.length,
  movesHomeToForeign: 1,
  movesForeignToForeign: 1,
  movesForeignToHome: 1,
  timeSyncs: 1,
  solicitationsSent: 1,
  advertisementsReceived: 1,
  agentRebootsDetected: 1,
  gratuitousArpsSent: 1,
  proxyArpsSent: 1,
  /** + violationOffset */
  securityViolations: VIOLATIONS,
} as const;
export const Mn = layout(MN_COLUMNS);

/**
 * One home agent or foreign agent as the access points see it (the vantage point of a real site,
 * whose agents this process does not host): attempts and outcomes, transmissions and replies, the
 * last reply and the round trip, summed over every access point.
 */
export const SEEN_COLUMNS = {
  requestsSent: 1,
  repliesReceived: 1,
  /** ms since epoch of the last reply that reached the access point (verified or not); 0 before one. */
  lastReplyAt: 1,
  /** Round-trip histogram: one column per bucket of ROUND_TRIP_BUCKETS plus one above. */
  roundTripBuckets: ROUND_TRIP_BUCKETS.length + 1,
  roundTripSum: 1,
  roundTripCount: 1,
  /** AAP reachability probes towards the home agent: sent, answered, timed out (home agents only). */
  probesSent: 1,
  probesAnswered: 1,
  probesTimedOut: 1,
  /**
   * Observed sites: agent advertisements the agent sent to the link (broadcast or multicast, RFC
   * 5944 section 2.3), which no one access point received, and the agent restarts they showed
   * (section 2.1.1). Unicast advertisements count at the receiving access point (Mn) instead.
   */
  linkAdvertisements: 1,
  linkRebootsDetected: 1,
} as const;
export const Seen = layout(SEEN_COLUMNS);

/** Outcome blocks (per node, one column per outcome kind) live apart from the counters: the history copies them. */
export const OUTCOMES = REGISTRATION_OUTCOME_KINDS.length;

/** Home-agent side, per home agent (haRegistrationGroup, haRegNodeCountersGroup). */
export const HA_COLUMNS = {
  /** + kindOffset: haRegRequestsReceived / haDeRegRequestsReceived */
  requestsReceived: KINDS,
  repliesSent: 1,
  accepted: 1,
  denied: 1,
  gratuitousArpsSent: 1,
  proxyArpsSent: 1,
  bindingsCreated: 1,
  bindingsRenewed: 1,
  bindingsRemoved: 1,
  bindingsExpired: 1,
  advertisementsSent: 1,
  /** + violationOffset */
  securityViolations: VIOLATIONS,
  // From here on, columns the access points observe (not the agent's own events).
  /** Probes from access points towards this home agent (also in Seen: the metric reads Seen). */
  probesSent: 1,
  probesAnswered: 1,
  probesTimedOut: 1,
  timeSyncs: 1,
} as const;
const haLayout = layout(HA_COLUMNS);
export const Ha = {
  ...haLayout,
  /** Columns below this are written by the agent's own events (the rest are observed by access points). */
  ownColumns: haLayout.probesSent,
} as const;

/** Foreign-agent side, per foreign agent (faRegistrationGroup). */
export const FA_COLUMNS = {
  /** + kindOffset: faRegRequestsReceived */
  requestsReceived: KINDS,
  requestsRelayed: 1,
  repliesRelayed: 1,
  repliesSent: 1,
  denied: 1,
  repliesDroppedNoPendingRequest: 1,
  repliesDroppedPoorlyFormed: 1,
  /** Replies not from the home agent endpoint the request was relayed to (reply-dropped unexpected-source). */
  repliesDroppedUnexpectedSource: 1,
  advertisementsSent: 1,
  visitorsAdded: 1,
  visitorsRemoved: 1,
  /** + violationOffset */
  securityViolations: VIOLATIONS,
} as const;
export const Fa = layout(FA_COLUMNS);

/** A tally per value of a list, all at 0. */
export function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** Adds n to slot i. (`a[i]++` does not type-check under noUncheckedIndexedAccess.) */
export function add(a: Float64Array, i: number, n = 1): void {
  a[i] = a[i]! + n;
}

/** Per-code counts for one node, allocated on the node's first denial (denials are rare). */
export function addCode(codes: Array<Float64Array | undefined>, slot: number, code: number): void {
  let row = codes[slot];
  if (row === undefined) {
    row = new Float64Array(256);
    codes[slot] = row;
  }
  row[code] = row[code]! + 1;
}
