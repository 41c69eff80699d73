/**
 * The events the observer emits, built as whole object literals (same keys in the same order for
 * the usual combinations): these run several times per attempt, and objects grown field by field
 * or spread from a base were the costliest lines of the observation path in CPU profiles.
 */
import type {
  ClientOutcome,
  ClientStateEvent,
  PmipEvent,
  RegistrationKind,
  RegistrationOutcomeEvent,
  RegistrationOutcomeKind,
  ReplyIssuerKind,
  RegistrationSentEvent,
  ReplyReceivedEvent,
  SecurityViolationReason,
} from '../pmip/events.ts';
import type { ReplyCodeInfo } from '../pmip/wire/index.ts';
import type { Answer, Attempt, ClientWire } from './attempt-types.ts';

export type Emit = (event: PmipEvent) => void;

export interface Conclusion {
  code?: number;
  reason?: string;
  issuer?: ReplyIssuerKind;
  roundTripSeconds?: number;
  lastReplyAt?: number;
}

export function sentEvent(
  time: number,
  node: string,
  client: { mac: string; address: string },
  kind: RegistrationKind,
  retransmission: boolean,
  homeAgent: string,
  careOfAddress: string,
  lifetime: number,
  toBroadcast: boolean,
  foreignAgent: string | undefined,
): RegistrationSentEvent {
  return foreignAgent !== undefined
    ? {
        type: 'registration-sent',
        time,
        node,
        nodeKind: 'access-point',
        client,
        kind,
        retransmission,
        homeAgent,
        careOfAddress,
        lifetime,
        toBroadcast,
        foreignAgent,
      }
    : {
        type: 'registration-sent',
        time,
        node,
        nodeKind: 'access-point',
        client,
        kind,
        retransmission,
        homeAgent,
        careOfAddress,
        lifetime,
        toBroadcast,
      };
}

/** The row's last outcome (the client-state event carries it), from the row's fields. */
export function lastOutcomeOf(c: ClientWire): ClientOutcome | undefined {
  const kind = c.outcomeKind;
  if (kind === undefined) return undefined;
  const ha = c.outcomeHomeAgent;
  const fa = c.outcomeForeignAgent;
  const t = c.outcomeTransmissions;
  const at = c.outcomeAt;
  // Whole literals for the usual combinations (one shape each), fields one by one otherwise.
  if (ha !== undefined && c.outcomeCode >= 0 && c.outcomeReason !== undefined)
    return fa !== undefined
      ? {
          kind,
          transmissions: t,
          at,
          homeAgent: ha,
          code: c.outcomeCode,
          reason: c.outcomeReason,
          foreignAgent: fa,
        }
      : { kind, transmissions: t, at, homeAgent: ha, code: c.outcomeCode, reason: c.outcomeReason };
  if (ha !== undefined && c.outcomeCode < 0 && c.outcomeReason === undefined)
    return fa !== undefined
      ? { kind, transmissions: t, at, homeAgent: ha, foreignAgent: fa }
      : { kind, transmissions: t, at, homeAgent: ha };
  const last: ClientOutcome = { kind, transmissions: t, at };
  if (ha !== undefined) last.homeAgent = ha;
  if (c.outcomeCode >= 0) last.code = c.outcomeCode;
  if (c.outcomeReason !== undefined) last.reason = c.outcomeReason;
  if (fa !== undefined) last.foreignAgent = fa;
  return last;
}

