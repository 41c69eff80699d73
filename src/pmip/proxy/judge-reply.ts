import {
  ReplyCode,
  identificationHigh,
  identificationLow,
  replyCode,
  type AuthCheck,
  type RegistrationReply,
  type ReplyCodeInfo,
} from '../wire/index.ts';
import type { RegistrationKind, ReplayMode, SecurityViolationReason } from '../events.ts';
import type { Peer } from '../runtime/udp.ts';
import type { Transmission } from './attempt.ts';
import { offsetFromReply } from './clock-offsets.ts';

/**
 * The access point's decision on a registration reply to a client's attempt in progress, as a
 * pure function (RFC 5944 section 3.6.2, "Receiving Registration Replies"): the access point
 * looks the client and its attempt up, calls this, and acts on the verdict (events, timers, the
 * next request). Nothing here touches a socket, a timer or the client record.
 */

/** What a reply can come to. */
export const REPLY_VERDICTS = [
  'accepted',
  'denied',
  'unauthenticated',
  'discarded',
  'refused-source',
] as const;
export type ReplyVerdict = (typeof REPLY_VERDICTS)[number];

/** The attempt a reply claims to answer, as far as judging it needs. */
export interface AttemptUnderReply {
  kind: RegistrationKind;
  homeAgent: string;
  /** The foreign agent the request went through; undefined when sent to the home agent. */
  foreignAgent: string | undefined;
  /** Where the request was sent (a foreign agent's or the home agent's registration endpoint). */
  destination: Peer;
  /** The transmissions still remembered, oldest first. */
  transmissions: readonly Transmission[];
  /** Denial codes already corrected once in this registration: not corrected again. */
  corrected: ReadonlySet<number>;
}

export interface ReplyUnderJudgement {
  reply: Pick<RegistrationReply, 'code' | 'homeAgent' | 'identification' | 'lifetime'>;
  from: Peer;
  attempt: AttemptUnderReply;
  /** The replay protection of the SA in use. */
  replay: ReplayMode;
  /**
   * Checks the reply's authentication extension (Mobile-Home, or Foreign-Home with the per-node SA
   * in proxy mode); called only when the reply must carry one.
   */
  authenticate: () => AuthCheck;
  /** When the reply arrived (ms). */
  now: number;
}

/** A denial the access point corrects once and then tries again. */
export type Correction =
  /** 133 in timestamp mode: the home agent's clock, learnt. */
  | { kind: 'time-sync'; mode: 'timestamp'; offsetSeconds: number }
  /** 133 in nonce mode: the next request carries the nonce of this reply. */
  | { kind: 'time-sync'; mode: 'nonce'; offsetSeconds: 0 }
  /** 69 from the foreign agent: ask it for no more than `seconds`. */
  | { kind: 'lifetime'; seconds: number }
  /** 136: register with the home agent the reply names. */
  | { kind: 'home-agent'; address: string };

export interface AnsweredJudgement {
  verdict: 'accepted' | 'denied';
  info: ReplyCodeInfo;
  /** The transmission this reply answers. */
  transmission: Transmission;
  roundTripSeconds: number;
  /** Nonce mode: the home agent's nonce, for the next request. */
  nonce?: number;
  /** A denial to correct and try again; absent: accepted, or a denial that ends the attempt. */
  correction?: Correction;
}

export type ReplyJudgement =
  | AnsweredJudgement
  /** The only replies failed authentication: kept, not acted on (a forgery must not end the attempt). */
  | { verdict: 'unauthenticated'; reason: SecurityViolationReason; code: number }
  /** Dropped (reply-discarded): it answers none of our transmissions, or names another home agent. */
  | { verdict: 'discarded'; reason: 'invalid-identification' | 'unknown-home-agent' }
  /** A foreign agent's code from another endpoint than the one the request went to: a forgery. */
  | { verdict: 'refused-source' };

function violationReason(check: Exclude<AuthCheck, 'ok'>): SecurityViolationReason {
  if (check === 'missing') return 'missing-security-extension';
  return check === 'spi-mismatch' ? 'bad-spi' : 'bad-authenticator';
}

function sameEndpoint(a: Peer, b: Peer): boolean {
  return a.address === b.address && a.port === b.port;
}

export function judgeReply(input: ReplyUnderJudgement): ReplyJudgement {
  const { reply, from, attempt: p, replay } = input;
  const info = replyCode(reply.code);
  // A foreign agent's denial carries no authenticator (RFC 5944 section 3.7.2): only the endpoint
  // the request went to may send one.
  if (info.issuer === 'foreign-agent' && (p.foreignAgent === undefined || !sameEndpoint(from, p.destination)))
    return { verdict: 'refused-source' };
  // Which transmission does this answer? The low 32 bits are ours in every mode (section 5.7).
  const low = identificationLow(reply.identification);
  const tx = p.transmissions.find((t) => identificationLow(t.id) === low);
  if (!tx) return { verdict: 'discarded', reason: 'invalid-identification' };
  if (info.issuer !== 'foreign-agent') {
    // Everything but a foreign agent's denial must be authenticated (section 3.6.2.1).
    const check = input.authenticate();
    if (check !== 'ok')
      return { verdict: 'unauthenticated', reason: violationReason(check), code: reply.code };
  }
  // Timestamp mode: an acceptance echoes the whole identification (section 5.7.1).
  if (info.accepted && tx.id !== reply.identification && replay === 'timestamp')
    return { verdict: 'discarded', reason: 'invalid-identification' };
  if (reply.homeAgent !== p.homeAgent && reply.code !== ReplyCode.haUnknownHomeAgentAddress)
    return { verdict: 'discarded', reason: 'unknown-home-agent' };

  const out: AnsweredJudgement = {
    verdict: info.accepted ? 'accepted' : 'denied',
    info,
    transmission: tx,
    roundTripSeconds: (input.now - tx.sentAt) / 1000,
  };
  if (replay === 'nonce') out.nonce = identificationHigh(reply.identification);
  if (!info.accepted && !p.corrected.has(reply.code)) {
    const correction = correctionFor(input, tx);
    if (correction) out.correction = correction;
  }
  return out;
}

function correctionFor(input: ReplyUnderJudgement, tx: Transmission): Correction | undefined {
  const { reply, attempt: p } = input;
  switch (reply.code) {
    case ReplyCode.haIdentificationMismatch:
      // Section 5.7: resynchronise with the home agent's clock (timestamps) or nonce, once.
      return input.replay === 'nonce'
        ? { kind: 'time-sync', mode: 'nonce', offsetSeconds: 0 }
        : {
            kind: 'time-sync',
            mode: 'timestamp',
            offsetSeconds: offsetFromReply(reply.identification, tx.sentAt, input.now),
          };
    case ReplyCode.faLifetimeTooLong:
      // A deregistration asks for 0 already: nothing to shorten.
      return p.kind === 'deregistration' ? undefined : { kind: 'lifetime', seconds: reply.lifetime };
    case ReplyCode.haUnknownHomeAgentAddress:
      // The reply names the home agent to register with instead.
      return reply.homeAgent !== p.homeAgent ? { kind: 'home-agent', address: reply.homeAgent } : undefined;
    default:
      return undefined;
  }
}
