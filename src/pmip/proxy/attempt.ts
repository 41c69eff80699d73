import {
  PerNodeAuthenticationMethod,
  encodeRegistration,
  makeIdentification,
  ntpTimestamp,
  perNodeAuthenticationMethod,
  requestFlags,
  type Extension,
  type RandomSource,
  type RegistrationRequest,
} from '../wire/index.ts';
import type {
  AttemptDiscardReason,
  ClientOutcome,
  ClientRef,
  ClientStateEvent,
  EventBase,
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplyDiscardReason,
  ReplyIssuerKind,
  SecurityAssociationShortfall,
  SecurityViolationReason,
} from '../events.ts';
import {
  SecurityAssociationUnavailable,
  type SecurityAssociation,
  type SecurityAssociationProvider,
} from '../security/store.ts';
import type { EventBody } from '../event-bus.ts';
import type { TimerHandle } from '../runtime/scheduler.ts';
import type { DataPlane } from '../runtime/data-plane.ts';
import type { Peer } from '../runtime/udp.ts';
import type { RegistrationTiming } from './config.ts';

/**
 * What the access point keeps per client and per registration attempt (a request and its
 * retransmissions), and the pure steps on it: the next identification, the request's bytes, how
 * long to wait before a retransmission, a retry or a renewal.
 */

/** A client associated with the access point, as views and pages show it: its client-state row. */
export type ClientView = { mac: string; address: string } & Omit<
  ClientStateEvent,
  'type' | 'client' | keyof EventBase
>;

/** One request handed to the socket: the identification it carried and when. */
export interface Transmission {
  id: bigint;
  sentAt: number;
}

/** The attempt in progress for one client. */
export interface PendingRequest {
  kind: RegistrationKind;
  lifetime: number;
  homeAgent: string;
  /** The foreign agent the request goes through (its address); undefined when sent to the home agent. */
  foreignAgent: string | undefined;
  careOfAddress: string;
  destination: Peer;
  startedAt: number;
  /** Replies to this attempt that failed authentication: the last one's claimed code and why. */
  unauthenticated?: { code: number; reason: SecurityViolationReason };
  /** Replies to this attempt that were dropped: the last reason. */
  discarded?: ReplyDiscardReason;
  /** When the last reply matched to this attempt arrived, verified or not (ms). */
  lastReplyAt?: number;
  transmissions: Transmission[];
  bytes: Buffer;
  retransmissions: number;
  /** Requests actually handed to the socket for this attempt. */
  sent: number;
  /** Denial codes already corrected once for this registration (133, 69, 136). */
  corrected: Set<number>;
  /** Proxy mode (RFC 5563): 47 + Foreign-Home (34) with the per-node SA, replies checked with 34. */
  perNode: boolean;
}

/** Transmissions remembered per attempt, to match a late reply to the request it answers. */
export const REMEMBERED_TRANSMISSIONS = 8;

export interface ClientRecord extends ClientView {
  ref: ClientRef;
  home: boolean;
  sa?: SecurityAssociation;
  /** `sa` is a home agent's per-node SA (proxy mode), not the client's own. */
  perNode?: boolean;
  /** The next SA lookup goes past any cache (an operator's renew with refresh). */
  refreshSecurityAssociation?: boolean;
  /** Nonce mode: the nonce from the home agent's last reply. */
  nonce: number;
  lastAcceptedId: bigint;
  failures: number;
  bound: boolean;
  timer?: TimerHandle | undefined;
  pending?: PendingRequest | undefined;
  /** Bumped on disassociation so late async work for an old association is dropped. */
  generation: number;
  homeAgentOverride?: string;
  /** Signature of the last client-state event, to emit only changes. */
  published?: string;
  /** Attempts concluded so far (registration-outcome events): an internal error concludes only an open one. */
  concluded: number;
}

export function newClientRecord(
  a: { mac: string; address: string; ssid: string; nai?: string },
  home: boolean,
): ClientRecord {
  const record: ClientRecord = {
    mac: a.mac,
    address: a.address,
    ssid: a.ssid,
    ref: { mac: a.mac, address: a.address },
    home,
    state: home ? 'home' : 'pending',
    nonce: 0,
    lastAcceptedId: 0n,
    failures: 0,
    bound: false,
    generation: 0,
    concluded: 0,
  };
  if (a.nai !== undefined) record.nai = a.nai;
  return record;
}