export function outcomeEvent(
  c: ClientWire,
  a: Attempt,
  outcome: RegistrationOutcomeKind,
  at: number,
  o: Conclusion,
): RegistrationOutcomeEvent {
  const fa = a.foreignAgent;
  const { code, reason, issuer, roundTripSeconds } = o;
  // Whole literals for an answered attempt (most outcomes): one shape each way, every field in
  // the object itself (fields added to a literal go to a second, out-of-object store).
  if (
    o.lastReplyAt === undefined &&
    code !== undefined &&
    reason !== undefined &&
    issuer !== undefined &&
    roundTripSeconds !== undefined
  )
    return fa !== undefined
      ? {
          type: 'registration-outcome',
          time: at,
          node: a.sender,
          nodeKind: 'access-point',
          client: c.ref,
          kind: a.kind,
          outcome,
          homeAgent: a.homeAgent,
          transmissions: a.count,
          foreignAgent: fa,
          code,
          reason,
          issuer,
          roundTripSeconds,
        }
      : {
          type: 'registration-outcome',
          time: at,
          node: a.sender,
          nodeKind: 'access-point',
          client: c.ref,
          kind: a.kind,
          outcome,
          homeAgent: a.homeAgent,
          transmissions: a.count,
          code,
          reason,
          issuer,
          roundTripSeconds,
        };
  const e: RegistrationOutcomeEvent = {
    type: 'registration-outcome',
    time: at,
    node: a.sender,
    nodeKind: 'access-point',
    client: c.ref,
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
  return e;
}

/** The client's live row (the Mobile Clients page), keyed by home address: the wire has no MAC. */
export function clientStateEvent(c: ClientWire, now: number): ClientStateEvent {
  const a = c.attempt;
  const inProgress = a?.open === true;
  const bound = c.boundUntil > now; // NaN: not bound
  const state =
    c.location === 'home' && !inProgress
      ? 'home'
      : bound
        ? 'registered'
        : inProgress
          ? 'pending'
          : 'isolated';
  const last = lastOutcomeOf(c);
  const ha = c.homeAgent;
  const coa = c.careOfAddress;
  const code = c.lastCode;
  // The steady state of a client (registered, between attempts) as one whole literal.
  if (
    state === 'registered' &&
    !inProgress &&
    c.nai === undefined &&
    ha !== undefined &&
    coa !== undefined &&
    code !== undefined &&
    last !== undefined &&
    Number.isFinite(c.boundUntil)
  )
    return {
      type: 'client-state',
      time: now,
      node: c.sender,
      nodeKind: 'access-point',
      client: c.ref,
      ssid: '',
      state,
      homeAgent: ha,
      careOfAddress: coa,
      expiresAt: c.boundUntil,
      lastCode: code,
      lastOutcome: last,
    };
  // Optional fields set one by one otherwise: conditional spreads allocate an object each.
  const e: ClientStateEvent = {
    type: 'client-state',
    time: now,
    node: c.sender,
    nodeKind: 'access-point',
    client: c.ref,
    ssid: '',
    state,
  };
  if (c.nai !== undefined) e.nai = c.nai;
  if (ha !== undefined) e.homeAgent = ha;
  if (coa !== undefined) e.careOfAddress = coa;
  if (bound && Number.isFinite(c.boundUntil)) e.expiresAt = c.boundUntil;
  if (code !== undefined) e.lastCode = code;
  if (last !== undefined) e.lastOutcome = last;
  if (inProgress) e.attemptStartedAt = a.startedAt;
  return e;
}

export function violationEvent(
  time: number,
  node: string,
  reason: SecurityViolationReason,
  homeAddress: string,
  peer: string,
): PmipEvent {
  return {
    type: 'security-violation',
    time,
    node,
    nodeKind: 'access-point',
    reason,
    peer,
    client: { mac: homeAddress, address: homeAddress },
  };
}

export function violationReason(
  check: 'missing' | 'spi-mismatch' | 'bad-authenticator',
): SecurityViolationReason {
  return check === 'missing'
    ? 'missing-security-extension'
    : check === 'spi-mismatch'
      ? 'bad-spi'
      : 'bad-authenticator';
}

export function replyReceivedEvent(
  c: ClientWire,
  a: Attempt,
  ans: Answer,
  info: ReplyCodeInfo,
): ReplyReceivedEvent {
  const fa = a.foreignAgent;
  return fa !== undefined
    ? {
        type: 'reply-received',
        time: ans.at,
        node: a.sender,
        nodeKind: 'access-point',
        client: c.ref,
        kind: a.kind,
        homeAgent: a.homeAgent,
        code: ans.code,
        reason: info.reason,
        accepted: info.accepted,
        issuer: info.issuer,
        lifetime: ans.lifetime,
        roundTripSeconds: ans.roundTripSeconds,
        foreignAgent: fa,
      }
    : {
        type: 'reply-received',
        time: ans.at,
        node: a.sender,
        nodeKind: 'access-point',
        client: c.ref,
        kind: a.kind,
        homeAgent: a.homeAgent,
        code: ans.code,
        reason: info.reason,
        accepted: info.accepted,
        issuer: info.issuer,
        lifetime: ans.lifetime,
        roundTripSeconds: ans.roundTripSeconds,
      };
}

export function movedEvent(
  time: number,
  node: string,
  client: { mac: string; address: string },
  movement: 'home-to-foreign' | 'foreign-to-foreign' | 'foreign-to-home',
  careOfAddress: string | undefined,
): PmipEvent {
  return careOfAddress !== undefined
    ? { type: 'client-moved', time, node, nodeKind: 'access-point', client, movement, careOfAddress }
    : { type: 'client-moved', time, node, nodeKind: 'access-point', client, movement };
}
