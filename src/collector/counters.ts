/**
 * Counter layouts: one Float64Array per side (access points, home agents, foreign agents), one row
 * of `width` slots per node, so ingesting an event is an index computation and an add. Names
 * follow the Mobile IP MIB (RFC 2006) and the vendor split of section 7.
 */
import { REGISTRATION_OUTCOME_KINDS, SECURITY_VIOLATION_REASONS } from '../pmip/events.ts';
import type {
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplyDiscardReason,
  SecurityViolationReason,
} from '../pmip/events.ts';
import { ROUND_TRIP_BUCKETS } from './round-trip.ts';

export const REGISTRATION_KINDS: readonly RegistrationKind[] = ['initial', 'renewal', 'deregistration'];

export const REPLY_DISCARD_REASONS: readonly ReplyDiscardReason[] = [
  'invalid-home-address',
  'unknown-home-agent',
  'invalid-identification',
  'invalid-extension',
  'no-pending-request',
];

export { REGISTRATION_OUTCOME_KINDS, SECURITY_VIOLATION_REASONS };

const OUTCOME_OFFSET = Object.fromEntries(REGISTRATION_OUTCOME_KINDS.map((k, i) => [k, i])) as Record<
  RegistrationOutcomeKind,
  number
>;

/** Column offset of an outcome within an `outcomes` block (accepted, denied, timeout, unauthenticated, discarded). */
export function outcomeOffset(kind: RegistrationOutcomeKind): number {
  const o = OUTCOME_OFFSET[kind];
  if (o === undefined) throw new Error(`unknown outcome ${String(kind)}`);
  return o;
}

const KIND_OFFSET: Readonly<Record<RegistrationKind, number>> = { initial: 0, renewal: 1, deregistration: 2 };
const VIOLATION_OFFSET = Object.fromEntries(SECURITY_VIOLATION_REASONS.map((r, i) => [r, i])) as Record<
  SecurityViolationReason,
  number
>;
const DISCARD_OFFSET = Object.fromEntries(REPLY_DISCARD_REASONS.map((r, i) => [r, i])) as Record<
  ReplyDiscardReason,
  number
>;

export function kindOffset(kind: RegistrationKind): number {
  return KIND_OFFSET[kind];
}
export function violationOffset(reason: SecurityViolationReason): number {
  return VIOLATION_OFFSET[reason];
}
export function discardOffset(reason: ReplyDiscardReason): number {
  return DISCARD_OFFSET[reason];
}

/** Mobile-node side, per access point (mnRegistrationGroup, mnDiscoveryGroup, mipSecViolationGroup). */
export const Mn = {
  /** + kindOffset: mnRegRequestsSent / mnDeRegRequestsSent, every transmission. */
  requestsSent: 0,
  retransmissions: 3,
  requestsToBroadcast: 4,
  repliesReceived: 5,
  accepted: 6,
  deniedByHomeAgent: 7,
  deniedByForeignAgent: 8,
  deniedOther: 9,
  // 10 was the timeouts column before EVENTS_VERSION 2: timeouts are an outcome (the outcome block).
  /** + discardOffset: mnRepliesInvalidHomeAddress, mnRepliesUnknownHA, mnRepliesInvalidID, ... */
  discarded: 11,
  movesHomeToForeign: 16,
  movesForeignToForeign: 17,
  movesForeignToHome: 18,
  timeSyncs: 19,
  solicitationsSent: 20,
  advertisementsReceived: 21,
  agentRebootsDetected: 22,
  gratuitousArpsSent: 23,
  proxyArpsSent: 24,
  /** + violationOffset */
  securityViolations: 25,
  width: 31,
} as const;

/**
 * One home agent or foreign agent as the access points see it (the vantage point of a real site,
 * whose agents this process does not host): attempts and outcomes, transmissions and replies, the
 * last reply and the round trip, summed over every access point.
 */
export const Seen = {
  requestsSent: 0,
  repliesReceived: 1,
  /** ms since epoch of the last reply that reached the access point (verified or not); 0 before one. */
  lastReplyAt: 2,
  /** Round-trip histogram: one column per bucket of ROUND_TRIP_BUCKETS plus one above. */
  roundTripBuckets: 3,
  roundTripSum: 3 + ROUND_TRIP_BUCKETS.length + 1,
  roundTripCount: 3 + ROUND_TRIP_BUCKETS.length + 2,
  /** AAP reachability probes towards the home agent: sent, answered, timed out (home agents only). */
  probesSent: 3 + ROUND_TRIP_BUCKETS.length + 3,
  probesAnswered: 3 + ROUND_TRIP_BUCKETS.length + 4,
  probesTimedOut: 3 + ROUND_TRIP_BUCKETS.length + 5,
  width: 3 + ROUND_TRIP_BUCKETS.length + 6,
} as const;

/** Outcome blocks (per node, one column per outcome kind) live apart from the counters: the history copies them. */
export const OUTCOMES = REGISTRATION_OUTCOME_KINDS.length;

/** Home-agent side, per home agent (haRegistrationGroup, haRegNodeCountersGroup). */
export const Ha = {
  /** + kindOffset: haRegRequestsReceived / haDeRegRequestsReceived */
  requestsReceived: 0,
  repliesSent: 3,
  accepted: 4,
  denied: 5,
  gratuitousArpsSent: 6,
  proxyArpsSent: 7,
  bindingsCreated: 8,
  bindingsRenewed: 9,
  bindingsRemoved: 10,
  bindingsExpired: 11,
  advertisementsSent: 12,
  /** + violationOffset */
  securityViolations: 13,
  /** Probes from access points towards this home agent (also in Seen: the metric reads Seen). */
  probesSent: 19,
  probesAnswered: 20,
  probesTimedOut: 21,
  timeSyncs: 22,
  width: 23,
  /** Columns below this are written by the agent's own events (the rest are observed by access points). */
  ownColumns: 19,
} as const;

/** Foreign-agent side, per foreign agent (faRegistrationGroup). */
export const Fa = {
  /** + kindOffset: faRegRequestsReceived */
  requestsReceived: 0,
  requestsRelayed: 3,
  repliesRelayed: 4,
  repliesSent: 5,
  denied: 6,
  repliesDroppedNoPendingRequest: 7,
  repliesDroppedPoorlyFormed: 8,
  advertisementsSent: 9,
  visitorsAdded: 10,
  visitorsRemoved: 11,
  /** + violationOffset */
  securityViolations: 12,
  /** Replies not from the home agent endpoint the request was relayed to (reply-dropped unexpected-source). */
  repliesDroppedUnexpectedSource: 18,
  width: 19,
} as const;

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