export function viewOf(c: ClientRecord): ClientView {
  const v: ClientView = { mac: c.mac, address: c.address, ssid: c.ssid, state: c.state };
  if (c.nai !== undefined) v.nai = c.nai;
  if (c.homeAgent !== undefined) v.homeAgent = c.homeAgent;
  if (c.careOfAddress !== undefined && !c.home) v.careOfAddress = c.careOfAddress;
  if (c.expiresAt !== undefined && c.bound) v.expiresAt = c.expiresAt;
  if (c.lastCode !== undefined) v.lastCode = c.lastCode;
  if (c.lastOutcome !== undefined) v.lastOutcome = c.lastOutcome;
  if (c.attemptStartedAt !== undefined) v.attemptStartedAt = c.attemptStartedAt;
  return v;
}

/** What a client-state event carries, as one string: a row is emitted only when this changes. */
export function stateSignature(v: ClientView): string {
  return `${v.state}|${v.nai}|${v.homeAgent}|${v.careOfAddress}|${v.expiresAt}|${v.lastCode}|${v.lastOutcome?.at}|${v.lastOutcome?.kind}|${v.attemptStartedAt}`;
}

/**
 * The identification of a new request (RFC 5944 section 5.7). Nonce mode: the home agent's last
 * nonce in the high 32 bits, ours (random) in the low. Timestamp mode: our time corrected by the
 * offset learnt for the home agent, and always above every identification it accepted from us.
 */
export function nextIdentification(
  c: Pick<ClientRecord, 'nonce' | 'lastAcceptedId'>,
  replay: 'timestamp' | 'nonce',
  now: number,
  random: RandomSource,
  offsetSeconds: number,
): bigint {
  if (replay === 'nonce') return makeIdentification(c.nonce, random.uint32());
  const id = ntpTimestamp(now, random, offsetSeconds);
  return id <= c.lastAcceptedId ? c.lastAcceptedId + 1n : id;
}

/** The request flags the access point sets (RFC 5944 section 3.3). */
export interface RequestOptions {
  reverseTunnel: boolean;
  gre: boolean;
  /** A co-located care-of address: the access point decapsulates (D). */
  colocated: boolean;
}

/** The encoded request of attempt `p` for client `c` with identification `id`, authenticated with `sa`. */
export function encodeAttempt(
  c: Pick<ClientRecord, 'address' | 'nai'>,
  p: PendingRequest,
  sa: SecurityAssociation,
  id: bigint,
  options: RequestOptions,
): Buffer {
  const extensions: Extension[] = [];
  if (c.nai !== undefined) extensions.push({ kind: 'nai', type: 131, nai: c.nai });
  if (p.perNode) extensions.push(perNodeAuthenticationMethod(PerNodeAuthenticationMethod.faHa));
  const request: RegistrationRequest = {
    type: 'registration-request',
    flags: requestFlags({
      T: options.reverseTunnel,
      G: options.gre,
      // Decapsulation by the (proxy) mobile node: its own care-of address (RFC 5944 section 3.3).
      D: options.colocated && p.kind !== 'deregistration',
    }),
    lifetime: p.lifetime,
    homeAddress: c.address,
    homeAgent: p.homeAgent,
    careOfAddress: p.careOfAddress,
    identification: id,
    extensions,
  };
  return encodeRegistration(request, {
    type: p.perNode ? 34 : 32,
    spi: sa.spi,
    key: sa.key,
    algorithm: sa.algorithm,
  });
}

/**
 * How long to wait for a reply after the transmission made with `retransmissions` before it
 * (RFC 5944 section 3.6.3): the first wait at least one second, doubling, capped, and never
 * beyond the requested lifetime.
 */
export function retransmitWaitMs(
  timing: RegistrationTiming,
  retransmissions: number,
  lifetime: number,
): number {
  const wait = Math.min(timing.retransmitInitialMs * 2 ** retransmissions, timing.retransmitMaxMs);
  return lifetime > 0 ? Math.min(wait, lifetime * 1000) : wait;
}

/** How long to wait before trying again after `failures` failed attempts in a row. */
export function retryWaitMs(timing: RegistrationTiming, failures: number): number {
  return Math.min(timing.retryAfterFailureMs * 2 ** failures, timing.retryMaxMs);
}

/**
 * When to renew a binding granted for `granted` seconds by a reply to the request sent at
 * `sentAt` (the lifetime counts from the request); undefined for none (0) or infinite (0xffff).
 */
export function renewAtMs(timing: RegistrationTiming, sentAt: number, granted: number): number | undefined {
  if (granted <= 0 || granted === 0xffff) return undefined;
  return sentAt + granted * 1000 * timing.renewFraction;
}

/** How an attempt ended, as `concludeAttempt` takes it. */
export interface Conclusion {
  outcome: RegistrationOutcomeKind;
  code?: number;
  reason?: SecurityViolationReason | AttemptDiscardReason | string;
  issuer?: ReplyIssuerKind;
  homeAgent?: string | undefined;
  foreignAgent?: string | undefined;
  transmissions: number;
  roundTripSeconds?: number;
  lastReplyAt?: number | undefined;
  securityAssociation?: SecurityAssociationShortfall;
}

/**
 * Concludes `c`'s attempt at `at`: records its last outcome, counts the conclusion, and returns
 * the registration-outcome event to emit (one per attempt).
 */
export function concludeAttempt(
  c: ClientRecord,
  kind: RegistrationKind,
  o: Conclusion,
  at: number,
): Extract<EventBody, { type: 'registration-outcome' }> {
  const last: ClientOutcome = { kind: o.outcome, transmissions: o.transmissions, at };
  if (o.securityAssociation !== undefined) last.securityAssociation = { ...o.securityAssociation };
  if (o.code !== undefined) last.code = o.code;
  if (o.reason !== undefined) last.reason = o.reason;
  if (o.homeAgent !== undefined) last.homeAgent = o.homeAgent;
  if (o.foreignAgent !== undefined) last.foreignAgent = o.foreignAgent;
  c.lastOutcome = last;
  c.concluded++;
  delete c.attemptStartedAt;
  return {
    type: 'registration-outcome',
    client: c.ref,
    kind,
    outcome: o.outcome,
    ...(o.homeAgent !== undefined ? { homeAgent: o.homeAgent } : {}),
    ...(o.foreignAgent !== undefined ? { foreignAgent: o.foreignAgent } : {}),
    ...(o.code !== undefined ? { code: o.code } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
    transmissions: o.transmissions,
    ...(o.roundTripSeconds !== undefined ? { roundTripSeconds: o.roundTripSeconds } : {}),
    ...(o.lastReplyAt !== undefined ? { lastReplyAt: o.lastReplyAt } : {}),
    ...(o.securityAssociation !== undefined ? { securityAssociation: { ...o.securityAssociation } } : {}),
  };
}

/** What an accepted reply asks of the data plane: forward to the care-of address, or locally again. */
export function applyAcceptance(dataPlane: DataPlane, c: ClientRecord, p: PendingRequest): void {
  if (p.kind === 'deregistration') {
    dataPlane.apply({ action: 'gratuitous-arp', address: c.address, mac: c.mac });
    dataPlane.apply({ action: 'forward-locally', clientMac: c.mac });
  } else {
    dataPlane.apply({ action: 'forward-to-foreign-agent', clientMac: c.mac, careOfAddress: p.careOfAddress });
  }
}

/**
 * Proxy mode: the home agent's per-node SA, when it has one, stands in for the client's own
 * (RFC 5563 section 3.1); switching SA restarts the identifications the home agent accepted.
 */
export function choosePerNodeSa(c: ClientRecord, perNodeSa: SecurityAssociation | undefined): void {
  if (perNodeSa) {
    if (!c.perNode || c.sa !== perNodeSa) c.lastAcceptedId = 0n;
    c.sa = perNodeSa;
    c.perNode = true;
  } else if (c.perNode) {
    delete c.sa;
    c.perNode = false;
  }
}

/** Looks the client's own SA up (past the cache once after a renew with refresh). */
export async function lookUpSa(
  c: ClientRecord,
  provider: SecurityAssociationProvider,
  requester: string,
): Promise<{ found: { sa: SecurityAssociation } | undefined; shortfall?: SecurityAssociationShortfall }> {
  const bypassCache = c.refreshSecurityAssociation === true;
  c.refreshSecurityAssociation = false;
  try {
    const found = await provider.lookup(c.address, {
      ...(c.nai !== undefined ? { nai: c.nai } : {}),
      bypassCache,
      requester,
    });
    return { found };
  } catch (e) {
    // A RADIUS server was asked and gave none: the outcome says why (docs/events.md).
    if (e instanceof SecurityAssociationUnavailable)
      return { found: undefined, shortfall: { cause: e.reason, server: e.server } };
    return { found: undefined };
  }
}
